using System.Globalization;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Adherence;

/// <summary>
/// Reads a participant's stored sessions back from InfluxDB, so adherence after a restart (the service)
/// or in a new wear period (a NATS worker) counts the week's earlier sessions. A NATS worker passes an
/// upper bound: sessions of the period itself, written by a worker that died, are re-made by
/// re-processing and must not be counted twice.
/// </summary>
public static class StoredSessions
{
    private const double NsPerMinute = 60e9;

    /// <summary>The participant's sessions starting at or after <paramref name="fromNs"/> and before <paramref name="untilNs"/> (Unix ns; no upper bound when null), oldest first.</summary>
    public static async Task<IReadOnlyList<Session>> ReadAsync(InfluxQueryClient query, Participant participant, long fromNs, long? untilNs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(participant);
        var before = untilNs is { } until ? string.Create(CultureInfo.InvariantCulture, $" AND time < {until}") : "";
        var series = await query.QueryAsync(
            string.Create(CultureInfo.InvariantCulture, $"SELECT \"end_ns\", \"exercise_min\", \"target_min\", \"bouts\", \"local_date\" FROM \"session\" WHERE \"participant\" = $p AND time >= {fromNs}{before}"),
            new Dictionary<string, object?> { ["p"] = participant.Id },
            cancellationToken).ConfigureAwait(false);
        var sessions = new List<Session>();
        foreach (var row in series.SelectMany(s => s.Rows))
        {
            var summary = ExerciseSummary.Restore(
                row.TimestampNs,
                row.GetInt64("end_ns"),
                (long)Math.Round(row.GetDouble("exercise_min") * NsPerMinute),
                (long)Math.Round(row.GetDouble("target_min") * NsPerMinute));
            var localDate = DateOnly.ParseExact(row.GetString("local_date"), "yyyy-MM-dd", CultureInfo.InvariantCulture);
            sessions.Add(new Session(participant.Id, summary, (int)row.GetInt64("bouts"), SessionQuality.None, localDate));
        }

        return sessions;
    }
}
