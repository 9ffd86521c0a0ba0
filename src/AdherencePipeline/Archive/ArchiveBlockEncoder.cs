using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Sensors;

namespace AdherencePipeline.Archive;

/// <summary>
/// Collects device data as the uncompressed records of one block and seals them into a compressed,
/// checksummed block. Every block starts from empty state (device table, deltas), so it can be
/// decoded without any other block. Not thread-safe.
/// </summary>
internal sealed class ArchiveBlockEncoder : IDisposable
{
    private const int BrotliQuality = 5;
    private const int BrotliWindowBits = 22;
    private readonly Dictionary<(string Address, string Model), Device> _devices = [];
    // A live service keeps one encoder per participant for days: it holds only the open block's raw
    // bytes (10 s of a 50-Hz strap is about 4 KB; the buffer grows when needed), and borrows the
    // compression buffer from the shared pool just for the seal.
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    private int _length;

    public int Records { get; private set; }

    public int RawLength => _length;

    public long FirstNs { get; private set; }

    public long LastNs { get; private set; }

    public void Add(DeviceData data)
    {
        switch (data)
        {
            case AccelerationData a:
                AddAcceleration(a);
                break;
            case HeartRateData h:
                AddHeartRate(h);
                break;
            case DeviceDisconnected d:
                var disconnected = DeviceOf(d, d.LastDataNs);
                WriteByte(ArchiveFormat.RecordDisconnected);
                WriteVarint(disconnected.Index);
                WriteSigned(d.LastDataNs - FirstNs);
                WriteSigned(d.DisconnectedNs - d.LastDataNs);
                break;
            case DeviceFault f:
                var faulty = DeviceOf(f, f.ReceivedNs);
                WriteByte(ArchiveFormat.RecordFault);
                WriteVarint(faulty.Index);
                WriteSigned(f.ReceivedNs - FirstNs);
                WriteString(f.Description);
                break;
            default:
                throw new ArgumentException($"Device data of type {data.GetType().Name} cannot be archived.", nameof(data));
        }

        Records++;
    }

    /// <summary>Writes the block (header and compressed records) to <paramref name="stream"/> and starts a new, empty block.</summary>
    public void SealTo(Stream stream)
    {
        var bound = BrotliEncoder.GetMaxCompressedLength(_length) + ArchiveFormat.BlockHeaderLength;
        var sealedBlock = ArrayPool<byte>.Shared.Rent(bound);
        try
        {
            var payload = sealedBlock.AsSpan(ArchiveFormat.BlockHeaderLength);
            if (!BrotliEncoder.TryCompress(_buffer.AsSpan(0, _length), payload, out var compressed, BrotliQuality, BrotliWindowBits))
            {
                throw new InvalidOperationException("Brotli could not compress an archive block into its maximum compressed length.");
            }

            var header = sealedBlock.AsSpan(0, ArchiveFormat.BlockHeaderLength);
            ArchiveFormat.BlockMagic.CopyTo(header);
            BinaryPrimitives.WriteInt32LittleEndian(header[4..], compressed);
            BinaryPrimitives.WriteInt32LittleEndian(header[8..], _length);
            BinaryPrimitives.WriteInt32LittleEndian(header[12..], Records);
            BinaryPrimitives.WriteInt64LittleEndian(header[16..], FirstNs);
            BinaryPrimitives.WriteInt64LittleEndian(header[24..], LastNs);
            var crc = new Crc32();
            crc.Append(header[..32]);
            crc.Append(payload[..compressed]);
            BinaryPrimitives.WriteUInt32LittleEndian(header[32..], crc.GetCurrentHashAsUInt32());
            stream.Write(sealedBlock, 0, ArchiveFormat.BlockHeaderLength + compressed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sealedBlock);
        }

        Clear();
    }

