using AdherencePipeline.Sensors;

namespace AdherencePipeline.Tests.Sensors;

public sealed class PmdTests
{
    private static PmdAccelerometerDecoder Decoder(int rate, float factor = 1f) => new(new PmdAccelerometerSettings(rate, 16, 8, factor));

    private static (double X, double Y, double Z)[] Samples(AccelerometerBlock block) =>
        [.. Enumerable.Range(0, block.Count).Select(i => (block.XMilliG[i], block.YMilliG[i], block.ZMilliG[i]))];

    // polar-pmd.md §7 A: ACC type 0x02, timestamp 0x0A954D348C7FF000 (last sample), frame type 1 (int16), 3 samples.
    [Fact]
    public void PmdAccelerometer_UncompressedH10Frame_DecodesSamplesAndTimestamps()
    {
        using var block = new AccelerometerBlock(64);
        var frame = Hex.TryParse("02 00 F0 7F 8C 34 4D 95 0A 01 0C 00 D8 FF EB 03 F9 FF 19 00 E6 03 00 00 FF FF E9 03")!;

        var result = Decoder(200).Decode(frame, block);

        Assert.True(result.IsSuccess, result.Fault.ToString());
        Assert.Equal([(12, -40, 1003), (-7, 25, 998), (0, -1, 1001)], Samples(block));
        Assert.Equal([762_600_599_990_000_000, 762_600_599_995_000_000, 762_600_600_000_000_000], block.TimestampsNs.ToArray());
        Assert.Equal(762_600_600_000_000_000, block.FrameTimestampNs);
    }

    // §7 B: compressed type 1; reference (100,-200,1000); block w=4 n=3 `E3 C0 21 01 0F`; block w=6 n=1 `D4 F9 01`.
    [Fact]
    public void PmdAccelerometer_DeltaCompressedFrame_ReconstructsSamplesAndTimestamps()
    {
        using var block = new AccelerometerBlock(64);
        var frame = Hex.TryParse("02 00 A4 44 91 34 4D 95 0A 81 64 00 38 FF E8 03 04 03 E3 C0 21 01 0F 06 01 D4 F9 01")!;

        var result = Decoder(52).Decode(frame, block);

        Assert.True(result.IsSuccess, result.Fault.ToString());
        Assert.Equal([(100, -200, 1000), (103, -202, 1000), (99, -201, 1002), (100, -201, 1001), (120, -226, 1032)], Samples(block));
        Assert.Equal(
            [762_600_600_003_076_923, 762_600_600_022_307_692, 762_600_600_041_538_462, 762_600_600_060_769_231, 762_600_600_080_000_000],
            block.TimestampsNs.ToArray());
    }

    // §7 B, second half: with a previous frame at …983 846 154 the previous-timestamp rule gives the same values.
    [Fact]
    public void PmdAccelerometer_FrameAfterPreviousFrame_SpreadsSamplesSincePrevious()
    {
        using var block = new AccelerometerBlock(64);
        var decoder = Decoder(52);
        var previous = new byte[16];
        PmdAccelerometerEncoder.EncodeUncompressed(762_600_599_983_846_154, 1, [0], [0], [0], previous);
        Assert.True(decoder.Decode(previous, block).IsSuccess);

        decoder.Decode(Hex.TryParse("02 00 A4 44 91 34 4D 95 0A 81 64 00 38 FF E8 03 04 03 E3 C0 21 01 0F 06 01 D4 F9 01"), block);

        Assert.Equal(
            [762_600_600_003_076_923, 762_600_600_022_307_692, 762_600_600_041_538_462, 762_600_600_060_769_231, 762_600_600_080_000_000],
            block.TimestampsNs.ToArray());
    }

    [Fact]
    public void PmdAccelerometer_PreviousFrameFarAway_FallsBackToNominalRate()
    {
        using var block = new AccelerometerBlock(64);
        var decoder = Decoder(200);
        var frame = new byte[16];
        PmdAccelerometerEncoder.EncodeUncompressed(1_000_000_000, 1, [0], [0], [0], frame);
        decoder.Decode(frame, block);
        PmdAccelerometerEncoder.EncodeUncompressed(2_000_000_000, 1, [0], [0], [0], frame); // a second later: frames were lost

        decoder.Decode(frame, block);

        Assert.Equal([2_000_000_000], block.TimestampsNs.ToArray());
    }

