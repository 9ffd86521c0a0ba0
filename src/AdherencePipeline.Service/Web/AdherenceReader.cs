using System.Globalization;
using System.Text;
using AdherencePipeline.Adherence;
using AdherencePipeline.Outcomes;
using AdherencePipeline.Service.Commands;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Service.Web;

/// <summary>One stored week of adherence (measurement <c>adherence</c>, period <c>week</c>).</summary>
/// <param name="Week">ISO week label, e.g. <c>2026-W10</c>.</param>
/// <param name="AdherencePct">100 · min(1, target ÷ prescribed); null without a prescription.</param>
/// <param name="TargetMin">Target-zone minutes done.</param>
/// <param name="PrescribedMin">Target-zone minutes prescribed.</param>
/// <param name="ExerciseMin">All exercise minutes.</param>
/// <param name="SessionsDone">Sessions with at least one target minute.</param>
/// <param name="SessionsPrescribed">Sessions prescribed, pro rata.</param>
public sealed record WeekAdherence(string Week, double? AdherencePct, double TargetMin, double PrescribedMin, double ExerciseMin, int SessionsDone, double SessionsPrescribed);

/// <summary>One stored exercise session (measurement <c>session</c>).</summary>
/// <param name="Start">Start (UTC).</param>
/// <param name="End">End (UTC).</param>
/// <param name="LocalDate">The participant's local date of the start.</param>
/// <param name="ExerciseMin">Exercise minutes.</param>
/// <param name="TargetMin">Minutes of the prescription's classes at its zone or above.</param>
/// <param name="LightMin">Exercise minutes in the light zone.</param>
/// <param name="ModerateMin">Exercise minutes in the moderate zone.</param>
/// <param name="VigorousMin">Exercise minutes in the vigorous zone.</param>
/// <param name="HeartRateMeanBpm">Mean heart rate; null without heart rate.</param>
/// <param name="Coverage">Share of the span with a valid signal, 0–1.</param>
/// <param name="Quality"><c>ok</c>, or the data-quality flags.</param>
public sealed record SessionSummary(DateTimeOffset Start, DateTimeOffset End, string LocalDate, double ExerciseMin, double TargetMin,
    double LightMin, double ModerateMin, double VigorousMin, double? HeartRateMeanBpm, double Coverage, string Quality);

/// <summary>One stored pain report (measurement <c>pain_report</c>).</summary>
/// <param name="Time">When it was made (UTC).</param>
/// <param name="Context"><c>pre</c>, <c>post</c> or <c>daily</c>.</param>
/// <param name="Nrs">Pain intensity 0–10.</param>
/// <param name="PegPain">PEG-3 average pain, when answered.</param>
/// <param name="PegEnjoyment">PEG-3 interference with enjoyment of life.</param>
/// <param name="PegActivity">PEG-3 interference with general activity.</param>
/// <param name="LocalDate">The participant's local date.</param>
public sealed record PainEntry(DateTimeOffset Time, string Context, int Nrs, int? PegPain, int? PegEnjoyment, int? PegActivity, string LocalDate);

/// <summary>One classified window (measurement <c>activity</c>).</summary>
/// <param name="Start">Window start (UTC).</param>
/// <param name="DurationS">Window length in seconds.</param>
/// <param name="Activity">The class after temporal smoothing.</param>
/// <param name="Intensity"><c>light</c>, <c>moderate</c>, <c>vigorous</c>, or null.</param>
public sealed record ActivityWindow(DateTimeOffset Start, double DurationS, string Activity, string? Intensity);

