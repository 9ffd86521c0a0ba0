using System.Buffers.Binary;

namespace AdherencePipeline.Sensors;

/// <summary>The settings an accelerometer stream was started with, needed to decode its frames.</summary>
/// <param name="SampleRateHz">Nominal sample rate, Hz.</param>
/// <param name="ResolutionBits">Resolution, bits: the width of a delta frame's reference sample.</param>
/// <param name="RangeG">Range, ± G (informational: PMD values are already milli-g).</param>
/// <param name="Factor">The conversion factor from the start response, 1.0 when none was sent.</param>
public readonly record struct PmdAccelerometerSettings(int SampleRateHz, int ResolutionBits = 16, int RangeG = 8, float Factor = 1f)
{
    /// <summary>Accelerometer frames always carry x, y and z.</summary>
    public const int Channels = 3;

    /// <summary>True when the settings can decode any frame at all.</summary>
    public bool IsValid => SampleRateHz > 0 && ResolutionBits is >= 2 and <= 32 && float.IsFinite(Factor) && Factor > 0;
}

/// <summary>
/// Decodes Polar PMD accelerometer data frames: the 10-byte header (type, 8-byte timestamp of the last
/// sample in ns since 2000-01-01 on the device clock, frame type), uncompressed int8/int16/int24
/// frames and delta-compressed frames, then derives a timestamp per sample. One instance per stream:
/// it remembers the previous frame's timestamp, as the per-sample timestamps need it.
/// </summary>
public sealed class PmdAccelerometerDecoder
{
    /// <summary>Size of the frame header.</summary>
    public const int HeaderLength = 10;

    /// <summary>A previous-frame interval further than this from nominal means frames were lost or the clock jumped.</summary>
    private const double PreviousFrameTolerance = 0.25;

    private long _previousTimestampNs;

    /// <summary>Creates a decoder for a stream started with <paramref name="settings"/>.</summary>
    public PmdAccelerometerDecoder(PmdAccelerometerSettings settings)
    {
        if (!settings.IsValid)
        {
            throw new ArgumentException($"Invalid accelerometer settings: {settings}.", nameof(settings));
        }

        Settings = settings;
    }

    /// <summary>The stream's settings.</summary>
    public PmdAccelerometerSettings Settings { get; }

    /// <summary>Forgets the previous frame (call on stop or disconnect: the next frame starts afresh).</summary>
    public void Reset() => _previousTimestampNs = 0;

    /// <summary>
    /// Decodes one data frame into <paramref name="destination"/>. On a fault the destination's count is
    /// 0 and the previous-frame memory is unchanged.
    /// </summary>
    public DecodeResult Decode(ReadOnlySpan<byte> frame, AccelerometerBlock destination)
    {
        destination.Clear();
        if (frame.Length < HeaderLength)
        {
            return frame.IsEmpty
                ? DecodeResult.Failure(DecodeFaultKind.Empty, "pmd-header", 0)
                : DecodeResult.Failure(DecodeFaultKind.Truncated, "pmd-header", 0, HeaderLength, frame.Length);
        }

        var measurement = frame[0] & 0x3F;
        if (measurement != (int)PmdMeasurementType.Acc)
        {
            return DecodeResult.Failure(DecodeFaultKind.Unsupported, "measurement-type", 0, (int)PmdMeasurementType.Acc, measurement);
        }

        var rawTimestamp = BinaryPrimitives.ReadUInt64LittleEndian(frame[1..]);
        if (rawTimestamp is 0 or > long.MaxValue)
        {
            return DecodeResult.Failure(DecodeFaultKind.InvalidTimestamp, "timestamp", 1, 0, (long)rawTimestamp);
        }

        var timestampNs = (long)rawTimestamp;
        var frameType = frame[9];
        var payload = frame[HeaderLength..];
        var result = (frameType & 0x80) == 0
            ? DecodeUncompressed(frameType, payload, destination)
            : DecodeCompressed(frameType & 0x7F, payload, destination);
        if (!result.IsSuccess)
        {
            return result;
        }

        var n = result.SampleCount;
        var timestamps = destination.WritableTimestamps[..n];
        if (!FillTimestamps(timestampNs, timestamps))
        {
            return DecodeResult.Failure(DecodeFaultKind.InvalidTimestamp, "timestamp", 1, n, timestampNs);
        }

        _previousTimestampNs = timestampNs;
        destination.Commit(n, Settings.SampleRateHz, timestampNs);
        return result;
    }

