using System.Buffers.Binary;

namespace AdherencePipeline.Sensors;

/// <summary>The integer type of one axis value in a declarative struct layout.</summary>
public enum LayoutValueType
{
    /// <summary>Signed 8-bit.</summary>
    Int8 = 1,

    /// <summary>Signed 16-bit.</summary>
    Int16 = 2,

    /// <summary>Signed 24-bit.</summary>
    Int24 = 3,

    /// <summary>Signed 32-bit.</summary>
    Int32 = 4,
}

/// <summary>The integer type of a declarative frame's timestamp field.</summary>
public enum LayoutTimestampType
{
    /// <summary>Unsigned 32-bit ticks.</summary>
    UInt32 = 4,

    /// <summary>Unsigned 64-bit ticks.</summary>
    UInt64 = 8,
}

/// <summary>An accelerometer axis.</summary>
public enum Axis
{
    /// <summary>X.</summary>
    X,

    /// <summary>Y.</summary>
    Y,

    /// <summary>Z.</summary>
    Z,
}

/// <summary>Where a declarative frame carries its timestamp and what it means.</summary>
/// <param name="Offset">Byte offset of the field inside the header.</param>
/// <param name="Type">Its integer type.</param>
/// <param name="UnitNs">Nanoseconds per tick (1000 for microseconds, 30517.578125 for 1/32768 s).</param>
/// <param name="RefersToFirstSample">True when it stamps the first sample; false (the default) for the last.</param>
public sealed record LayoutTimestamp(int Offset, LayoutTimestampType Type, double UnitNs, bool RefersToFirstSample = false);

/// <summary>
/// A fixed struct layout for lab-built firmware: an optional header (possibly holding a timestamp),
/// then samples of three signed integers in a declared axis order, scaled to milli-g by a constant.
/// A lab describes its firmware with one of these in a profile instead of writing a decoder.
/// </summary>
public sealed record DeclarativeLayout
{
    /// <summary>Creates a layout; throws <see cref="ArgumentException"/> when it cannot describe a frame.</summary>
    public DeclarativeLayout(
        LayoutValueType valueType,
        IReadOnlyList<Axis> axisOrder,
        double scaleMilliG,
        double sampleRateHz,
        bool bigEndian = false,
        int headerBytes = 0,
        LayoutTimestamp? timestamp = null,
        int? samplesPerFrame = null)
    {
        ArgumentNullException.ThrowIfNull(axisOrder);
        if (axisOrder.Count != 3 || axisOrder.Distinct().Count() != 3)
        {
            throw new ArgumentException("The axis order must name x, y and z once each.", nameof(axisOrder));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scaleMilliG);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRateHz);
        ArgumentOutOfRangeException.ThrowIfNegative(headerBytes);
        if (timestamp is not null && (timestamp.Offset < 0 || timestamp.Offset + (int)timestamp.Type > headerBytes || !(timestamp.UnitNs > 0)))
        {
            throw new ArgumentException("The timestamp must lie inside the header and have a positive unit.", nameof(timestamp));
        }

        if (samplesPerFrame is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(samplesPerFrame), samplesPerFrame, "Samples per frame must be positive.");
        }

        ValueType = valueType;
        AxisOrder = [.. axisOrder];
        ScaleMilliG = scaleMilliG;
        SampleRateHz = sampleRateHz;
        BigEndian = bigEndian;
        HeaderBytes = headerBytes;
        Timestamp = timestamp;
        SamplesPerFrame = samplesPerFrame;
    }

    /// <summary>The integer type of every axis value.</summary>
    public LayoutValueType ValueType { get; }

    /// <summary>The order of the axes inside one sample.</summary>
    public IReadOnlyList<Axis> AxisOrder { get; }

    /// <summary>Milli-g per least-significant bit.</summary>
    public double ScaleMilliG { get; }

    /// <summary>Nominal sample rate, Hz.</summary>
    public double SampleRateHz { get; }

    /// <summary>True for big-endian fields, false for little-endian.</summary>
    public bool BigEndian { get; }

    /// <summary>Bytes before the first sample.</summary>
    public int HeaderBytes { get; }

    /// <summary>The timestamp field, or <c>null</c> when frames carry none (receive time is used).</summary>
    public LayoutTimestamp? Timestamp { get; }

    /// <summary>The exact number of samples per frame, or <c>null</c> when it varies.</summary>
    public int? SamplesPerFrame { get; }

    /// <summary>Bytes per axis value.</summary>
    public int ValueSize => (int)ValueType;

    /// <summary>Bytes per sample (three values).</summary>
    public int Stride => 3 * ValueSize;

    /// <summary>The largest magnitude a value can have, milli-g.</summary>
    public double FullScaleMilliG => (1L << (8 * ValueSize - 1)) * ScaleMilliG;

    /// <summary>Milli-g per LSB for a ±<paramref name="rangeG"/> sensor using the full width of <paramref name="valueType"/>.</summary>
    public static double ScaleForRange(double rangeG, LayoutValueType valueType) => rangeG * 1000.0 / (1L << (8 * (int)valueType - 1));
}

