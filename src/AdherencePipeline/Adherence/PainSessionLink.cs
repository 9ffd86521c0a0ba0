namespace AdherencePipeline.Adherence;

/// <summary>
/// Which session a pain report belongs to: a report made before a session belongs to the next
/// session starting within <see cref="Window"/> of it, one made after a session to the last session
/// that ended within <see cref="Window"/> before it; daily reports belong to none.
/// </summary>
public static class PainSessionLink
{
    /// <summary>How far apart a report and its session may be: 2 hours.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(2);

    /// <summary>The start of the linked session, or null. <paramref name="sessions"/> are (start, end) in ns since the Unix epoch.</summary>
    public static long? Find(PainContext context, DateTimeOffset reportTime, IEnumerable<(long StartNs, long EndNs)> sessions)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        var t = (reportTime.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        var window = Window.Ticks * 100;
        return context switch
        {
            PainContext.Pre => sessions.Where(s => s.StartNs >= t && s.StartNs - t <= window).OrderBy(s => s.StartNs).Select(s => (long?)s.StartNs).FirstOrDefault(),
            PainContext.Post => sessions.Where(s => s.EndNs <= t && t - s.EndNs <= window).OrderByDescending(s => s.EndNs).Select(s => (long?)s.StartNs).FirstOrDefault(),
            _ => null,
        };
    }
}