    private bool FillTimestamps(long timestampNs, Span<long> timestamps)
    {
        var n = timestamps.Length;
        var previous = _previousTimestampNs;
        if (previous > 0 && timestampNs > previous)
        {
            // The device's real rate differs from nominal by a few percent; following the previous frame
            // tracks it. A lost frame or a clock reset would stretch the samples, so fall back to nominal.
            var nominal = SampleTimestamps.IntervalNs(Settings.SampleRateHz);
            var implied = (double)(timestampNs - previous) / n;
            if (Math.Abs(implied - nominal) <= PreviousFrameTolerance * nominal)
            {
                return SampleTimestamps.TryFill(timestampNs, timestampNs - previous, n, timestamps);
            }
        }

        return SampleTimestamps.TryFillFromRate(timestampNs, Settings.SampleRateHz, timestamps);
    }

    private static DecodeResult DecodeUncompressed(int frameType, ReadOnlySpan<byte> payload, AccelerometerBlock destination)
    {
        var size = frameType switch
        {
            0 => 1,
            1 => 2,
            2 => 3,
            _ => 0,
        };
        if (size == 0)
        {
            return DecodeResult.Failure(DecodeFaultKind.Unsupported, "frame-type", 9, 0, frameType);
        }

        var stride = 3 * size;
        if (payload.IsEmpty || payload.Length % stride != 0)
        {
            return DecodeResult.Failure(DecodeFaultKind.BadLength, "acc-samples", HeaderLength, stride, payload.Length);
        }

        var n = payload.Length / stride;
        if (n > destination.Capacity)
        {
            return DecodeResult.Failure(DecodeFaultKind.BufferTooSmall, "acc-samples", HeaderLength, destination.Capacity, n);
        }

        var x = destination.WritableX;
        var y = destination.WritableY;
        var z = destination.WritableZ;
        for (var i = 0; i < n; i++)
        {
            var sample = payload.Slice(i * stride, stride);
            x[i] = ReadSigned(sample, size);
            y[i] = ReadSigned(sample[size..], size);
            z[i] = ReadSigned(sample[(2 * size)..], size);
        }

        return DecodeResult.Success(DecodedKind.Accelerometer, n);
    }

    private DecodeResult DecodeCompressed(int frameType, ReadOnlySpan<byte> payload, AccelerometerBlock destination)
    {
        if (frameType is not (0 or 1))
        {
            return DecodeResult.Failure(DecodeFaultKind.Unsupported, "frame-type", 9, 0, frameType | 0x80);
        }

        var resolution = Settings.ResolutionBits;
        var valueSize = (resolution + 7) / 8;
        const int channels = PmdAccelerometerSettings.Channels;
        if (payload.Length < channels * valueSize)
        {
            return DecodeResult.Failure(DecodeFaultKind.Truncated, "reference-sample", HeaderLength, channels * valueSize, payload.Length);
        }

        var min = -(1L << (resolution - 1));
        var max = (1L << (resolution - 1)) - 1;
        long cx = SignExtend(ReadUnsigned(payload, valueSize), resolution);
        long cy = SignExtend(ReadUnsigned(payload[valueSize..], valueSize), resolution);
        long cz = SignExtend(ReadUnsigned(payload[(2 * valueSize)..], valueSize), resolution);

        var x = destination.WritableX;
        var y = destination.WritableY;
        var z = destination.WritableZ;
        var scale = frameType == 0 ? Settings.Factor * 1000f : Settings.Factor;
        var identity = frameType == 1 && Settings.Factor == 1f;
        x[0] = Scale(cx, identity, scale);
        y[0] = Scale(cy, identity, scale);
        z[0] = Scale(cz, identity, scale);
        var count = 1;
        var offset = channels * valueSize;
        while (offset < payload.Length)
        {
            var blockOffset = HeaderLength + offset;
            if (payload.Length - offset < 2)
            {
                return DecodeResult.Failure(DecodeFaultKind.Truncated, "delta-block.header", blockOffset, 2, payload.Length - offset);
            }

            int width = payload[offset];
            int samples = payload[offset + 1];
            if (width is < 1 or > 32)
            {
                return DecodeResult.Failure(DecodeFaultKind.InvalidValue, "delta-block.width", blockOffset, 32, width);
            }

            if (samples == 0)
            {
                return DecodeResult.Failure(DecodeFaultKind.InvalidValue, "delta-block.count", blockOffset + 1, 1, 0);
            }

            offset += 2;
            var packedLength = (width * samples * channels + 7) / 8;
            if (payload.Length - offset < packedLength)
            {
                return DecodeResult.Failure(DecodeFaultKind.Truncated, "delta-block.data", HeaderLength + offset, packedLength, payload.Length - offset);
            }

            if (count + samples > destination.Capacity)
            {
                return DecodeResult.Failure(DecodeFaultKind.BufferTooSmall, "delta-block", blockOffset, destination.Capacity, count + samples);
            }

            var reader = new BitReader(payload.Slice(offset, packedLength));
            for (var s = 0; s < samples; s++)
            {
                cx += reader.ReadSigned(width);
                cy += reader.ReadSigned(width);
                cz += reader.ReadSigned(width);
                if (cx < min || cx > max || cy < min || cy > max || cz < min || cz > max)
                {
                    // A sum outside the declared resolution cannot come from a working sensor.
                    return DecodeResult.Failure(DecodeFaultKind.InvalidValue, "delta-block.sample", blockOffset, max, Math.Max(Math.Abs(cx), Math.Max(Math.Abs(cy), Math.Abs(cz))));
                }

                x[count] = Scale(cx, identity, scale);
                y[count] = Scale(cy, identity, scale);
                z[count] = Scale(cz, identity, scale);
                count++;
            }

            offset += packedLength;
        }

        return DecodeResult.Success(DecodedKind.Accelerometer, count);
    }