    public void Clear()
    {
        _length = 0;
        Records = 0;
        _devices.Clear();
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private void AddAcceleration(AccelerationData a)
    {
        var t = a.TimestampsNs;
        var device = DeviceOf(a, t.Length > 0 ? t[0] : LastNs);
        var n = t.Length;
        Ensure(16 + n * 40);
        WriteByte(ArchiveFormat.RecordAcceleration);
        WriteVarint(device.Index);
        WriteDouble(a.SampleRateHz);
        WriteVarint(n);
        // Delta of delta: at a steady rate almost every timestamp costs one byte before compression.
        for (var i = 0; i < n; i++)
        {
            var delta = t[i] - device.TimestampNs;
            WriteSigned(delta - device.DeltaNs);
            device.DeltaNs = delta;
            device.TimestampNs = t[i];
        }

        if (n > 0)
        {
            LastNs = Math.Max(LastNs, t[^1]);
        }

        if (IsWholeMilliG(a.X) && IsWholeMilliG(a.Y) && IsWholeMilliG(a.Z))
        {
            WriteByte(ArchiveFormat.ValuesMilliG);
            WriteMilliGDeltas(a.X, ref device.XMilliG);
            WriteMilliGDeltas(a.Y, ref device.YMilliG);
            WriteMilliGDeltas(a.Z, ref device.ZMilliG);
        }
        else
        {
            // Data that did not come from whole milli-g is kept bit for bit.
            WriteByte(ArchiveFormat.ValuesFloatBits);
            WriteFloats(a.X);
            WriteFloats(a.Y);
            WriteFloats(a.Z);
        }
    }

    private void AddHeartRate(HeartRateData h)
    {
        var device = DeviceOf(h, h.TimestampNs);
        var rr = h.RrIntervalsMs;
        Ensure(32 + rr.Length * 9);
        var flags = h.SkinContact switch
        {
            null => 0,
            false => 1,
            true => 2,
        };
        var bpmWhole = h.HeartRateBpm is >= 0 and <= int.MaxValue && h.HeartRateBpm == Math.Floor(h.HeartRateBpm) && !double.IsNegative(h.HeartRateBpm);
        flags |= bpmWhole ? 0 : ArchiveFormat.HeartRateBpmDouble;
        var rrRaw = true;
        foreach (var ms in rr)
        {
            rrRaw &= RrUnits(ms) >= 0;
        }

        flags |= rrRaw ? 0 : ArchiveFormat.HeartRateRrDouble;
        WriteByte(ArchiveFormat.RecordHeartRate);
        WriteVarint(device.Index);
        WriteByte((byte)flags);
        WriteSigned(h.TimestampNs - device.HeartRateNs);
        device.HeartRateNs = h.TimestampNs;
        LastNs = Math.Max(LastNs, h.TimestampNs);
        if (bpmWhole)
        {
            WriteVarint((ulong)h.HeartRateBpm);
        }
        else
        {
            WriteDouble(h.HeartRateBpm);
        }

        WriteVarint(rr.Length);
        foreach (var ms in rr)
        {
            if (rrRaw)
            {
                WriteVarint((ulong)RrUnits(ms));
            }
            else
            {
                WriteDouble(ms);
            }
        }
    }

    /// <summary>RR in the sensor's 1/1024 s units when that gives back exactly <paramref name="ms"/>, else -1.</summary>
    private static int RrUnits(double ms)
    {
        var units = Math.Round(ms / HeartRateMeasurement.MillisecondsPerRrUnit);
        // Bits, not Equals: -0.0 equals 0.0 but would not come back as itself.
        return units is >= 0 and <= ushort.MaxValue && BitConverter.DoubleToInt64Bits(HeartRateMeasurement.RrToMilliseconds((ushort)units)) == BitConverter.DoubleToInt64Bits(ms) ? (int)units : -1;
    }

    private static bool IsWholeMilliG(float[] values)
    {
        foreach (var g in values)
        {
            if (!float.IsFinite(g))
            {
                return false;
            }

            var milliG = Math.Round(g * 1000.0);
            // Compared as the decoder will compute it, from the integer: that also sends -0 to the float path.
            if (Math.Abs(milliG) > int.MaxValue || BitConverter.SingleToInt32Bits((float)((long)milliG / 1000.0)) != BitConverter.SingleToInt32Bits(g))
            {
                return false;
            }
        }

        return true;
    }

    private void WriteMilliGDeltas(float[] values, ref long previous)
    {
        foreach (var g in values)
        {
            var milliG = (long)Math.Round(g * 1000.0);
            WriteSigned(milliG - previous);
            previous = milliG;
        }
    }

    private void WriteFloats(float[] values)
    {
        foreach (var g in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(_buffer.AsSpan(_length), g);
            _length += 4;
        }
    }

    private Device DeviceOf(DeviceData data, long timestampNs)
    {
        if (Records == 0)
        {
            FirstNs = timestampNs;
            LastNs = timestampNs;
        }

        LastNs = Math.Max(LastNs, timestampNs);
        if (_devices.TryGetValue((data.DeviceAddress, data.DeviceModel), out var device))
        {
            return device;
        }

        device = new Device(_devices.Count) { TimestampNs = FirstNs, HeartRateNs = FirstNs };
        _devices.Add((data.DeviceAddress, data.DeviceModel), device);
        WriteByte(ArchiveFormat.RecordDevice);
        WriteVarint(device.Index);
        WriteString(data.DeviceAddress);
        WriteString(data.DeviceModel);
        return device;
    }

    private void Ensure(int more)
    {
        if (_length + more <= _buffer.Length)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + more));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    private void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    private void WriteDouble(double value)
    {
        Ensure(8);
        BinaryPrimitives.WriteDoubleLittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    private void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        WriteVarint(count);
        Ensure(count);
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
    }

    private void WriteSigned(long value) => WriteVarint((ulong)((value << 1) ^ (value >> 63)));

    private void WriteVarint(int value) => WriteVarint((ulong)value);

    private void WriteVarint(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[_length++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[_length++] = (byte)value;
    }

    private sealed class Device(int index)
    {
        public int Index { get; } = index;

        public long TimestampNs;
        public long DeltaNs;
        public long HeartRateNs;
        public long XMilliG;
        public long YMilliG;
        public long ZMilliG;
    }
}
