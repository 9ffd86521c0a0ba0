using System.CommandLine;
using System.Globalization;
using AdherencePipeline.Adherence;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Service.Commands;

/// <summary><c>adherence pain add</c>: record one pain report in InfluxDB.</summary>
internal static class PainCommand
{
    /// <summary>Exit codes of <c>pain add</c>, so scripts can tell the failures apart.</summary>
    public enum AddExit
    {
        Stored = 0,
        InvalidInput = 1,
        Unreachable = 2,
        Unauthorized = 3,
        DatabaseMissing = 4,
        Refused = 5,
    }

    public static Command Create()
    {
        var participant = new Option<string>("--participant") { Description = "The participant's code, e.g. P001.", Required = true };
        var nrs = new Option<string>("--nrs") { Description = "Pain intensity, numeric rating scale: an integer from 0 to 10.", Required = true };
        var peg = new Option<string?>("--peg") { Description = "PEG-3 as P,E,G: pain, interference with enjoyment of life, with general activity; integers from 0 to 10." };
        var context = new Option<string?>("--context") { Description = "pre (before a session), post (after a session) or daily (default)." };
        var at = new Option<string?>("--at")
        {
            Description = "When the report was made, ISO 8601 (default: now). With Z or an offset it is an instant; without, the participant's local time.",
        };
        var registryOption = ParticipantRegistryFile.Option();
        var url = CommonOptions.InfluxUrl();
        var database = CommonOptions.InfluxDatabase();
        var create = CommonOptions.CreateDatabase();

        var add = new Command("add", "Validate one pain report and store it (measurement pain_report); prints what was stored.")
        {
            participant, nrs, peg, context, at, registryOption, url, database, create,
        };
        add.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            InfluxConnectionOptions options;
            ParticipantRegistry? registry;
            try
            {
                options = CommonOptions.Connection(parseResult, CommonOptions.Build(parseResult), url, database, create);
                registry = ParticipantRegistryLoader.TryLoad(ParticipantRegistryFile.Resolve(parseResult, registryOption), out var registryErrors);
                foreach (var e in registryErrors)
                {
                    await error.WriteLineAsync(e.ToString());
                }
            }
            catch (Exception ex) when (ex is ConfigurationException or ArgumentException or InvalidOperationException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return (int)AddExit.InvalidInput;
            }

            if (registry is null)
            {
                await error.WriteLineAsync("error: the participant registry is not valid; nothing was stored");
                return (int)AddExit.InvalidInput;
            }

            var report = PainReport.TryParse(registry, parseResult.GetValue(participant), parseResult.GetValue(nrs), parseResult.GetValue(peg),
                parseResult.GetValue(context), parseResult.GetValue(at), DateTimeOffset.UtcNow, out var errors);
            if (report is null)
            {
                foreach (var e in errors)
                {
                    await error.WriteLineAsync($"error: {e.Message}");
                }

                await error.WriteLineAsync("nothing was stored");
                return (int)AddExit.InvalidInput;
            }

            using var http = InfluxHttpClient.Create(options);
            var session = await LinkedSessionAsync(http, options, report, cancellationToken);
            var line = report.ToPoint(session).ToString();
            var endpoint = new InfluxV1WriteEndpoint(http, options);
            var outcome = await endpoint.WriteAsync(System.Text.Encoding.UTF8.GetBytes(line + "\n"), cancellationToken);
            var where = $"InfluxDB at {options.Url}, database '{options.Database}'";
            switch (outcome.Kind)
            {
                case WriteOutcomeKind.Accepted:
                    await output.WriteLineAsync($"stored in {where}:");
                    await output.WriteLineAsync(Describe(report, registry.Get(report.Participant)));
                    if (session is { } start)
                    {
                        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  linked to the session that started at {Point.FromTimestampNs(start):yyyy-MM-ddTHH:mm:ssZ}"));
                    }

                    await output.WriteLineAsync(line);
                    return (int)AddExit.Stored;
                case WriteOutcomeKind.Retry when outcome.StatusCode is null:
                    await error.WriteLineAsync($"error: {where} is unreachable ({outcome.Message}); the report was NOT stored");
                    return (int)AddExit.Unreachable;
                case WriteOutcomeKind.Unauthorized:
                    await error.WriteLineAsync($"error: {where} refused the credentials (HTTP {outcome.StatusCode}: {outcome.Message}); the report was NOT stored");
                    return (int)AddExit.Unauthorized;
                case WriteOutcomeKind.DatabaseNotFound:
                    await error.WriteLineAsync($"error: {where}: {outcome.Message}; run with --create-database to create it. The report was NOT stored");
                    return (int)AddExit.DatabaseMissing;
                default:
                    await error.WriteLineAsync($"error: {where} did not store the report (HTTP {outcome.StatusCode}: {outcome.Message})");
                    return (int)AddExit.Refused;
            }
        });

        return new Command("pain", "Record pain reports.") { add };
    }

    // Sessions stored so far, near the report; a report is still stored when none can be read.
    private static async Task<long?> LinkedSessionAsync(HttpClient http, InfluxConnectionOptions options, PainReport report, CancellationToken cancellationToken)
    {
        if (report.Context == PainContext.Daily)
        {
            return null;
        }

        var t = Point.ToTimestampNs(report.Time);
        var hour = 3_600_000_000_000L;
        try
        {
            var series = await new InfluxQueryClient(http, options).QueryAsync(
                string.Create(CultureInfo.InvariantCulture, $"SELECT \"end_ns\" FROM \"session\" WHERE \"participant\" = $p AND time >= {t - 8 * hour} AND time <= {t + 3 * hour}"),
                new Dictionary<string, object?> { ["p"] = report.Participant }, cancellationToken);
            return PainSessionLink.Find(report.Context, report.Time, series.SelectMany(s => s.Rows).Select(r => (r.TimestampNs, r.GetInt64("end_ns"))));
        }
        catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException)
        {
            return null;
        }
    }

    private static string Describe(PainReport report, Participant participant)
    {
        var peg = report.Peg is { } p
            ? string.Create(CultureInfo.InvariantCulture, $", PEG-3 {p.Pain}/{p.Enjoyment}/{p.Activity} (score {p.Score:0.##})")
            : "";
        var local = participant.LocalTime(report.Time);
        return string.Create(CultureInfo.InvariantCulture,
            $"  {report.Participant} ({report.Arm}, {report.Site}) {PainScale.Name(report.Context)}: NRS {report.Nrs}{peg} at {report.Time:yyyy-MM-ddTHH:mm:ss.FFFFFFFZ} (local {local:yyyy-MM-dd HH:mm} {participant.TimeZoneAt(report.Time).Id}, local date {report.LocalDate:yyyy-MM-dd})");
    }
}