/// <summary>Decodes and encodes frames described by a <see cref="DeclarativeLayout"/>.</summary>
public sealed class DeclarativeDecoder
{
    private readonly int _xIndex;
    private readonly int _yIndex;
    private readonly int _zIndex;

    /// <summary>Creates a decoder for <paramref name="layout"/>.</summary>
    public DeclarativeDecoder(DeclarativeLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Layout = layout;
        _xIndex = IndexOf(layout.AxisOrder, Axis.X);
        _yIndex = IndexOf(layout.AxisOrder, Axis.Y);
        _zIndex = IndexOf(layout.AxisOrder, Axis.Z);
    }

    /// <summary>The layout.</summary>
    public DeclarativeLayout Layout { get; }

    /// <summary>
    /// Decodes one frame. <paramref name="fallbackLastSampleNs"/> (normally the receive time) stamps the
    /// last sample when the layout has no timestamp field.
    /// </summary>
    public DecodeResult Decode(ReadOnlySpan<byte> frame, long fallbackLastSampleNs, AccelerometerBlock destination)
    {
        destination.Clear();
        var layout = Layout;
        if (frame.IsEmpty)
        {
            return DecodeResult.Failure(DecodeFaultKind.Empty, "frame", 0);
        }

        if (frame.Length < layout.HeaderBytes)
        {
            return DecodeResult.Failure(DecodeFaultKind.Truncated, "header", 0, layout.HeaderBytes, frame.Length);
        }

        var body = frame[layout.HeaderBytes..];
        var stride = layout.Stride;
        if (body.IsEmpty || body.Length % stride != 0)
        {
            return DecodeResult.Failure(DecodeFaultKind.BadLength, "samples", layout.HeaderBytes, stride, body.Length);
        }

        var n = body.Length / stride;
        if (layout.SamplesPerFrame is { } fixedCount && n != fixedCount)
        {
            return DecodeResult.Failure(DecodeFaultKind.BadLength, "samples", layout.HeaderBytes, fixedCount * stride, body.Length);
        }

        if (n > destination.Capacity)
        {
            return DecodeResult.Failure(DecodeFaultKind.BufferTooSmall, "samples", layout.HeaderBytes, destination.Capacity, n);
        }

        var timestamps = destination.WritableTimestamps[..n];
        long frameTimestampNs;
        bool filled;
        if (layout.Timestamp is { } field)
        {
            var raw = field.Type == LayoutTimestampType.UInt32
                ? (layout.BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(frame[field.Offset..]) : BinaryPrimitives.ReadUInt32LittleEndian(frame[field.Offset..]))
                : (layout.BigEndian ? BinaryPrimitives.ReadUInt64BigEndian(frame[field.Offset..]) : BinaryPrimitives.ReadUInt64LittleEndian(frame[field.Offset..]));
            var ns = raw * field.UnitNs;
            if (!(ns >= 1) || ns >= long.MaxValue)
            {
                return DecodeResult.Failure(DecodeFaultKind.InvalidTimestamp, "timestamp", field.Offset, 0, (long)Math.Min(raw, long.MaxValue));
            }

            frameTimestampNs = field.UnitNs == Math.Floor(field.UnitNs) && raw <= long.MaxValue / (ulong)field.UnitNs
                ? (long)raw * (long)field.UnitNs
                : (long)Math.Round(ns);
            filled = field.RefersToFirstSample
                ? SampleTimestamps.TryFillForwardFromRate(frameTimestampNs, layout.SampleRateHz, timestamps)
                : SampleTimestamps.TryFillFromRate(frameTimestampNs, layout.SampleRateHz, timestamps);
        }
        else
        {
            frameTimestampNs = fallbackLastSampleNs;
            filled = SampleTimestamps.TryFillFromRate(frameTimestampNs, layout.SampleRateHz, timestamps);
        }

        if (!filled)
        {
            return DecodeResult.Failure(DecodeFaultKind.InvalidTimestamp, "timestamp", layout.Timestamp?.Offset ?? 0, n, frameTimestampNs);
        }

        var x = destination.WritableX;
        var y = destination.WritableY;
        var z = destination.WritableZ;
        var size = layout.ValueSize;
        var scale = layout.ScaleMilliG;
        for (var i = 0; i < n; i++)
        {
            var sample = body.Slice(i * stride, stride);
            x[i] = ReadValue(sample[(_xIndex * size)..], size, layout.BigEndian) * scale;
            y[i] = ReadValue(sample[(_yIndex * size)..], size, layout.BigEndian) * scale;
            z[i] = ReadValue(sample[(_zIndex * size)..], size, layout.BigEndian) * scale;
        }

        destination.Commit(n, layout.SampleRateHz, frameTimestampNs);
        return DecodeResult.Success(DecodedKind.Accelerometer, n);
    }

