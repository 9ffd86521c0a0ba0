namespace AdherencePipeline.Recordings;

/// <summary>
/// Beat-to-beat (RR) intervals as columns: time of the beat, interval in milliseconds and, where the
/// source gives one, its quality code. Intervals are kept as given, including implausible ones (a 0 ms
/// first interval, for example): rejecting artefacts is the filter stage's job, not the reader's.
/// </summary>
public sealed class RrIntervalSeries
{
    private readonly long[] _timestampNs;
    private readonly double[] _intervalMs;
    private readonly int[]? _quality;

    /// <summary>Creates a series; the arrays are owned by it from then on.</summary>
    /// <param name="timestampNs">Nanoseconds since the recording start, strictly increasing.</param>
    /// <param name="intervalMs">RR interval in milliseconds, finite and not negative.</param>
    /// <param name="quality">The source's quality code per interval, or null when it gives none.</param>
    public RrIntervalSeries(long[] timestampNs, double[] intervalMs, int[]? quality = null)
    {
        ArgumentNullException.ThrowIfNull(timestampNs);
        ArgumentNullException.ThrowIfNull(intervalMs);
        if (intervalMs.Length != timestampNs.Length || (quality is not null && quality.Length != timestampNs.Length))
        {
            throw new ArgumentException("All columns of an RR-interval series must have the same length.", nameof(timestampNs));
        }

        SeriesChecks.TimestampsIncreasing(timestampNs, nameof(timestampNs));
        SeriesChecks.FiniteNonNegative(intervalMs, nameof(intervalMs));
        _timestampNs = timestampNs;
        _intervalMs = intervalMs;
        _quality = quality;
    }

    /// <summary>Number of intervals.</summary>
    public int Count => _timestampNs.Length;

    /// <summary>Nanoseconds since the recording start.</summary>
    public ReadOnlyMemory<long> TimestampNs => _timestampNs;

    /// <summary>RR interval in milliseconds.</summary>
    public ReadOnlyMemory<double> IntervalMs => _intervalMs;

    /// <summary>Whether <see cref="Quality"/> holds a code per interval.</summary>
    public bool HasQuality => _quality is not null;

    /// <summary>The source's quality code per interval; empty when <see cref="HasQuality"/> is false.</summary>
    public ReadOnlyMemory<int> Quality => _quality;
}
