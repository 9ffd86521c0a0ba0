namespace AdherencePipeline.Recordings;

/// <summary>
/// Accelerometer samples as columns: time, x/y/z in g, and optionally the source's activity label and
/// a clipping flag per sample. Validated on construction: equal lengths, time non-negative and strictly
/// increasing, every value finite.
/// </summary>
/// <remarks>
/// Acceleration is stored as <see cref="float"/>: 12 bytes per sample instead of 24, and float's 24-bit
/// mantissa (relative error below 6e-8) is far finer than any source here (12-bit counts, or m/s² with
/// five significant digits). Timestamps stay <see cref="long"/> nanoseconds so that no rate is ever
/// rounded into them. The arrays passed in are owned by the series from then on; do not change them.
/// </remarks>
public sealed class AccelSeries
{
    private readonly long[] _timestampNs;
    private readonly float[] _xG;
    private readonly float[] _yG;
    private readonly float[] _zG;
    private readonly int[]? _labels;
    private readonly bool[]? _clipped;

    /// <summary>Creates a series; see the type's remarks for the rules checked.</summary>
    /// <param name="timestampNs">Nanoseconds since the recording start, strictly increasing, non-negative.</param>
    /// <param name="xG">Acceleration along x in g, including gravity.</param>
    /// <param name="yG">Acceleration along y in g, including gravity.</param>
    /// <param name="zG">Acceleration along z in g, including gravity.</param>
    /// <param name="labels">The source's own activity id per sample, or null when the source has no labels.</param>
    /// <param name="clipped">Per sample, whether any axis sat at the sensor's rails; null when the source's rails are unknown.</param>
    public AccelSeries(long[] timestampNs, float[] xG, float[] yG, float[] zG, int[]? labels = null, bool[]? clipped = null)
    {
        ArgumentNullException.ThrowIfNull(timestampNs);
        ArgumentNullException.ThrowIfNull(xG);
        ArgumentNullException.ThrowIfNull(yG);
        ArgumentNullException.ThrowIfNull(zG);
        var count = timestampNs.Length;
        if (xG.Length != count || yG.Length != count || zG.Length != count
            || (labels is not null && labels.Length != count) || (clipped is not null && clipped.Length != count))
        {
            throw new ArgumentException("All columns of an accelerometer series must have the same length.", nameof(timestampNs));
        }

        SeriesChecks.TimestampsIncreasing(timestampNs, nameof(timestampNs));
        SeriesChecks.Finite(xG, nameof(xG));
        SeriesChecks.Finite(yG, nameof(yG));
        SeriesChecks.Finite(zG, nameof(zG));

        _timestampNs = timestampNs;
        _xG = xG;
        _yG = yG;
        _zG = zG;
        _labels = labels;
        _clipped = clipped;
        if (clipped is not null)
        {
            ClippedCount = clipped.AsSpan().Count(true);
        }
    }

    /// <summary>Number of samples.</summary>
    public int Count => _timestampNs.Length;

    /// <summary>Nanoseconds since the recording start.</summary>
    public ReadOnlyMemory<long> TimestampNs => _timestampNs;

    /// <summary>Acceleration along x in g, including gravity.</summary>
    public ReadOnlyMemory<float> XG => _xG;

    /// <summary>Acceleration along y in g, including gravity.</summary>
    public ReadOnlyMemory<float> YG => _yG;

    /// <summary>Acceleration along z in g, including gravity.</summary>
    public ReadOnlyMemory<float> ZG => _zG;

    /// <summary>Whether <see cref="Labels"/> holds one label per sample.</summary>
    public bool HasLabels => _labels is not null;

    /// <summary>The source's own activity id per sample (not yet mapped to the project's taxonomy); empty when <see cref="HasLabels"/> is false.</summary>
    public ReadOnlyMemory<int> Labels => _labels;

    /// <summary>Whether <see cref="Clipped"/> holds one flag per sample (the source's rails are known).</summary>
    public bool HasClipping => _clipped is not null;

    /// <summary>Per sample, whether any axis was at the sensor's rails; empty when <see cref="HasClipping"/> is false.</summary>
    public ReadOnlyMemory<bool> Clipped => _clipped;

    /// <summary>Samples with at least one axis at the rails; 0 when the rails are unknown.</summary>
    public int ClippedCount { get; }
}