/// <summary>
/// Reads what the pipeline stored for the web API and pages, and writes pain reports synchronously.
/// Participant codes reach InfluxDB only as bound parameters; times only as numbers formatted here.
/// </summary>
internal sealed class AdherenceReader(HttpClient http, InfluxConnectionOptions connection)
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;
    private readonly InfluxQueryClient _query = new(http, connection);
    private readonly StudyDataReader _study = new(new InfluxQueryClient(http, connection));

    /// <summary>Where the data lives, for messages.</summary>
    public string Description => $"InfluxDB at {connection.Url}, database '{connection.Database}'";

    public async Task<IReadOnlyList<WeekAdherence>> WeeksAsync(Participant participant, DateOnly fromMonday, DateOnly toMonday, CancellationToken cancellationToken)
    {
        var rows = await RowsAsync("adherence", participant, participant.StartOfDay(fromMonday), participant.StartOfDay(toMonday.AddDays(7)), "AND \"period\" = 'week'", cancellationToken);
        return [.. rows.Select(r => new WeekAdherence(r.GetString("label"), r.IsNull("adherence_pct") ? null : r.GetDouble("adherence_pct"), r.GetDouble("target_min"),
            r.GetDouble("prescribed_min"), r.IsNull("exercise_min") ? 0 : r.GetDouble("exercise_min"), (int)r.GetInt64("sessions_done"), r.GetDouble("sessions_prescribed")))];
    }

    public async Task<IReadOnlyList<SessionSummary>> SessionsAsync(Participant participant, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var rows = await RowsAsync("session", participant, from, to, "", cancellationToken);
        return [.. rows.Select(r => new SessionSummary(Point.FromTimestampNs(r.TimestampNs), Point.FromTimestampNs(r.GetInt64("end_ns")),
            r.IsNull("local_date") ? "" : r.GetString("local_date"), r.GetDouble("exercise_min"), r.GetDouble("target_min"), r.GetDouble("light_min"),
            r.GetDouble("moderate_min"), r.GetDouble("vigorous_min"), r.IsNull("hr_mean_bpm") ? null : r.GetDouble("hr_mean_bpm"),
            r.IsNull("coverage") ? 0 : r.GetDouble("coverage"), r.IsNull("quality") ? "" : r.GetString("quality")))];
    }

    /// <summary>The most recent session's start, or null when none is stored.</summary>
    public async Task<DateTimeOffset?> LastSessionAsync(Participant participant, CancellationToken cancellationToken)
    {
        var series = await _query.QueryAsync("SELECT LAST(\"end_ns\") FROM \"session\" WHERE \"participant\" = $participant",
            new Dictionary<string, object?> { ["participant"] = participant.Id }, cancellationToken).ConfigureAwait(false);
        return series.SelectMany(s => s.Rows).Select(r => (DateTimeOffset?)Point.FromTimestampNs(r.TimestampNs)).FirstOrDefault();
    }

    public async Task<IReadOnlyList<PainEntry>> PainAsync(Participant participant, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var rows = await RowsAsync("pain_report", participant, from, to, "", cancellationToken);
        return [.. rows.Select(r => new PainEntry(Point.FromTimestampNs(r.TimestampNs), r.GetString("context"), (int)r.GetInt64("nrs"), Int(r, "peg_pain"),
            Int(r, "peg_enjoyment"), Int(r, "peg_activity"), r.IsNull("local_date") ? "" : r.GetString("local_date")))];
    }

    public async Task<IReadOnlyList<ActivityWindow>> ActivityAsync(Participant participant, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var rows = await RowsAsync("activity", participant, from, to, "", cancellationToken);
        return [.. rows.Select(r => new ActivityWindow(Point.FromTimestampNs(r.TimestampNs), r.IsNull("duration_s") ? 5 : r.GetDouble("duration_s"),
            r.IsNull("activity_smoothed") ? r.GetString("activity") : r.GetString("activity_smoothed"), r.IsNull("intensity") ? null : r.GetString("intensity")))];
    }

    /// <summary>The rows of one measurement as CSV, in the same form as <c>adherence query --format csv</c>.</summary>
    public async Task<string> CsvAsync(string measurement, Participant participant, DateTimeOffset? from, DateTimeOffset? to, string? period, CancellationToken cancellationToken)
    {
        var (text, parameters) = QueryCommand.Build(measurement, participant.Id, null, from, to, period);
        return QueryCommand.Format(await _query.QueryAsync(text, parameters, cancellationToken).ConfigureAwait(false), "csv");
    }

    /// <summary>
    /// Stores one report and returns once InfluxDB has accepted it, linked to the nearest session when one
    /// is stored; the outcome tells the caller whether it was stored.
    /// </summary>
    public async Task<WriteOutcome> StorePainAsync(PainReport report, CancellationToken cancellationToken)
    {
        long? session = null;
        if (report.Context != PainContext.Daily)
        {
            const long hour = 3_600_000_000_000L;
            var t = Point.ToTimestampNs(report.Time);
            var series = await _query.QueryAsync(string.Create(C, $"SELECT \"end_ns\" FROM \"session\" WHERE \"participant\" = $p AND time >= {t - 8 * hour} AND time <= {t + 3 * hour}"),
                new Dictionary<string, object?> { ["p"] = report.Participant }, cancellationToken).ConfigureAwait(false);
            session = PainSessionLink.Find(report.Context, report.Time, series.SelectMany(s => s.Rows).Select(r => (r.TimestampNs, r.GetInt64("end_ns"))));
        }

        var line = report.ToPoint(session).ToString() + "\n";
        return await new InfluxV1WriteEndpoint(http, connection).WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A participant's stored questionnaires, re-scored with the given instruments (latest entry per time point and instrument).</summary>
    public Task<IReadOnlyList<OutcomeRecord>> OutcomesAsync(IReadOnlyList<Instrument> instruments, Participant participant, CancellationToken cancellationToken) =>
        _study.OutcomesAsync(instruments, participant.Id, cancellationToken);

    /// <summary>Stores one questionnaire as <c>adherence outcomes add</c> does and returns once InfluxDB has answered.</summary>
    public Task<WriteOutcome> StoreOutcomeAsync(OutcomeRecord record, CancellationToken cancellationToken) =>
        OutcomeWriter.WriteAsync(http, connection, record, cancellationToken);

    /// <summary>Each participant's last second with a valid heart rate before <paramref name="beforeUtc"/>.</summary>
    public Task<IReadOnlyDictionary<string, DateTimeOffset>> LastValidWearAsync(DateTimeOffset beforeUtc, CancellationToken cancellationToken) =>
        _study.LastValidWearAsync(beforeUtc, cancellationToken);

    private async Task<IEnumerable<InfluxRow>> RowsAsync(string measurement, Participant participant, DateTimeOffset from, DateTimeOffset to, string extra, CancellationToken cancellationToken)
    {
        var text = string.Create(C, $"SELECT * FROM {connection.Source(measurement)} WHERE \"participant\" = $participant {extra} AND time >= {Point.ToTimestampNs(from)} AND time < {Point.ToTimestampNs(to)} ORDER BY time");
        var series = await _query.QueryAsync(text, new Dictionary<string, object?> { ["participant"] = participant.Id }, cancellationToken).ConfigureAwait(false);
        return series.SelectMany(s => s.Rows);
    }

    private static int? Int(InfluxRow row, string column) => row.IsNull(column) ? null : (int)row.GetInt64(column);
}
