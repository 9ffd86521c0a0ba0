using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AdherencePipeline.Adherence;
using AdherencePipeline.Service.Web;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Service.Commands;

/// <summary>
/// <c>adherence report</c>: one participant's week in words — sessions, minutes in zone against the
/// prescription, adherence, pain before and after — and optionally a chart of the last weeks.
/// </summary>
internal static partial class ReportCommand
{
    private const int ChartWeeks = 8;

    public static Command Create()
    {
        var participantOption = new Option<string>("--participant") { Description = "The participant's code.", Required = true };
        var weekOption = new Option<string?>("--week") { Description = "ISO week, e.g. 2026-W10 (default: the current week in the participant's time zone)." };
        var registryOption = ParticipantRegistryFile.Option();
        var plotOption = new Option<FileInfo?>("--plot") { Description = "Also write an SVG chart of weekly adherence against the prescription with the pain trend." };
        var urlOption = CommonOptions.InfluxUrl();
        var databaseOption = CommonOptions.InfluxDatabase();
        var modelVersionOption = CommonOptions.ModelVersion();
        var command = new Command("report", "A participant's weekly report: sessions, minutes in zone, adherence and pain.")
        {
            participantOption, weekOption, registryOption, plotOption, urlOption, databaseOption, modelVersionOption,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            Participant participant;
            DateOnly monday;
            InfluxConnectionOptions connection;
            string? modelVersion;
            try
            {
                var configuration = CommonOptions.Build(parseResult);
                connection = CommonOptions.Connection(parseResult, configuration, urlOption, databaseOption);
                modelVersion = CommonOptions.ReadModelVersion(parseResult, configuration, modelVersionOption);
                var registry = ParticipantRegistryLoader.Load(ParticipantRegistryFile.Resolve(parseResult, registryOption));
                var code = parseResult.GetValue(participantOption)!;
                participant = registry.Find(code) ?? throw new ArgumentException($"Participant '{code}' is not in the registry.");
                monday = ParseWeek(parseResult.GetValue(weekOption)) ?? MondayOf(participant.LocalDate(DateTimeOffset.UtcNow));
            }
            catch (Exception ex) when (ex is ConfigurationException or ArgumentException or InvalidOperationException or RegistryValidationException or IOException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }

            using var http = InfluxHttpClient.Create(connection);
            var query = new InfluxQueryClient(http, connection);
            try
            {
                var report = await WeeklyReport.LoadAsync(query, participant, monday, ChartWeeks, modelVersion, cancellationToken);
                await output.WriteAsync(report.ToText());
                if (parseResult.GetValue(plotOption) is { } plot)
                {
                    await File.WriteAllTextAsync(plot.FullName, report.ToSvg(), cancellationToken);
                    await output.WriteLineAsync($"Chart written to {plot.FullName}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return 2;
            }

            return 0;
        });
        return command;
    }

    private static DateOnly MondayOf(DateOnly date) => date.AddDays(-(((int)date.DayOfWeek + 6) % 7));

    private static DateOnly? ParseWeek(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var match = WeekPattern().Match(text);
        if (!match.Success)
        {
            throw new ArgumentException($"--week '{text}' is not an ISO week such as 2026-W10.");
        }

        var year = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var week = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        if (week < 1 || week > ISOWeek.GetWeeksInYear(year))
        {
            throw new ArgumentException($"--week '{text}': {year} has weeks 1–{ISOWeek.GetWeeksInYear(year)}.");
        }

        return DateOnly.FromDateTime(ISOWeek.ToDateTime(year, week, DayOfWeek.Monday));
    }

    [GeneratedRegex(@"^(\d{4})-W(\d{2})$")]
    private static partial Regex WeekPattern();
}

/// <summary>The figures of one participant's week and the weeks before it, read from InfluxDB.</summary>
internal sealed class WeeklyReport
{
    private readonly Participant _participant;
    private readonly DateOnly _monday;
    private readonly List<(string Label, double? Adherence, double Target, double Prescribed, int Done, double SessionsPrescribed)> _weeks = [];
    private readonly List<(DateTimeOffset Start, double Exercise, double Target, double Light, double Moderate, double Vigorous, double? Heart, string Quality)> _sessions = [];
    private readonly List<(DateTimeOffset Time, string Context, long Nrs)> _pain = [];
    private readonly Dictionary<string, double> _weeklyPain = new(StringComparer.Ordinal);

    private WeeklyReport(Participant participant, DateOnly monday)
    {
        _participant = participant;
        _monday = monday;
    }

