namespace AdherencePipeline.Signal;

/// <summary>
/// Finds gaps in a stream of sample timestamps: two consecutive samples further apart than the
/// interpolation limit, or a timestamp that does not move forward (a restarted sensor clock).
/// </summary>
public sealed class GapDetector
{
    private readonly long _maxStepNs;
    private long _lastNs = long.MinValue;

    /// <summary>Creates a detector; steps longer than <paramref name="maxInterpolationGap"/> are gaps.</summary>
    public GapDetector(TimeSpan maxInterpolationGap)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxInterpolationGap, TimeSpan.Zero);
        _maxStepNs = maxInterpolationGap.Ticks * 100;
    }

    /// <summary>Whether a sample has been seen.</summary>
    public bool HasPrevious => _lastNs != long.MinValue;

    /// <summary>
    /// Classifies the next timestamp: <c>null</c> when it continues the stream, else the gap it ends.
    /// A timestamp at or before the previous one ends a <see cref="GapReason.ClockReset"/> gap.
    /// </summary>
    public SignalGap? Next(long timestampNs)
    {
        var last = _lastNs;
        _lastNs = timestampNs;
        if (last == long.MinValue)
        {
            return null;
        }

        if (timestampNs <= last)
        {
            return new SignalGap(last, timestampNs, GapReason.ClockReset);
        }

        return timestampNs - last > _maxStepNs ? new SignalGap(last, timestampNs, GapReason.MissingSamples) : null;
    }

    /// <summary>Forgets the previous sample (after a disconnect).</summary>
    public void Reset() => _lastNs = long.MinValue;
}
