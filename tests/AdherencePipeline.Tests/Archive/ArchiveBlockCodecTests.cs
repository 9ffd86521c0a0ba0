using AdherencePipeline.Archive;
using AdherencePipeline.Pipeline;
using FsCheck.Xunit;

namespace AdherencePipeline.Tests.Archive;

public sealed class ArchiveBlockCodecTests
{
    [Property(MaxTest = 300)]
    public void Block_AnyTimestampsAndValues_DecodeBitForBit(long[] timestamps, float[] values, double bpm, double[] rr, bool? contact, string description)
    {
        var n = timestamps.Length;
        var x = new float[n];
        var y = new float[n];
        var z = new float[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = values.Length > 0 ? values[i % values.Length] : i;
            y[i] = values.Length > 0 ? values[(i + 1) % values.Length] / 1000 : -i;
            z[i] = (float)Math.Round(x[i] * 1000.0) / 1000;
        }

        List<DeviceData> written =
        [
            new AccelerationData("aa:bb", "polar-h10", 50, timestamps, x, y, z),
            new HeartRateData("aa:bb", "polar-h10", n > 0 ? timestamps[^1] : 0, bpm, rr, contact),
            new DeviceFault("cc:dd", "generic", n > 0 ? timestamps[0] : long.MinValue, description ?? ""),
            new DeviceDisconnected("aa:bb", "polar-h10", long.MaxValue, long.MinValue),
            new AccelerationData("aa:bb", "polar-h10", 25, timestamps, z, z, z),
        ];

        var read = RoundTrip(written);

        Assert.Equal(written.Count, read.Count);
        var a = Assert.IsType<AccelerationData>(read[0]);
        Assert.Equal(timestamps, a.TimestampsNs);
        Assert.Equal(x.Select(BitConverter.SingleToInt32Bits), a.X.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(y.Select(BitConverter.SingleToInt32Bits), a.Y.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(z.Select(BitConverter.SingleToInt32Bits), a.Z.Select(BitConverter.SingleToInt32Bits));
        var h = Assert.IsType<HeartRateData>(read[1]);
        Assert.Equal(BitConverter.DoubleToInt64Bits(bpm), BitConverter.DoubleToInt64Bits(h.HeartRateBpm));
        Assert.Equal(rr.Select(BitConverter.DoubleToInt64Bits), h.RrIntervalsMs.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(contact, h.SkinContact);
        Assert.Equal(written[2], read[2]);
        Assert.Equal(written[3], read[3]);
        var milliG = Assert.IsType<AccelerationData>(read[4]);
        Assert.Equal(timestamps, milliG.TimestampsNs);
        Assert.Equal(z.Select(BitConverter.SingleToInt32Bits), milliG.Z.Select(BitConverter.SingleToInt32Bits));
    }

    [Property(MaxTest = 200)]
    public void Blocks_AnySingleByteOfABlockDamaged_SkipTheBlockAndReportIt(byte flip, int position)
    {
        var block = Seal([new HeartRateData("aa:bb", "polar-h10", 1_790_000_000_000_000_000, 72, [800], true)]);
        block[(int)((uint)position % block.Length)] ^= flip == 0 ? (byte)1 : flip;
        var header = ArchiveFormat.Header("P001", new DateOnly(2026, 3, 2));
        var issues = new List<ArchiveIssue>();

        var blocks = ArchiveFileReader.Blocks([.. header, .. block], "P001/2026-03-02.adharc", issues.Add).ToList();

        Assert.Empty(blocks);
        Assert.Equal(header.Length, Assert.Single(issues).Offset);
    }

    private static byte[] Seal(List<DeviceData> data)
    {
        using var encoder = new ArchiveBlockEncoder();
        foreach (var d in data)
        {
            encoder.Add(d);
        }

        using var stream = new MemoryStream();
        encoder.SealTo(stream);
        return stream.ToArray();
    }

    private static List<DeviceData> RoundTrip(List<DeviceData> data)
    {
        var output = new List<DeviceData>();
        Assert.True(ArchiveFileReader.TryDecodeBlock(Seal(data), output, out var problem), problem);
        return output;
    }
}
