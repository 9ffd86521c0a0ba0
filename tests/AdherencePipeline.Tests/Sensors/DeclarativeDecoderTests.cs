using AdherencePipeline.Sensors;

namespace AdherencePipeline.Tests.Sensors;

public sealed class DeclarativeDecoderTests
{
    // The shipped lab layout: header = uint16 sequence + uint32 µs timestamp of the FIRST sample, then 10 × int16 LE x,y,z at ±8 g.
    [Fact]
    public void Declarative_LabFrame_DecodesScaledSamplesFromFirstSampleTime()
    {
        var spec = (DeclarativeDecoderSpec)TestProfiles.Load("lab-imu-declarative").Characteristics.Single(c => c.Name == "imu-data").Decoder;
        var frame = new byte[6 + 60];
        frame[0] = 0x07; // sequence 7 (ignored)
        frame[2] = 0x40; frame[3] = 0x42; frame[4] = 0x0F; // timestamp 0x000F4240 = 1 000 000 µs
        frame[6] = 0x00; frame[7] = 0x10; // x0 = 0x1000 = 4096 LSB × 8000/32768 mg = 1000 mg
        frame[8] = 0x00; frame[9] = 0xF0; // y0 = -4096 → -1000 mg
        frame[10] = 0x01; frame[11] = 0x00; // z0 = 1 → 0.244140625 mg
        using var block = new AccelerometerBlock(16);

        var result = new DeclarativeDecoder(spec.Layout).Decode(frame, 0, block);

        Assert.True(result.IsSuccess, result.Fault.ToString());
        Assert.Equal(10, block.Count);
        Assert.Equal((1000.0, -1000.0, 0.244140625), (block.XMilliG[0], block.YMilliG[0], block.ZMilliG[0]));
        Assert.Equal(1_000_000_000, block.TimestampsNs[0]);
        Assert.Equal(1_090_000_000, block.TimestampsNs[9]); // 100 Hz
    }

    // A big-endian z,x,y layout with no header: timestamps come from the receive time (last sample).
    [Fact]
    public void Declarative_BigEndianReorderedNoTimestamp_UsesAxisOrderAndReceiveTime()
    {
        var layout = new DeclarativeLayout(LayoutValueType.Int16, [Axis.Z, Axis.X, Axis.Y], 1.0, 50, bigEndian: true);
        using var block = new AccelerometerBlock(4);

        var result = new DeclarativeDecoder(layout).Decode(Hex.TryParse("03 E8 00 0A FF F6 03 E9 00 0B FF F5"), 5_000_000_000, block);

        Assert.True(result.IsSuccess);
        Assert.Equal([10.0, 11.0], block.XMilliG.ToArray());
        Assert.Equal([-10.0, -11.0], block.YMilliG.ToArray());
        Assert.Equal([1000.0, 1001.0], block.ZMilliG.ToArray());
        Assert.Equal([4_980_000_000, 5_000_000_000], block.TimestampsNs.ToArray());
    }

    [Theory]
    [InlineData("", DecodeFaultKind.Empty, "frame", 0)]
    [InlineData("07 00 40 42", DecodeFaultKind.Truncated, "header", 0)]
    [InlineData("07 00 40 42 0F 00 01 02 03", DecodeFaultKind.BadLength, "samples", 6)] // 3 bytes is not a 6-byte sample
    [InlineData("07 00 40 42 0F 00 01 02 03 04 05 06", DecodeFaultKind.BadLength, "samples", 6)] // 1 sample, the layout wants 10
    [InlineData("07 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", DecodeFaultKind.InvalidTimestamp, "timestamp", 2)]
    public void Declarative_MalformedFrame_FaultNamesFieldAndOffset(string hex, DecodeFaultKind kind, string field, int offset)
    {
        var spec = (DeclarativeDecoderSpec)TestProfiles.Load("lab-imu-declarative").Characteristics.Single(c => c.Name == "imu-data").Decoder;
        using var block = new AccelerometerBlock(16);

        var result = new DeclarativeDecoder(spec.Layout).Decode(Hex.TryParse(hex), 0, block);

        Assert.Equal(kind, result.Fault.Kind);
        Assert.Equal(field, result.Fault.Field);
        Assert.Equal(offset, result.Fault.Offset);
    }

    [FsCheck.Xunit.Property]
    public bool Declarative_EncodeThenDecode_WithinHalfAStep(short a, short b, short c, bool bigEndian)
    {
        var layout = new DeclarativeLayout(LayoutValueType.Int24, [Axis.Y, Axis.Z, Axis.X], 0.061, 104, bigEndian, 8, new LayoutTimestamp(0, LayoutTimestampType.UInt64, 1));
        var decoder = new DeclarativeDecoder(layout);
        var buffer = new byte[decoder.FrameLength(1)];
        double[] x = [a * 0.37], y = [b * 0.37], z = [c * 0.37];
        decoder.Encode(123_456_789, x, y, z, buffer);
        using var block = new AccelerometerBlock(2);
        var ok = decoder.Decode(buffer, 0, block).IsSuccess;
        return ok && Math.Abs(block.XMilliG[0] - x[0]) <= 0.0305 && Math.Abs(block.YMilliG[0] - y[0]) <= 0.0305
            && Math.Abs(block.ZMilliG[0] - z[0]) <= 0.0305 && block.TimestampsNs[0] == 123_456_789;
    }
}