    // §7 C: int8 and int24 uncompressed frames.
    [Theory]
    [InlineData("02 00 F0 7F 8C 34 4D 95 0A 00 05 FB 7F", 5, -5, 127)]
    [InlineData("02 00 F0 7F 8C 34 4D 95 0A 02 24 FA FF FA 00 00 D4 03 00", -1500, 250, 980)]
    public void PmdAccelerometer_Int8AndInt24Frames_DecodeMilliG(string hex, int x, int y, int z)
    {
        using var block = new AccelerometerBlock(8);

        Assert.True(Decoder(200).Decode(Hex.TryParse(hex), block).IsSuccess);
        Assert.Equal([((double)x, (double)y, (double)z)], Samples(block));
    }

    // Compressed type 1 with a device factor: float32 multiply, truncated toward zero, as Polar's SDK.
    [Fact]
    public void PmdAccelerometer_CompressedWithFactor_ScalesAndTruncates()
    {
        using var block = new AccelerometerBlock(8);
        var frame = new byte[32];
        var length = PmdAccelerometerEncoder.EncodeCompressed(1_000_000_000, 1, 16, [1000, 999], [-1000, -999], [3, 3], frame);

        Decoder(52, 0.5f).Decode(frame.AsSpan(0, length), block);

        Assert.Equal([(500, -500, 1), (499, -499, 1)], Samples(block));
    }

    [Theory]
    [InlineData("", DecodeFaultKind.Empty, "pmd-header", 0)]
    [InlineData("02 00 F0 7F 8C 34 4D 95", DecodeFaultKind.Truncated, "pmd-header", 0)] // shorter than 10 bytes
    [InlineData("00 00 F0 7F 8C 34 4D 95 0A 00 01 02 03", DecodeFaultKind.Unsupported, "measurement-type", 0)] // ECG on an ACC decoder
    [InlineData("02 00 F0 7F 8C 34 4D 95 0A 05 01 02 03", DecodeFaultKind.Unsupported, "frame-type", 9)] // type 5 unknown
    [InlineData("02 00 F0 7F 8C 34 4D 95 0A 01 0C 00 D8 FF EB", DecodeFaultKind.BadLength, "acc-samples", 10)] // 5 bytes, not 6n
    [InlineData("02 00 F0 7F 8C 34 4D 95 0A 01", DecodeFaultKind.BadLength, "acc-samples", 10)] // header, no sample
    [InlineData("02 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00", DecodeFaultKind.InvalidTimestamp, "timestamp", 1)] // time 0
    [InlineData("02 00 F0 7F 8C 34 4D 95 0A 81 64 00 38 FF", DecodeFaultKind.Truncated, "reference-sample", 10)] // 4 of 6 bytes
    [InlineData("02 00 F0 7F 8C 34 4D 95 0A 81 64 00 38 FF E8 03 04", DecodeFaultKind.Truncated, "delta-block.header", 16)] // width, no count
    [InlineData("02 00 F0 7F 8C 34 4D 95 0A 81 64 00 38 FF E8 03 00 03 00", DecodeFaultKind.InvalidValue, "delta-block.width", 16)] // width 0
    [InlineData("02 00 F0 7F 8C 34 4D 95 0A 81 64 00 38 FF E8 03 21 01 00", DecodeFaultKind.InvalidValue, "delta-block.width", 16)] // width 33
    [InlineData("02 00 F0 7F 8C 34 4D 95 0A 81 64 00 38 FF E8 03 04 03 E3 C0", DecodeFaultKind.Truncated, "delta-block.data", 18)] // 2 of 5 packed bytes
    [InlineData("02 00 F0 7F 8C 34 4D 95 0A 81 FF 7F 00 00 00 00 02 01 01 00", DecodeFaultKind.InvalidValue, "delta-block.sample", 16)] // 32767 + 1 leaves int16
    [InlineData("02 00 F0 7F 8C 34 4D 95 0A 82 00 00 00 00 00 00", DecodeFaultKind.Unsupported, "frame-type", 9)] // compressed type 2
    public void PmdAccelerometer_MalformedFrame_FaultNamesFieldAndOffset(string hex, DecodeFaultKind kind, string field, int offset)
    {
        using var block = new AccelerometerBlock(64);

        var result = Decoder(200).Decode(Hex.TryParse(hex), block);

        Assert.Equal(kind, result.Fault.Kind);
        Assert.Equal(field, result.Fault.Field);
        Assert.Equal(offset, result.Fault.Offset);
        Assert.Equal(0, block.Count);
    }

