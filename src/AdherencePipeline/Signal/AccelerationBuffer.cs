namespace AdherencePipeline.Signal;

/// <summary>
/// A growable, columnar block of 3-axis acceleration: UTC timestamps in nanoseconds and x/y/z in g.
/// Stages write into a buffer the caller owns and clears, so a steady stream allocates nothing.
/// </summary>
public sealed class AccelerationBuffer
{
    private long[] _timestampsNs;
    private float[] _x, _y, _z;

    /// <summary>Creates an empty buffer with room for <paramref name="capacity"/> samples.</summary>
    public AccelerationBuffer(int capacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _timestampsNs = new long[capacity];
        _x = new float[capacity];
        _y = new float[capacity];
        _z = new float[capacity];
    }

    /// <summary>Samples held.</summary>
    public int Count { get; private set; }

    /// <summary>Timestamps in nanoseconds since the Unix epoch, ascending.</summary>
    public ReadOnlySpan<long> TimestampsNs => _timestampsNs.AsSpan(0, Count);

    /// <summary>X acceleration in g.</summary>
    public ReadOnlySpan<float> X => _x.AsSpan(0, Count);

    /// <summary>Y acceleration in g.</summary>
    public ReadOnlySpan<float> Y => _y.AsSpan(0, Count);

    /// <summary>Z acceleration in g.</summary>
    public ReadOnlySpan<float> Z => _z.AsSpan(0, Count);

    /// <summary>Adds one sample.</summary>
    public void Add(long timestampNs, float x, float y, float z)
    {
        if (Count == _timestampsNs.Length)
        {
            var size = Math.Max(16, Count * 2);
            Array.Resize(ref _timestampsNs, size);
            Array.Resize(ref _x, size);
            Array.Resize(ref _y, size);
            Array.Resize(ref _z, size);
        }

        _timestampsNs[Count] = timestampNs;
        _x[Count] = x;
        _y[Count] = y;
        _z[Count] = z;
        Count++;
    }

    /// <summary>Empties the buffer, keeping its memory.</summary>
    public void Clear() => Count = 0;

    /// <summary>A buffer holding copies of the given columns.</summary>
    public static AccelerationBuffer From(ReadOnlySpan<long> timestampsNs, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> z)
    {
        if (x.Length != timestampsNs.Length || y.Length != timestampsNs.Length || z.Length != timestampsNs.Length)
        {
            throw new ArgumentException("Timestamps and the three axes must have the same length.");
        }

        var buffer = new AccelerationBuffer(timestampsNs.Length);
        timestampsNs.CopyTo(buffer._timestampsNs);
        x.CopyTo(buffer._x);
        y.CopyTo(buffer._y);
        z.CopyTo(buffer._z);
        buffer.Count = timestampsNs.Length;
        return buffer;
    }
}

/// <summary>A stretch of time without usable samples, from the last sample before it to the first after it.</summary>
/// <param name="StartNs">Timestamp of the last sample before the gap.</param>
/// <param name="EndNs">Timestamp of the first sample after the gap.</param>
/// <param name="Reason">Why there is a gap.</param>
public readonly record struct SignalGap(long StartNs, long EndNs, GapReason Reason)
{
    /// <summary>The gap's length.</summary>
    public TimeSpan Duration => TimeSpan.FromTicks((EndNs - StartNs) / 100);
}

/// <summary>Why samples are missing.</summary>
public enum GapReason
{
    /// <summary>Samples stopped arriving for longer than the interpolation limit (lost frames).</summary>
    MissingSamples,

    /// <summary>The device disconnected.</summary>
    Disconnected,

    /// <summary>The sensor clock went backwards or jumped (the strap restarted).</summary>
    ClockReset,
}