    // Polar's SDK multiplies in float32 and truncates toward zero; do the same so values agree.
    private static double Scale(long raw, bool identity, float scale) => identity ? raw : (int)(raw * scale);

    internal static int ReadSigned(ReadOnlySpan<byte> bytes, int size) => size switch
    {
        1 => (sbyte)bytes[0],
        2 => BinaryPrimitives.ReadInt16LittleEndian(bytes),
        _ => (int)SignExtend(bytes[0] | ((uint)bytes[1] << 8) | ((uint)bytes[2] << 16), 24),
    };

    private static uint ReadUnsigned(ReadOnlySpan<byte> bytes, int size)
    {
        uint value = 0;
        for (var i = 0; i < size; i++)
        {
            value |= (uint)bytes[i] << (8 * i);
        }

        return value;
    }

    internal static long SignExtend(ulong value, int bits)
    {
        var shift = 64 - bits;
        return (long)(value << shift) >> shift;
    }

    /// <summary>Reads little-endian, least-significant-bit-first packed fields.</summary>
    private ref struct BitReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _index;
        private ulong _buffer;
        private int _bits;

        public long ReadSigned(int width)
        {
            while (_bits < width)
            {
                _buffer |= (ulong)_data[_index++] << _bits;
                _bits += 8;
            }

            var value = _buffer & ((1UL << width) - 1);
            _buffer >>= width;
            _bits -= width;
            return SignExtend(value, width);
        }
    }
}

