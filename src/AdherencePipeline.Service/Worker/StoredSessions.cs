using System.Globalization;
using AdherencePipeline.Adherence;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Service.Worker;

/// <summary>Reads a participant's stored sessions back from InfluxDB, so adherence after a restart counts them.</summary>
internal static class StoredSessions
{
    private const double NsPerMinute = 60e9;

    /// <summary>The participant's sessions that start at or after <paramref name="from"/>, oldest first.</summary>
    public static async Task<IReadOnlyList<Session>> ReadAsync(InfluxQueryClient query, Participant participant, DateTimeOffset from, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(participant);
        var series = await query.QueryAsync(
            string.Create(CultureInfo.InvariantCulture, $"SELECT \"end_ns\", \"exercise_min\", \"target_min\", \"bouts\", \"local_date\" FROM \"session\" WHERE \"participant\" = $p AND time >= {Point.ToTimestampNs(from)}"),
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