    [Fact]
    public void PmdAccelerometer_FirstSampleBeforeEpoch_FaultsInsteadOfInventingTime()
    {
        using var block = new AccelerometerBlock(64);
        var frame = new byte[10 + 50 * 6];
        PmdAccelerometerEncoder.EncodeUncompressed(500_000, 1, new int[50], new int[50], new int[50], frame); // 50 samples at 25 Hz end at 0.5 ms

        var result = Decoder(25).Decode(frame, block);

        Assert.Equal(DecodeFaultKind.InvalidTimestamp, result.Fault.Kind);
    }

    // polar-pmd.md §3 worked requests.
    [Fact]
    public void PmdControlPoint_Requests_MatchWorkedBytes()
    {
        var buffer = new byte[32];
        Assert.Equal("01 02", Hex.Format(buffer.AsSpan(0, PmdControlPoint.WriteGetSettings(PmdMeasurementType.Acc, buffer))).ToUpperInvariant());
        Assert.Equal("03 02", Hex.Format(buffer.AsSpan(0, PmdControlPoint.WriteStop(PmdMeasurementType.Acc, buffer))).ToUpperInvariant());
        // Settings given out of order are sent in ascending type order.
        var h10 = PmdControlPoint.WriteStart(PmdMeasurementType.Acc, [new(PmdSettingType.Range, 8), new(PmdSettingType.SampleRate, 200), new(PmdSettingType.Resolution, 16)], buffer);
        Assert.Equal("02 02 00 01 C8 00 01 01 10 00 02 01 08 00", Hex.Format(buffer.AsSpan(0, h10)).ToUpperInvariant());
        var verity = PmdControlPoint.WriteStart(PmdMeasurementType.Acc, [new(PmdSettingType.SampleRate, 52), new(PmdSettingType.Resolution, 16), new(PmdSettingType.Range, 8), new(PmdSettingType.Channels, 3)], buffer);
        Assert.Equal("02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03", Hex.Format(buffer.AsSpan(0, verity)).ToUpperInvariant());
        var ecg = PmdControlPoint.WriteStart(PmdMeasurementType.Ecg, [new(PmdSettingType.SampleRate, 130), new(PmdSettingType.Resolution, 14)], buffer);
        Assert.Equal("02 00 00 01 82 00 01 01 0E 00", Hex.Format(buffer.AsSpan(0, ecg)).ToUpperInvariant());
    }

    // §4: settings response of an H10: rates {25,50,100,200}, resolution {16}, range {2,4,8}.
    [Fact]
    public void PmdControlPoint_SettingsResponse_ParsesEveryValue()
    {
        var payload = Hex.TryParse("F0 01 02 00 00 00 04 19 00 32 00 64 00 C8 00 01 01 10 00 02 03 02 00 04 00 08 00")!;

        Assert.True(PmdControlPoint.TryParseResponse(payload, out var response).IsSuccess);
        Assert.True(response.IsSuccess);
        Assert.Equal(PmdOpCode.GetMeasurementSettings, response.OpCode);
        Assert.True(PmdSettings.TryParse(payload.AsSpan(response.ParametersOffset), response.ParametersOffset, out var settings).IsSuccess);
        Assert.Equal([25, 50, 100, 200], settings[PmdSettingType.SampleRate]);
        Assert.Equal([16], settings[PmdSettingType.Resolution]);
        Assert.Equal([2, 4, 8], settings[PmdSettingType.Range]);
        Assert.Equal(1f, settings.Factor);
    }