/// <summary>
/// Encodes accelerometer samples (milli-g, integers) into PMD data frames, exactly as a device would:
/// the inverse of <see cref="PmdAccelerometerDecoder"/>. Used by the virtual wearable.
/// </summary>
public static class PmdAccelerometerEncoder
{
    /// <summary>Bytes per axis value of an uncompressed frame type (0, 1, 2).</summary>
    public static int ValueSize(int frameType) => frameType switch
    {
        0 => 1,
        1 => 2,
        2 => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(frameType), frameType, "Uncompressed accelerometer frame types are 0, 1 and 2."),
    };

    /// <summary>The length of an uncompressed frame with <paramref name="samples"/> samples.</summary>
    public static int UncompressedLength(int frameType, int samples) => PmdAccelerometerDecoder.HeaderLength + 3 * ValueSize(frameType) * samples;

    /// <summary>Writes an uncompressed frame; returns its length. Values must fit the frame type's width.</summary>
    public static int EncodeUncompressed(long timestampNs, int frameType, ReadOnlySpan<int> x, ReadOnlySpan<int> y, ReadOnlySpan<int> z, Span<byte> destination)
    {
        var size = ValueSize(frameType);
        var length = UncompressedLength(frameType, x.Length);
        WriteHeader(timestampNs, (byte)frameType, destination);
        var offset = PmdAccelerometerDecoder.HeaderLength;
        for (var i = 0; i < x.Length; i++)
        {
            WriteSigned(x[i], size, destination[offset..]);
            WriteSigned(y[i], size, destination[(offset + size)..]);
            WriteSigned(z[i], size, destination[(offset + 2 * size)..]);
            offset += 3 * size;
        }

        return length;
    }

    /// <summary>The length of a delta-compressed frame holding these samples.</summary>
    public static int CompressedLength(int resolutionBits, ReadOnlySpan<int> x, ReadOnlySpan<int> y, ReadOnlySpan<int> z)
    {
        var length = PmdAccelerometerDecoder.HeaderLength + 3 * ((resolutionBits + 7) / 8);
        for (var start = 1; start < x.Length; start += byte.MaxValue)
        {
            var count = Math.Min(byte.MaxValue, x.Length - start);
            var width = BlockWidth(x, y, z, start, count);
            length += 2 + (width * count * 3 + 7) / 8;
        }

        return length;
    }

    /// <summary>
    /// Writes a delta-compressed frame (<paramref name="frameType"/> without the 0x80 bit): the first
    /// sample as reference, then blocks of up to 255 samples, each with the narrowest width (at least 2
    /// bits: a 1-bit delta is mis-decoded by Polar's own SDK) that holds its deltas. Returns the length.
    /// </summary>
    public static int EncodeCompressed(long timestampNs, int frameType, int resolutionBits, ReadOnlySpan<int> x, ReadOnlySpan<int> y, ReadOnlySpan<int> z, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfZero(x.Length);
        WriteHeader(timestampNs, (byte)(0x80 | frameType), destination);
        var valueSize = (resolutionBits + 7) / 8;
        var offset = PmdAccelerometerDecoder.HeaderLength;
        WriteSigned(x[0], valueSize, destination[offset..]);
        WriteSigned(y[0], valueSize, destination[(offset + valueSize)..]);
        WriteSigned(z[0], valueSize, destination[(offset + 2 * valueSize)..]);
        offset += 3 * valueSize;
        for (var start = 1; start < x.Length; start += byte.MaxValue)
        {
            var count = Math.Min(byte.MaxValue, x.Length - start);
            var width = BlockWidth(x, y, z, start, count);
            destination[offset] = (byte)width;
            destination[offset + 1] = (byte)count;
            offset += 2;
            var packed = (width * count * 3 + 7) / 8;
            var area = destination.Slice(offset, packed);
            area.Clear();
            var bit = 0;
            for (var i = start; i < start + count; i++)
            {
                WriteBits(area, ref bit, x[i] - x[i - 1], width);
                WriteBits(area, ref bit, y[i] - y[i - 1], width);
                WriteBits(area, ref bit, z[i] - z[i - 1], width);
            }

            offset += packed;
        }

        return offset;
    }

    private static int BlockWidth(ReadOnlySpan<int> x, ReadOnlySpan<int> y, ReadOnlySpan<int> z, int start, int count)
    {
        var width = 2;
        for (var i = start; i < start + count; i++)
        {
            width = Math.Max(width, BitsFor((long)x[i] - x[i - 1]));
            width = Math.Max(width, BitsFor((long)y[i] - y[i - 1]));
            width = Math.Max(width, BitsFor((long)z[i] - z[i - 1]));
        }

        return width;
    }

    /// <summary>The fewest two's-complement bits that hold <paramref name="value"/>.</summary>
    internal static int BitsFor(long value)
    {
        var magnitude = value < 0 ? ~value : value;
        return 65 - (int)ulong.LeadingZeroCount((ulong)magnitude);
    }

    private static void WriteBits(Span<byte> area, ref int bit, long value, int width)
    {
        var bits = (ulong)value & ((1UL << width) - 1);
        for (var i = 0; i < width; i++, bit++)
        {
            if (((bits >> i) & 1) != 0)
            {
                area[bit >> 3] |= (byte)(1 << (bit & 7));
            }
        }
    }

    private static void WriteHeader(long timestampNs, byte frameType, Span<byte> destination)
    {
        destination[0] = (byte)PmdMeasurementType.Acc;
        BinaryPrimitives.WriteInt64LittleEndian(destination[1..], timestampNs);
        destination[9] = frameType;
    }

    private static void WriteSigned(int value, int size, Span<byte> destination)
    {
        for (var i = 0; i < size; i++)
        {
            destination[i] = (byte)(value >> (8 * i));
        }
    }
}