    public static async Task<WeeklyReport> LoadAsync(InfluxQueryClient query, Participant participant, DateOnly monday, int weeks, string? modelVersion, CancellationToken cancellationToken)
    {
        var report = new WeeklyReport(participant, monday);
        var p = new Dictionary<string, object?> { ["p"] = participant.Id };
        var version = ModelVersions.Condition(modelVersion, p) is { } condition ? " AND " + condition : "";
        var firstMonday = monday.AddDays(-7 * (weeks - 1));
        var from = Point.ToTimestampNs(participant.StartOfDay(firstMonday));
        var weekStart = Point.ToTimestampNs(participant.StartOfDay(monday));
        var to = Point.ToTimestampNs(participant.StartOfDay(monday.AddDays(7)));
        var c = CultureInfo.InvariantCulture;
        foreach (var row in Rows(await query.QueryAsync(string.Create(c, $"SELECT * FROM \"adherence\" WHERE \"participant\" = $p AND \"period\" = 'week'{version} AND time >= {from} AND time < {to}"), p, cancellationToken)))
        {
            report._weeks.Add((row.GetString("label"), row.IsNull("adherence_pct") ? null : row.GetDouble("adherence_pct"), row.GetDouble("target_min"), row.GetDouble("prescribed_min"), (int)row.GetInt64("sessions_done"), row.GetDouble("sessions_prescribed")));
        }

        foreach (var row in Rows(await query.QueryAsync(string.Create(c, $"SELECT * FROM \"session\" WHERE \"participant\" = $p{version} AND time >= {weekStart} AND time < {to}"), p, cancellationToken)))
        {
            report._sessions.Add((Point.FromTimestampNs(row.TimestampNs), row.GetDouble("exercise_min"), row.GetDouble("target_min"), row.GetDouble("light_min"), row.GetDouble("moderate_min"), row.GetDouble("vigorous_min"),
                row.IsNull("hr_mean_bpm") ? null : row.GetDouble("hr_mean_bpm"), row.GetString("quality")));
        }

        var painByWeek = new Dictionary<string, (long Total, int Count)>(StringComparer.Ordinal);
        foreach (var row in Rows(await query.QueryAsync(string.Create(c, $"SELECT * FROM \"pain_report\" WHERE \"participant\" = $p AND time >= {from} AND time < {to}"), p, cancellationToken)))
        {
            var time = Point.FromTimestampNs(row.TimestampNs);
            if (row.TimestampNs >= weekStart)
            {
                report._pain.Add((time, row.GetString("context"), row.GetInt64("nrs")));
            }

            // Mean NRS per week for the trend line.
            var label = AdherenceCalculator.WeekLabel(participant.LocalDate(time));
            painByWeek[label] = painByWeek.TryGetValue(label, out var sum) ? (sum.Total + row.GetInt64("nrs"), sum.Count + 1) : (row.GetInt64("nrs"), 1);
        }

        foreach (var (label, (total, count)) in painByWeek)
        {
            report._weeklyPain[label] = (double)total / count;
        }

        return report;
    }

    public string ToText()
    {
        var c = CultureInfo.InvariantCulture;
        var label = AdherenceCalculator.WeekLabel(_monday);
        var text = new StringBuilder();
        text.Append(c, $"Week {label} ({_monday:yyyy-MM-dd} – {_monday.AddDays(6):yyyy-MM-dd}) for {_participant.Id}, arm {_participant.Arm}, site {_participant.Site}\n");
        if (_participant.PrescriptionOn(_monday.AddDays(3)) is { } rx)
        {
            text.Append(c, $"  prescription  {rx.SessionsPerWeek} × {rx.MinutesPerSession} min a week, {IntensityZones.Name(rx.TargetZone)} or above, counting {string.Join(", ", rx.CountingClasses)}\n");
        }
        else
        {
            text.Append("  prescription  none in force\n");
        }

        text.Append(c, $"  sessions      {_sessions.Count}\n");
        foreach (var s in _sessions)
        {
            text.Append(c, $"    {_participant.LocalTime(s.Start):ddd yyyy-MM-dd HH:mm}  {s.Exercise,5:0.0} min exercise, {s.Target,5:0.0} in target (light {s.Light:0.0}, moderate {s.Moderate:0.0}, vigorous {s.Vigorous:0.0}){(s.Heart is { } h ? string.Create(c, $", HR {h:0} bpm") : "")}, {s.Quality}\n");
        }

        var week = _weeks.FirstOrDefault(w => w.Label == label);
        if (week.Label is null)
        {
            text.Append("  adherence     no figure stored for this week\n");
        }
        else
        {
            text.Append(c, $"  adherence     {week.Target:0.0} of {week.Prescribed:0} min in the target zone, {week.Done} of {week.SessionsPrescribed:0.#} sessions: {(week.Adherence is { } a ? a.ToString("0", c) + " %" : "no prescription")}\n");
        }

        if (_pain.Count == 0)
        {
            text.Append("  pain          no reports\n");
        }
        else
        {
            foreach (var context in new[] { "pre", "post", "daily" })
            {
                var reports = _pain.Where(p => p.Context == context).ToList();
                if (reports.Count > 0)
                {
                    text.Append(c, $"  pain {context,-8} mean NRS {reports.Average(r => r.Nrs):0.0} over {reports.Count} report(s)\n");
                }
            }
        }

        return text.ToString();
    }

    /// <summary>Bars of weekly adherence % with the 100 % prescription and 80 % satisfactory lines, and mean NRS (0–10) on the right axis.</summary>
    public string ToSvg()
    {
        var labels = Enumerable.Range(0, 8).Select(i => AdherenceCalculator.WeekLabel(_monday.AddDays(-7 * (7 - i))));
        return AdherenceCharts.WeeklyAdherence(_participant.Id, [.. labels.Select(label => new WeekBar(label,
            _weeks.FirstOrDefault(w => w.Label == label).Adherence,
            _weeklyPain.TryGetValue(label, out var nrs) ? nrs : null))]);
    }

    private static IEnumerable<InfluxRow> Rows(IReadOnlyList<InfluxSeries> series) => series.SelectMany(s => s.Rows);
}
