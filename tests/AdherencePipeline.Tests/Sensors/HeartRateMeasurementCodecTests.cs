using AdherencePipeline.Sensors;

namespace AdherencePipeline.Tests.Sensors;

public sealed class HeartRateMeasurementCodecTests
{
    private static (DecodeResult Result, HeartRateMeasurement Measurement, double[] RrMs) Decode(string hex)
    {
        var rr = new ushort[64];
        var result = HeartRateMeasurementCodec.Decode(Hex.TryParse(hex), rr, out var m);
        return (result, m, [.. rr.Take(m.RrIntervalCount).Select(HeartRateMeasurement.RrToMilliseconds)]);
    }

    // Worked examples 1-8 of heart-rate-service.md §5.
    [Theory]
    [InlineData("00 48", 72, SensorContact.NotSupported, null, new double[0])] // flags 0: uint8 HR 0x48
    [InlineData("16 4B 3A 03", 75, SensorContact.Contact, null, new[] { 806.640625 })] // contact 3, RR 0x033A = 826/1024 s
    [InlineData("16 50 00 03 F0 02", 80, SensorContact.Contact, null, new[] { 750.0, 734.375 })] // two RR, oldest first
    [InlineData("04 00", 0, SensorContact.NoContact, null, new double[0])] // contact status 2, HR 0 = no valid beat
    [InlineData("01 5A 00", 90, SensorContact.NotSupported, null, new double[0])] // uint16 HR 0x005A
    [InlineData("19 8C 00 0A 01 E8 03", 140, SensorContact.NotSupported, 266, new[] { 976.5625 })] // uint16 + energy 0x010A + RR 1000
    [InlineData("1E 96 2C 01 B0 01 A8 01", 150, SensorContact.Contact, 300, new[] { 421.875, 414.0625 })] // uint8 + contact + energy + 2 RR
    [InlineData("E0 48", 72, SensorContact.NotSupported, null, new double[0])] // reserved bits ignored
    [InlineData("02 48", 72, SensorContact.NotSupported, null, new double[0])] // status 1 = not supported too
    [InlineData("01 2C 01", 300, SensorContact.NotSupported, null, new double[0])] // uint16 value above 255: 0x012C
    public void HeartRate_WorkedExample_DecodesAllFields(string hex, int bpm, SensorContact contact, int? energy, double[] rrMs)
    {
        var (result, m, rr) = Decode(hex);

        Assert.True(result.IsSuccess, result.Fault.ToString());
        Assert.Equal(bpm, m.HeartRateBpm);
        Assert.Equal(contact, m.Contact);
        Assert.Equal(energy, (int?)m.EnergyExpendedKj);
        Assert.Equal(rrMs, rr);
    }

    [Theory]
    [InlineData("", DecodeFaultKind.Empty, "flags", 0)]
    [InlineData("11 48", DecodeFaultKind.Truncated, "heart-rate", 1)] // uint16 announced, one byte present
    [InlineData("10 48 00", DecodeFaultKind.BadLength, "rr-interval", 2)] // RR area of odd length 1
    [InlineData("08 48 2C", DecodeFaultKind.Truncated, "energy-expended", 2)] // one energy byte of two
    [InlineData("10 48", DecodeFaultKind.BadLength, "rr-interval", 2)] // RR flag with no RR bytes
    [InlineData("00 48 00 01", DecodeFaultKind.TrailingBytes, "heart-rate-measurement", 2)] // bytes the flags do not announce
    public void HeartRate_MalformedNotification_FaultNamesFieldAndOffset(string hex, DecodeFaultKind kind, string field, int offset)
    {
        var (result, _, _) = Decode(hex);

        Assert.False(result.IsSuccess);
        Assert.Equal(kind, result.Fault.Kind);
        Assert.Equal(field, result.Fault.Field);
        Assert.Equal(offset, result.Fault.Offset);
        Assert.Contains(field, result.Fault.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void HeartRate_TooManyRrForBuffer_FaultsWithoutPartialOutput()
    {
        var result = HeartRateMeasurementCodec.Decode(Hex.TryParse("10 48 01 00 02 00 03 00"), new ushort[2], out var m);

        Assert.Equal(DecodeFaultKind.BufferTooSmall, result.Fault.Kind);
        Assert.Equal(default, m);
    }

    // Every combination of the 8 flag bits, each with a fitting payload, decodes and re-encodes consistently.
    [Fact]
    public void HeartRate_EveryFlagCombination_DecodesAsFlagsDescribe()
    {
        for (var flags = 0; flags < 256; flags++)
        {
            var payload = new List<byte> { (byte)flags };
            var wide = (flags & 0x01) != 0;
            payload.AddRange(wide ? [0x34, 0x01] : [0x9B]); // 308 or 155 bpm
            if ((flags & 0x08) != 0)
            {
                payload.AddRange([0xFF, 0xFF]); // energy saturated at 65535 kJ
            }

            if ((flags & 0x10) != 0)
            {
                payload.AddRange([0x00, 0x04, 0x01, 0x00]); // RR 1024 (1000 ms) and 1 (0.9765625 ms)
            }

            var rr = new ushort[8];
            var result = HeartRateMeasurementCodec.Decode(payload.ToArray(), rr, out var m);

            Assert.True(result.IsSuccess, $"flags 0x{flags:X2}: {result.Fault}");
            Assert.Equal(wide ? 308 : 155, m.HeartRateBpm);
            Assert.Equal(((flags >> 1) & 3) switch { 2 => SensorContact.NoContact, 3 => SensorContact.Contact, _ => SensorContact.NotSupported }, m.Contact);
            Assert.Equal((flags & 0x08) != 0 ? 65535 : null, (int?)m.EnergyExpendedKj);
            Assert.Equal((flags & 0x10) != 0 ? 2 : 0, m.RrIntervalCount);
            if (m.RrIntervalCount == 2)
            {
                Assert.Equal([1024, 1], rr[..2]);
            }
        }
    }

    [Fact]
    public void HeartRate_EncodeWorkedExample_ProducesSameBytes()
    {
        var buffer = new byte[20];
        var length = HeartRateMeasurementCodec.Encode(new HeartRateMeasurement(150, SensorContact.Contact, 300, 2), [432, 424], buffer);

        Assert.Equal("1e 96 2c 01 b0 01 a8 01", Hex.Format(buffer.AsSpan(0, length)));
    }

    [FsCheck.Xunit.Property]
    public bool HeartRate_EncodeThenDecode_ReturnsSameMeasurement(ushort bpm, byte contactCode, ushort? energy, ushort[] rr)
    {
        rr ??= [];
        var contact = (contactCode % 3) switch { 0 => SensorContact.NotSupported, 1 => SensorContact.NoContact, _ => SensorContact.Contact };
        var m = new HeartRateMeasurement(bpm, contact, energy, rr.Length);
        var buffer = new byte[HeartRateMeasurementCodec.EncodedLength(m, rr.Length)];
        HeartRateMeasurementCodec.Encode(m, rr, buffer);
        var decodedRr = new ushort[rr.Length];
        var result = HeartRateMeasurementCodec.Decode(buffer, decodedRr, out var decoded);
        return result.IsSuccess && decoded.HeartRateBpm == bpm && decoded.Contact == contact && decoded.EnergyExpendedKj == energy && decodedRr.SequenceEqual(rr);
    }
}
