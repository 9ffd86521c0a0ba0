using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Sensors;

namespace AdherencePipeline.Archive;

/// <summary>
/// Reads an archive day file back into the device data that was written, in order. A damaged
/// block or a torn tail is reported with the file and offset, and reading goes on with the next
/// intact block.
/// </summary>
public static class ArchiveFileReader
{
    private const int MaxRawBlockLength = 256 << 20;

    /// <summary>The data in the file at <paramref name="path"/>; damage goes to <paramref name="issues"/>.</summary>
    public static IEnumerable<DeviceData> Read(string path, Action<ArchiveIssue> issues)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(issues);
        return ReadFile(path, issues);
    }

    /// <summary>The participant and local day a file's header names, or null when the header is damaged.</summary>
    public static (string Participant, DateOnly Day)? ReadHeader(string path)
    {
        var file = File.ReadAllBytes(path);
        return ArchiveFormat.ParseHeader(file, out var participant, out var day, out _) > 0 ? (participant, day) : null;
    }

    private static IEnumerable<DeviceData> ReadFile(string path, Action<ArchiveIssue> issues)
    {
        var file = File.ReadAllBytes(path);
        var output = new List<DeviceData>();
        foreach (var (offset, length) in Blocks(file, path, issues))
        {
            output.Clear();
            if (!TryDecodeBlock(file.AsSpan(offset, length), output, out var problem))
            {
                issues(new ArchiveIssue(path, offset, ArchiveIssueKind.CorruptBlock, $"block passes its CRC-32 but cannot be decoded: {problem}"));
                continue;
            }

            foreach (var data in output)
            {
                yield return data;
            }
        }
    }

    /// <summary>Offsets and lengths of the intact blocks of a whole file's bytes; damage is reported as it is met.</summary>
    public static IEnumerable<(int Offset, int Length)> Blocks(byte[] file, string path, Action<ArchiveIssue> issues)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(issues);
        return BlocksOf(file, path, issues);
    }

    private static IEnumerable<(int Offset, int Length)> BlocksOf(byte[] file, string path, Action<ArchiveIssue> issues)
    {
        var offset = ArchiveFormat.ParseHeader(file, out _, out _, out var problem);
        if (offset == 0)
        {
            issues(new ArchiveIssue(path, 0, file.Length < 10 ? ArchiveIssueKind.TornTail : ArchiveIssueKind.CorruptHeader, $"header: {problem}"));
            var first = NextBlock(file, 0);
            if (first < 0)
            {
                yield break;
            }

            offset = first;
        }

        while (offset < file.Length)
        {
            if (TryValidate(file, offset, out var length, out problem))
            {
                yield return (offset, length);
                offset += length;
                continue;
            }

            var next = NextBlock(file, offset + 1);
            if (next < 0)
            {
                // Nothing intact follows: an interrupted write, the one damage the writer expects.
                issues(new ArchiveIssue(path, offset, ArchiveIssueKind.TornTail, $"the last {file.Length - offset} bytes are an incomplete block ({problem})"));
                yield break;
            }

            issues(new ArchiveIssue(path, offset, ArchiveIssueKind.CorruptBlock, $"corrupt block ({problem}); {next - offset} bytes skipped, reading resumes at offset {next}"));
            offset = next;
        }
    }

    /// <summary>The first offset from <paramref name="from"/> at which an intact block starts, or -1.</summary>
    private static int NextBlock(byte[] file, int from)
    {
        while (from < file.Length)
        {
            var found = file.AsSpan(from).IndexOf(ArchiveFormat.BlockMagic);
            if (found < 0)
            {
                return -1;
            }

            if (TryValidate(file, from + found, out _, out _))
            {
                return from + found;
            }

            from += found + 1;
        }

        return -1;
    }

    private static bool TryValidate(byte[] file, int offset, out int length, out string? problem)
    {
        length = 0;
        var rest = file.AsSpan(offset);
        if (rest.Length < ArchiveFormat.BlockHeaderLength)
        {
            problem = $"{rest.Length} bytes where a {ArchiveFormat.BlockHeaderLength}-byte block header belongs";
            return false;
        }

        if (!rest[..4].SequenceEqual(ArchiveFormat.BlockMagic))
        {
            problem = "no block marker 'ABLK'";
            return false;
        }

        var compressed = BinaryPrimitives.ReadInt32LittleEndian(rest[4..]);
        var raw = BinaryPrimitives.ReadInt32LittleEndian(rest[8..]);
        if (compressed is < 0 or > ArchiveFormat.MaxBlockLength || raw is < 0 or > MaxRawBlockLength)
        {
            problem = $"implausible lengths {compressed}/{raw}";
            return false;
        }

        if (rest.Length < ArchiveFormat.BlockHeaderLength + compressed)
        {
            problem = $"the block needs {ArchiveFormat.BlockHeaderLength + compressed} bytes, {rest.Length} remain";
            return false;
        }

        var crc = new Crc32();
        crc.Append(rest[..32]);
        crc.Append(rest.Slice(ArchiveFormat.BlockHeaderLength, compressed));
        if (crc.GetCurrentHashAsUInt32() != BinaryPrimitives.ReadUInt32LittleEndian(rest[32..]))
        {
            problem = "CRC-32 mismatch";
            return false;
        }

        length = ArchiveFormat.BlockHeaderLength + compressed;
        problem = null;
        return true;
    }

    internal static bool TryDecodeBlock(ReadOnlySpan<byte> block, List<DeviceData> output, out string? problem)
    {
        var rawLength = BinaryPrimitives.ReadInt32LittleEndian(block[8..]);
        var records = BinaryPrimitives.ReadInt32LittleEndian(block[12..]);
        var firstNs = BinaryPrimitives.ReadInt64LittleEndian(block[16..]);
        var raw = ArrayPool<byte>.Shared.Rent(Math.Max(rawLength, 1));
        try
        {
            if (!BrotliDecoder.TryDecompress(block[ArchiveFormat.BlockHeaderLength..], raw, out var written) || written != rawLength)
            {
                problem = "the Brotli stream does not decompress to the recorded length";
                return false;
            }

            var reader = new BlockReader(raw.AsSpan(0, rawLength), firstNs);
            return reader.ReadAll(records, output, out problem);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    private ref struct BlockReader
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly long _firstNs;
        private int _position;

        public BlockReader(ReadOnlySpan<byte> data, long firstNs)
        {
            _data = data;
            _firstNs = firstNs;
        }

        public bool ReadAll(int records, List<DeviceData> output, out string? problem)
        {
            var devices = new List<Device>();
            try
            {
                for (var r = 0; r < records;)
                {
                    var kind = _data[_position++];
                    if (kind == ArchiveFormat.RecordDevice)
                    {
                        var index = ReadInt();
                        if (index != devices.Count)
                        {
                            problem = $"device {index} declared out of order";
                            return false;
                        }

                        devices.Add(new Device(ReadString(), ReadString(), _firstNs));
                        continue;
                    }

                    var deviceIndex = ReadInt();
                    if ((uint)deviceIndex >= (uint)devices.Count)
                    {
                        problem = $"record refers to undeclared device {deviceIndex}";
                        return false;
                    }

                    var device = devices[deviceIndex];
                    switch (kind)
                    {
                        case ArchiveFormat.RecordAcceleration:
                            output.Add(ReadAcceleration(device));
                            break;
                        case ArchiveFormat.RecordHeartRate:
                            output.Add(ReadHeartRate(device));
                            break;
                        case ArchiveFormat.RecordDisconnected:
                            var last = _firstNs + ReadSigned();
                            output.Add(new DeviceDisconnected(device.Address, device.Model, last, last + ReadSigned()));
                            break;
                        case ArchiveFormat.RecordFault:
                            var received = _firstNs + ReadSigned();
                            output.Add(new DeviceFault(device.Address, device.Model, received, ReadString()));
                            break;
                        default:
                            problem = $"unknown record kind {kind} at byte {_position - 1} of the block";
                            return false;
                    }

                    r++;
                }
            }
            catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentOutOfRangeException or OverflowException or InvalidDataException)
            {
                problem = "a record runs past the end of the block";
                return false;
            }

            problem = null;
            return true;
        }

        private AccelerationData ReadAcceleration(Device device)
        {
            var rate = BinaryPrimitives.ReadDoubleLittleEndian(_data[_position..]);
            _position += 8;
            var n = ReadInt();
            if (n > _data.Length - _position)
            {
                throw new InvalidDataException("sample count past the end of the block");
            }

            var t = new long[n];
            var previous = device.TimestampNs;
            var delta = device.DeltaNs;
            for (var i = 0; i < n; i++)
            {
                delta += ReadSigned();
                previous += delta;
                t[i] = previous;
            }

            device.TimestampNs = previous;
            device.DeltaNs = delta;
            var x = new float[n];
            var y = new float[n];
            var z = new float[n];
            if (_data[_position++] == ArchiveFormat.ValuesMilliG)
            {
                ReadMilliG(x, ref device.XMilliG);
                ReadMilliG(y, ref device.YMilliG);
                ReadMilliG(z, ref device.ZMilliG);
            }
            else
            {
                ReadFloats(x);
                ReadFloats(y);
                ReadFloats(z);
            }

            return new AccelerationData(device.Address, device.Model, rate, t, x, y, z);
        }

        private HeartRateData ReadHeartRate(Device device)
        {
            var flags = _data[_position++];
            device.HeartRateNs += ReadSigned();
            double bpm;
            if ((flags & ArchiveFormat.HeartRateBpmDouble) == 0)
            {
                bpm = ReadUnsigned();
            }
            else
            {
                bpm = ReadDouble();
            }

            var count = ReadInt();
            if (count > _data.Length - _position)
            {
                throw new InvalidDataException("RR count past the end of the block");
            }

            var rr = new double[count];
            for (var i = 0; i < count; i++)
            {
                rr[i] = (flags & ArchiveFormat.HeartRateRrDouble) == 0 ? HeartRateMeasurement.RrToMilliseconds(checked((ushort)ReadUnsigned())) : ReadDouble();
            }

            bool? contact = (flags & 3) switch
            {
                1 => false,
                2 => true,
                _ => null,
            };
            return new HeartRateData(device.Address, device.Model, device.HeartRateNs, bpm, rr, contact);
        }

        private void ReadMilliG(float[] values, ref long previous)
        {
            for (var i = 0; i < values.Length; i++)
            {
                previous += ReadSigned();
                values[i] = (float)(previous / 1000.0);
            }
        }

        private void ReadFloats(float[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(_data[_position..]);
                _position += 4;
            }
        }

        private double ReadDouble()
        {
            var value = BinaryPrimitives.ReadDoubleLittleEndian(_data[_position..]);
            _position += 8;
            return value;
        }

        private string ReadString()
        {
            var length = ReadInt();
            var text = Encoding.UTF8.GetString(_data.Slice(_position, length));
            _position += length;
            return text;
        }

        private int ReadInt() => checked((int)ReadUnsigned());

        private long ReadSigned()
        {
            var value = ReadUnsigned();
            return (long)(value >> 1) ^ -(long)(value & 1);
        }

        private ulong ReadUnsigned()
        {
            ulong value = 0;
            var shift = 0;
            while (true)
            {
                var b = _data[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }

                shift += 7;
                if (shift > 63)
                {
                    throw new OverflowException();
                }
            }
        }
    }

    private sealed class Device(string address, string model, long firstNs)
    {
        public string Address { get; } = address;

        public string Model { get; } = model;

        public long TimestampNs = firstNs;
        public long DeltaNs;
        public long HeartRateNs = firstNs;
        public long XMilliG;
        public long YMilliG;
        public long ZMilliG;
    }
}