    [Theory]
    [InlineData("F0 02 02 00 00", PmdOpCode.RequestMeasurementStart, PmdStatus.Success, false)] // start OK (Verity Sense)
    [InlineData("F0 02 02 09 00", PmdOpCode.RequestMeasurementStart, PmdStatus.InvalidRange, false)] // start failed: INVALID_RANGE
    [InlineData("F0 03 02 00 00", PmdOpCode.StopMeasurement, PmdStatus.Success, false)]
    [InlineData("01 02", PmdOpCode.StopMeasurement, PmdStatus.Success, true)] // device-initiated stop of ACC
    public void PmdControlPoint_Response_ParsesStatus(string hex, PmdOpCode op, PmdStatus status, bool deviceStop)
    {
        Assert.True(PmdControlPoint.TryParseResponse(Hex.TryParse(hex), out var response).IsSuccess);
        Assert.Equal(op, response.OpCode);
        Assert.Equal(status, response.Status);
        Assert.Equal(deviceStop, response.IsDeviceStop);
        Assert.Equal(2, response.MeasurementType);
    }

    [Theory]
    [InlineData("", DecodeFaultKind.Empty, "control-point")]
    [InlineData("0F 05 00", DecodeFaultKind.Unsupported, "response-marker")] // a feature read is not a response
    [InlineData("F0 02 02", DecodeFaultKind.Truncated, "response-header")]
    public void PmdControlPoint_MalformedResponse_Faults(string hex, DecodeFaultKind kind, string field)
    {
        var result = PmdControlPoint.TryParseResponse(Hex.TryParse(hex), out _);

        Assert.Equal(kind, result.Fault.Kind);
        Assert.Equal(field, result.Fault.Field);
    }

    [Fact]
    public void PmdSettings_TruncatedTlv_FaultNamesOffset()
    {
        var result = PmdSettings.TryParse(Hex.TryParse("00 02 19 00 32"), 5, out _);

        Assert.Equal(DecodeFaultKind.Truncated, result.Fault.Kind);
        Assert.Equal("setting.values", result.Fault.Field);
        Assert.Equal(7, result.Fault.Offset);
    }

    [Fact]
    public void SensorDecoder_StartResponseWithFactor_AppliesFactorToCompressedFrames()
    {
        using var decoder = new SensorDecoder(TestProfiles.Load("polar-verity-sense"));
        // F0 02 02 00 00 | 05 01 <0.5f LE = 00 00 00 3F>
        Assert.True(decoder.Decode(GattUuid.PmdControlPoint, Hex.TryParse("F0 02 02 00 00 05 01 00 00 00 3F"), 0).IsSuccess);
        var frame = new byte[32];
        var length = PmdAccelerometerEncoder.EncodeCompressed(1_000_000_000, 1, 16, [1000, 998], [0, 0], [0, 0], frame);

        Assert.True(decoder.Decode(GattUuid.PmdData, frame.AsSpan(0, length), 0).IsSuccess);
        Assert.Equal([500.0, 499.0], decoder.Accelerometer.XMilliG.ToArray());
    }

    [FsCheck.Xunit.Property]
    public bool PmdAccelerometer_CompressedRoundTrip_ReturnsSameSamples(short[] xs, short[] ys, short[] zs, bool compressed)
    {
        var n = Math.Min(xs?.Length ?? 0, Math.Min(ys?.Length ?? 0, zs?.Length ?? 0));
        if (n == 0)
        {
            return true;
        }

        var x = xs!.Take(n).Select(v => (int)v).ToArray();
        var y = ys!.Take(n).Select(v => (int)v).ToArray();
        var z = zs!.Take(n).Select(v => (int)v).ToArray();
        var frame = new byte[10 + 6 * n + 12 * n + 64];
        var length = compressed
            ? PmdAccelerometerEncoder.EncodeCompressed(1_000_000_000_000, 1, 16, x, y, z, frame)
            : PmdAccelerometerEncoder.EncodeUncompressed(1_000_000_000_000, 1, x, y, z, frame);
        using var block = new AccelerometerBlock(n + 1);
        var result = Decoder(200).Decode(frame.AsSpan(0, length), block);
        return result.IsSuccess && block.Count == n
            && block.XMilliG.ToArray().SequenceEqual(x.Select(v => (double)v))
            && block.YMilliG.ToArray().SequenceEqual(y.Select(v => (double)v))
            && block.ZMilliG.ToArray().SequenceEqual(z.Select(v => (double)v))
            && block.TimestampsNs[n - 1] == 1_000_000_000_000;
    }
}
