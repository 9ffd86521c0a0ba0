using System.Globalization;
using AdherencePipeline.Adherence;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Outcomes;

/// <summary>A stored weekly <c>adherence</c> point.</summary>
/// <param name="Participant">The participant's code.</param>
/// <param name="Week">ISO week label, e.g. <c>2026-W10</c>.</param>
/// <param name="SessionsDone">Sessions with at least one target minute.</param>
/// <param name="SessionsPrescribed">Sessions prescribed, pro rata.</param>
/// <param name="AdherencePct">Adherence in %, <c>null</c> without a prescription.</param>
/// <param name="TargetMin">Target-zone minutes done.</param>
/// <param name="PrescribedMin">Minutes prescribed.</param>
/// <param name="ExerciseMin">All exercise minutes.</param>
public sealed record StoredWeek(string Participant, string Week, long SessionsDone, double SessionsPrescribed, double? AdherencePct, double TargetMin, double PrescribedMin, double ExerciseMin);

/// <summary>A stored <c>session</c> point: its local date and minutes per zone and per exercise class.</summary>
/// <param name="Participant">The participant's code.</param>
/// <param name="LocalDate">The participant's local date of the start.</param>
/// <param name="MinutesByZone">Exercise minutes per intensity zone (<c>light</c>, <c>moderate</c>, <c>vigorous</c>).</param>
/// <param name="MinutesByClass">Exercise minutes per activity class.</param>
public sealed record StoredSession(string Participant, DateOnly LocalDate, IReadOnlyDictionary<string, double> MinutesByZone, IReadOnlyDictionary<string, double> MinutesByClass);

/// <summary>A stored <c>pain_report</c> point, reduced to what the analysis uses.</summary>
/// <param name="Participant">The participant's code.</param>
/// <param name="LocalDate">The participant's local date of the report.</param>
/// <param name="Nrs">Pain, 0–10.</param>
/// <param name="PegScore">PEG score 0–10 when PEG-3 was answered.</param>
public sealed record StoredPain(string Participant, DateOnly LocalDate, long Nrs, double? PegScore);

/// <summary>
/// Reads what the pipeline stored for the researchers' analysis — weekly adherence, sessions, pain
/// reports, outcome questionnaires and valid wear — with bound parameters only.
/// </summary>
public sealed class StudyDataReader(InfluxQueryClient query)
{
    /// <summary>The intensity zones as named in <c>session</c> fields.</summary>
    public static readonly IReadOnlyList<string> Zones = ["light", "moderate", "vigorous"];

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;
    private static readonly string[] OutcomeTags = ["participant", "arm", "site", "instrument", "time_point"];

