using System.Buffers;

namespace AdherencePipeline.Sensors;

/// <summary>
/// A reusable block of accelerometer samples decoded from one notification: sensor timestamps in
/// nanoseconds and x/y/z in milli-g. Its arrays are rented from <see cref="ArrayPool{T}.Shared"/>
/// once and reused for every frame, so decoding into it does not allocate; dispose to return them.
/// </summary>
public sealed class AccelerometerBlock : IDisposable
{
    private long[] _timestampsNs;
    private double[] _x;
    private double[] _y;
    private double[] _z;

    /// <summary>Creates a block that can hold <paramref name="capacity"/> samples.</summary>
    public AccelerometerBlock(int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _timestampsNs = ArrayPool<long>.Shared.Rent(capacity);
        _x = ArrayPool<double>.Shared.Rent(capacity);
        _y = ArrayPool<double>.Shared.Rent(capacity);
        _z = ArrayPool<double>.Shared.Rent(capacity);
        Capacity = capacity;
    }

    /// <summary>The most samples one decode may write.</summary>
    public int Capacity { get; }

    /// <summary>How many samples the last successful decode wrote.</summary>
    public int Count { get; private set; }

    /// <summary>The nominal sample rate of the stream, Hz.</summary>
    public double SampleRateHz { get; private set; }

    /// <summary>The frame's own timestamp (the last sample's), on the sensor clock, ns.</summary>
    public long FrameTimestampNs { get; private set; }

    /// <summary>Per-sample sensor timestamps, ns (PMD: since 2000-01-01 on the device clock).</summary>
    public ReadOnlySpan<long> TimestampsNs => _timestampsNs.AsSpan(0, Count);

    /// <summary>X acceleration, milli-g.</summary>
    public ReadOnlySpan<double> XMilliG => _x.AsSpan(0, Count);

    /// <summary>Y acceleration, milli-g.</summary>
    public ReadOnlySpan<double> YMilliG => _y.AsSpan(0, Count);

    /// <summary>Z acceleration, milli-g.</summary>
    public ReadOnlySpan<double> ZMilliG => _z.AsSpan(0, Count);

    /// <summary>Forgets the samples (capacity is kept).</summary>
    public void Clear() => Count = 0;

    /// <summary>Returns the arrays to the pool; the block must not be used afterwards.</summary>
    public void Dispose()
    {
        Count = 0;
        ReturnAndClear(ref _timestampsNs);
        ReturnAndClear(ref _x);
        ReturnAndClear(ref _y);
        ReturnAndClear(ref _z);
    }

    internal Span<long> WritableTimestamps => _timestampsNs.AsSpan(0, Capacity);

    internal Span<double> WritableX => _x.AsSpan(0, Capacity);

    internal Span<double> WritableY => _y.AsSpan(0, Capacity);

    internal Span<double> WritableZ => _z.AsSpan(0, Capacity);

    internal void Commit(int count, double sampleRateHz, long frameTimestampNs)
    {
        Count = count;
        SampleRateHz = sampleRateHz;
        FrameTimestampNs = frameTimestampNs;
    }

    private static void ReturnAndClear<T>(ref T[] array)
    {
        if (array.Length > 0)
        {
            ArrayPool<T>.Shared.Return(array);
            array = [];
        }
    }
}