    /// <summary>The length of a frame with <paramref name="samples"/> samples.</summary>
    public int FrameLength(int samples) => Layout.HeaderBytes + samples * Layout.Stride;

    /// <summary>
    /// Encodes samples (milli-g) as the firmware would: each value rounded to the nearest step and
    /// saturated at the type's limits, the timestamp field (if any) set from <paramref name="timestampNs"/>
    /// (the first or last sample's time, as the layout says), other header bytes zero. Returns the length.
    /// </summary>
    public int Encode(long timestampNs, ReadOnlySpan<double> xMilliG, ReadOnlySpan<double> yMilliG, ReadOnlySpan<double> zMilliG, Span<byte> destination)
    {
        var layout = Layout;
        var length = FrameLength(xMilliG.Length);
        destination[..layout.HeaderBytes].Clear();
        if (layout.Timestamp is { } field)
        {
            var ticks = (ulong)Math.Round(timestampNs / field.UnitNs);
            var target = destination[field.Offset..];
            if (field.Type == LayoutTimestampType.UInt32)
            {
                if (layout.BigEndian)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(target, (uint)ticks);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(target, (uint)ticks);
                }
            }
            else if (layout.BigEndian)
            {
                BinaryPrimitives.WriteUInt64BigEndian(target, ticks);
            }
            else
            {
                BinaryPrimitives.WriteUInt64LittleEndian(target, ticks);
            }
        }

        var size = layout.ValueSize;
        var stride = layout.Stride;
        for (var i = 0; i < xMilliG.Length; i++)
        {
            var sample = destination.Slice(layout.HeaderBytes + i * stride, stride);
            WriteValue(Quantize(xMilliG[i]), sample[(_xIndex * size)..], size, layout.BigEndian);
            WriteValue(Quantize(yMilliG[i]), sample[(_yIndex * size)..], size, layout.BigEndian);
            WriteValue(Quantize(zMilliG[i]), sample[(_zIndex * size)..], size, layout.BigEndian);
        }

        return length;
    }

    private long Quantize(double milliG)
    {
        var max = (1L << (8 * Layout.ValueSize - 1)) - 1;
        var raw = Math.Round(milliG / Layout.ScaleMilliG);
        return (long)Math.Clamp(raw, -max - 1, max);
    }

    private static long ReadValue(ReadOnlySpan<byte> bytes, int size, bool bigEndian)
    {
        ulong value = 0;
        for (var i = 0; i < size; i++)
        {
            var b = bigEndian ? bytes[i] : bytes[size - 1 - i];
            value = (value << 8) | b;
        }

        return PmdAccelerometerDecoder.SignExtend(value, 8 * size);
    }

    private static void WriteValue(long value, Span<byte> destination, int size, bool bigEndian)
    {
        for (var i = 0; i < size; i++)
        {
            var b = (byte)(value >> (8 * i));
            destination[bigEndian ? size - 1 - i : i] = b;
        }
    }

    private static int IndexOf(IReadOnlyList<Axis> order, Axis axis)
    {
        for (var i = 0; i < order.Count; i++)
        {
            if (order[i] == axis)
            {
                return i;
            }
        }

        return -1;
    }
}
