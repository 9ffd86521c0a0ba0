using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Service.Commands;

/// <summary>
/// <c>adherence query …</c>: the stored sessions, adherence, pain reports and activity of a
/// participant or an arm, as a table, CSV or JSON. User input only ever reaches InfluxDB as bound
/// parameters or as numbers this command formatted itself.
/// </summary>
internal static class QueryCommand
{
    private static readonly Dictionary<string, string> Measurements = new(StringComparer.Ordinal)
    {
        ["sessions"] = "session",
        ["adherence"] = "adherence",
        ["pain"] = "pain_report",
        ["activity"] = "activity",
        ["bouts"] = "bout",
    };

    public static Command Create()
    {
        var what = new Argument<string>("what") { Description = "sessions, adherence, pain, activity or bouts." };
        what.AcceptOnlyFromAmong([.. Measurements.Keys]);
        var participant = new Option<string?>("--participant") { Description = "One participant's code." };
        var arm = new Option<string?>("--arm") { Description = "Every participant of a study arm." };
        var from = new Option<DateTimeOffset?>("--from") { Description = "From this date or time (ISO 8601, UTC when no offset is given).", CustomParser = CommonOptions.ParseTime };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Up to (not including) this date or time.", CustomParser = CommonOptions.ParseTime };
        var period = new Option<string>("--period") { Description = "For adherence: week or day.", DefaultValueFactory = _ => "week" };
        period.AcceptOnlyFromAmong("week", "day");
        var format = new Option<string>("--format") { Description = "table, csv or json.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var url = CommonOptions.InfluxUrl();
        var database = CommonOptions.InfluxDatabase();
        var modelVersion = CommonOptions.ModelVersion();
        var command = new Command("query", "Print stored sessions, adherence, pain reports, activity or bouts.")
        {
            what, participant, arm, from, to, period, format, url, database, modelVersion,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            InfluxConnectionOptions connection;
            string? version;
            try
            {
                var configuration = CommonOptions.Build(parseResult);
                connection = CommonOptions.Connection(parseResult, configuration, url, database);
                version = CommonOptions.ReadModelVersion(parseResult, configuration, modelVersion);
            }
            catch (Exception ex) when (ex is ConfigurationException or ArgumentException or InvalidOperationException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }

            // A code is bound as a parameter anyway; checking its form first turns a typo, or an attempt to
            // smuggle InfluxQL in, into a clear error instead of a query that quietly finds nothing.
            if (parseResult.GetValue(participant) is { } code && !AdherencePipeline.Adherence.ParticipantCode.IsValid(code, out var problem))
            {
                await error.WriteLineAsync($"error: --participant: {problem}");
                return 1;
            }

            var measurement = Measurements[parseResult.GetValue(what)!];
            var (text, parameters) = Build(measurement, parseResult.GetValue(participant), parseResult.GetValue(arm),
                parseResult.GetValue(from), parseResult.GetValue(to), measurement == "adherence" ? parseResult.GetValue(period) : null, version, connection);
            using var http = InfluxHttpClient.Create(connection);
            IReadOnlyList<InfluxSeries> series;
            try
            {
                series = await new InfluxQueryClient(http, connection).QueryAsync(text, parameters, cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException)
            {
                await error.WriteLineAsync($"error: {InfluxHttpClient.Describe(ex)}");
                return 2;
            }

            await output.WriteAsync(Format(series, parseResult.GetValue(format)!));
            return 0;
        });
        return command;
    }

    /// <summary>The InfluxQL and its bound parameters; exposed for tests.</summary>
    internal static (string Text, Dictionary<string, object?> Parameters) Build(string measurement, string? participant, string? arm, DateTimeOffset? from, DateTimeOffset? to, string? period, string? modelVersion = null,
        InfluxConnectionOptions? connection = null)
    {
        var conditions = new List<string>();
        var parameters = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (participant is not null)
        {
            conditions.Add("\"participant\" = $participant");
            parameters["participant"] = participant;
        }

        if (arm is not null)
        {
            conditions.Add("\"arm\" = $arm");
            parameters["arm"] = arm;
        }

        if (period is not null)
        {
            conditions.Add("\"period\" = $period");
            parameters["period"] = period;
        }

        if (ModelVersions.IsVersioned(measurement) && ModelVersions.Condition(modelVersion, parameters) is { } version)
        {
            conditions.Add(version);
        }

        if (from is { } f)
        {
            conditions.Add(string.Create(CultureInfo.InvariantCulture, $"time >= {Point.ToTimestampNs(f)}"));
        }

        if (to is { } t)
        {
            conditions.Add(string.Create(CultureInfo.InvariantCulture, $"time < {Point.ToTimestampNs(t)}"));
        }

        var where = conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", conditions);
        return ($"SELECT * FROM {connection?.Source(measurement) ?? InfluxQL.Identifier(measurement)}{where} ORDER BY time", parameters);
    }

    /// <summary>Rows as an aligned table, CSV (RFC 4180) or a JSON array of objects; time as ISO 8601 UTC.</summary>
    internal static string Format(IReadOnlyList<InfluxSeries> series, string format)
    {
        var columns = series.SelectMany(s => s.Columns).Distinct(StringComparer.Ordinal).ToList();
        var rows = series.SelectMany(s => s.Rows).Select(r => columns.Select(c => Cell(r, c)).ToArray()).ToList();
        var text = new StringBuilder();
        switch (format)
        {
            case "json":
                var objects = rows.Select(r => columns.Select((c, i) => (c, r[i])).Where(p => p.Item2 is not null).ToDictionary(p => p.c, p => p.Item2));
                text.Append(JsonSerializer.Serialize(objects)).Append('\n');
                break;
            case "csv":
                text.Append(string.Join(',', columns.Select(Csv))).Append('\n');
                foreach (var row in rows)
                {
                    text.Append(string.Join(',', row.Select(v => Csv(v ?? "")))).Append('\n');
                }

                break;
            default:
                if (rows.Count == 0)
                {
                    return "no rows\n";
                }

                var widths = columns.Select((c, i) => Math.Max(c.Length, rows.Max(r => (r[i] ?? "").Length))).ToArray();
                text.Append(string.Join("  ", columns.Select((c, i) => c.PadRight(widths[i])))).Append('\n');
                foreach (var row in rows)
                {
                    text.Append(string.Join("  ", row.Select((v, i) => (v ?? "").PadRight(widths[i]))).TrimEnd()).Append('\n');
                }

                break;
        }

        return text.ToString();
    }

    private static string? Cell(InfluxRow row, string column)
    {
        if (row.IsNull(column))
        {
            return null;
        }

        if (column == "time")
        {
            return Point.FromTimestampNs(row.TimestampNs).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        }

        var value = row.Value(column);
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.TryGetInt64(out var i) ? i.ToString(CultureInfo.InvariantCulture) : value.GetDouble().ToString("0.###", CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
    }

    private static string Csv(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}