    /// <summary>Weekly adherence points whose week starts in [<paramref name="fromUtc"/>, <paramref name="toUtc"/>).</summary>
    public async Task<IReadOnlyList<StoredWeek>> WeeksAsync(DateTimeOffset fromUtc, DateTimeOffset toUtc, CancellationToken cancellationToken = default)
    {
        var rows = await RowsAsync($"SELECT * FROM \"adherence\" WHERE \"period\" = 'week' AND {Range(fromUtc, toUtc)}", null, cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => new StoredWeek(r.GetString("participant"), r.GetString("label"), r.GetInt64("sessions_done"), r.GetDouble("sessions_prescribed"),
            r.IsNull("adherence_pct") ? null : r.GetDouble("adherence_pct"), r.GetDouble("target_min"), r.GetDouble("prescribed_min"), r.GetDouble("exercise_min")))];
    }

    /// <summary>Sessions that started in [<paramref name="fromUtc"/>, <paramref name="toUtc"/>).</summary>
    public async Task<IReadOnlyList<StoredSession>> SessionsAsync(DateTimeOffset fromUtc, DateTimeOffset toUtc, CancellationToken cancellationToken = default)
    {
        var series = await query.QueryAsync($"SELECT * FROM \"session\" WHERE {Range(fromUtc, toUtc)}", null, cancellationToken).ConfigureAwait(false);
        var sessions = new List<StoredSession>();
        foreach (var s in series)
        {
            var classColumns = s.Columns.Where(c => c.StartsWith("min_", StringComparison.Ordinal)).ToList();
            foreach (var r in s.Rows)
            {
                var zones = Zones.ToDictionary(z => z, z => r.IsNull(z + "_min") ? 0 : r.GetDouble(z + "_min"), StringComparer.Ordinal);
                var classes = classColumns.Where(c => !r.IsNull(c)).ToDictionary(c => c[4..], c => r.GetDouble(c), StringComparer.Ordinal);
                sessions.Add(new StoredSession(r.GetString("participant"), Date(r.GetString("local_date")), zones, classes));
            }
        }

        return sessions;
    }

    /// <summary>Pain reports made in [<paramref name="fromUtc"/>, <paramref name="toUtc"/>).</summary>
    public async Task<IReadOnlyList<StoredPain>> PainAsync(DateTimeOffset fromUtc, DateTimeOffset toUtc, CancellationToken cancellationToken = default)
    {
        var rows = await RowsAsync($"SELECT * FROM \"pain_report\" WHERE {Range(fromUtc, toUtc)}", null, cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => new StoredPain(r.GetString("participant"), Date(r.GetString("local_date")), r.GetInt64("nrs"), r.IsNull("peg_score") ? null : r.GetDouble("peg_score")))];
    }

    /// <summary>
    /// Stored questionnaires, re-scored with the given instruments; for each participant, instrument and
    /// time point the latest entry wins (a corrected re-entry replaces the first). Records of instruments
    /// not given are skipped.
    /// </summary>
    public async Task<IReadOnlyList<OutcomeRecord>> OutcomesAsync(IReadOnlyList<Instrument> instruments, string? participant = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instruments);
        var where = participant is null ? "" : " WHERE \"participant\" = $p";
        var parameters = participant is null ? null : new Dictionary<string, object?> { ["p"] = participant };
        var series = await query.QueryAsync($"SELECT * FROM \"{OutcomeRecord.Measurement}\"{where}", parameters, cancellationToken).ConfigureAwait(false);
        var latest = new Dictionary<(string, string, string), OutcomeRecord>();
        foreach (var row in series.SelectMany(s => s.Rows))
        {
            var tags = OutcomeTags.ToDictionary(t => t, row.GetString, StringComparer.Ordinal);
            if (instruments.FirstOrDefault(i => i.Id == tags["instrument"]) is not { } instrument)
            {
                continue;
            }

            var record = OutcomeRecord.FromStored(tags, f => row.IsNull(f) ? null : row.GetInt64(f), row.GetString("local_date"), row.TimestampNs, instrument);
            var key = (record.Participant, record.Instrument, record.TimePoint);
            if (!latest.TryGetValue(key, out var earlier) || earlier.Time <= record.Time)
            {
                latest[key] = record;
            }
        }

        return [.. latest.Values.OrderBy(r => r.Participant, StringComparer.Ordinal).ThenBy(r => r.Time)];
    }

    /// <summary>The last second with a valid heart rate of each participant that has one, before <paramref name="beforeUtc"/>.</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> LastValidWearAsync(DateTimeOffset beforeUtc, CancellationToken cancellationToken = default)
    {
        var series = await query.QueryAsync(string.Create(C, $"SELECT LAST(\"hr_bpm\") FROM {query.Source("heart_rate")} WHERE time < {Point.ToTimestampNs(beforeUtc)} GROUP BY \"participant\""), null, cancellationToken).ConfigureAwait(false);
        var last = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var s in series)
        {
            if (s.Tags.TryGetValue("participant", out var p) && s.Rows.Count > 0)
            {
                last[p] = Point.FromTimestampNs(s.Rows[0].TimestampNs);
            }
        }

        return last;
    }

    /// <summary>
    /// Seconds with a valid heart rate per participant and 15-minute slot (UTC) in the range; 15 minutes
    /// divides every time-zone offset in use, so slots can be assigned to local days and weeks exactly.
    /// </summary>
    public async Task<IReadOnlyList<(string Participant, DateTimeOffset SlotStart, long Seconds)>> ValidWearSlotsAsync(DateTimeOffset fromUtc, DateTimeOffset toUtc, CancellationToken cancellationToken = default)
    {
        var series = await query.QueryAsync($"SELECT COUNT(\"hr_bpm\") FROM {query.Source("heart_rate")} WHERE {Range(fromUtc, toUtc)} GROUP BY time(15m), \"participant\" fill(none)", null, cancellationToken).ConfigureAwait(false);
        var slots = new List<(string, DateTimeOffset, long)>();
        foreach (var s in series)
        {
            var participant = s.Tags.GetValueOrDefault("participant", "");
            slots.AddRange(s.Rows.Select(r => (participant, Point.FromTimestampNs(r.TimestampNs), r.GetInt64("count"))));
        }

        return slots;
    }

    private async Task<IEnumerable<InfluxRow>> RowsAsync(string influxQl, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken) =>
        (await query.QueryAsync(influxQl, parameters, cancellationToken).ConfigureAwait(false)).SelectMany(s => s.Rows);

    private static string Range(DateTimeOffset from, DateTimeOffset to) =>
        string.Create(C, $"time >= {Point.ToTimestampNs(from)} AND time < {Point.ToTimestampNs(to)}");

    private static DateOnly Date(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", C);
}
