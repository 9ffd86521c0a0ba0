namespace AdherencePipeline.Recordings;

/// <summary>
/// Heart-rate samples as columns: time, beats per minute and, where the source gives one, its own
/// quality code (kept as given; its meaning is the source's). Time is non-negative and strictly increasing.
/// </summary>
public sealed class HeartRateSeries
{
    private readonly long[] _timestampNs;
    private readonly double[] _heartRateBpm;
    private readonly int[]? _quality;

    /// <summary>Creates a series; the arrays are owned by it from then on.</summary>
    /// <param name="timestampNs">Nanoseconds since the recording start.</param>
    /// <param name="heartRateBpm">Heart rate in beats per minute, finite and not negative, as the source gave it (no artefact rejection here).</param>
    /// <param name="quality">The source's quality code per sample, or null when it gives none.</param>
    public HeartRateSeries(long[] timestampNs, double[] heartRateBpm, int[]? quality = null)
    {
        ArgumentNullException.ThrowIfNull(timestampNs);
        ArgumentNullException.ThrowIfNull(heartRateBpm);
        if (heartRateBpm.Length != timestampNs.Length || (quality is not null && quality.Length != timestampNs.Length))
        {
            throw new ArgumentException("All columns of a heart-rate series must have the same length.", nameof(timestampNs));
        }

        SeriesChecks.TimestampsIncreasing(timestampNs, nameof(timestampNs));
        SeriesChecks.FiniteNonNegative(heartRateBpm, nameof(heartRateBpm));
        _timestampNs = timestampNs;
        _heartRateBpm = heartRateBpm;
        _quality = quality;
    }

    /// <summary>Number of samples.</summary>
    public int Count => _timestampNs.Length;

    /// <summary>Nanoseconds since the recording start.</summary>
    public ReadOnlyMemory<long> TimestampNs => _timestampNs;

    /// <summary>Heart rate in beats per minute.</summary>
    public ReadOnlyMemory<double> HeartRateBpm => _heartRateBpm;

    /// <summary>Whether <see cref="Quality"/> holds a code per sample.</summary>
    public bool HasQuality => _quality is not null;

    /// <summary>The source's quality code per sample; empty when <see cref="HasQuality"/> is false.</summary>
    public ReadOnlyMemory<int> Quality => _quality;
}
