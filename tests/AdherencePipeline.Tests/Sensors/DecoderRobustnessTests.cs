using System.Diagnostics;
using AdherencePipeline.Sensors;

namespace AdherencePipeline.Tests.Sensors;

/// <summary>
/// Feeds a million random and mutated frames through every decoder: none may throw, and every value
/// that comes out must lie inside what its format can express.
/// </summary>
public sealed class DecoderRobustnessTests
{
    private const int FramesPerDecoder = 220_000;

    [Fact]
    public void Decoders_MillionRandomAndMutatedFrames_NeverThrowAndStayInRange()
    {
        var random = new Random(20240301);
        var stopwatch = Stopwatch.StartNew();
        var frame = new byte[600];
        var rr = new ushort[300];
        using var block = new AccelerometerBlock(2048);
        var pmdUncompressed = new PmdAccelerometerDecoder(new PmdAccelerometerSettings(200, 16, 8));
        var pmdCompressed = new PmdAccelerometerDecoder(new PmdAccelerometerSettings(52, 16, 8, 0.75f));
        var lab = (DeclarativeDecoderSpec)TestProfiles.Load("lab-imu-declarative").Characteristics[1].Decoder;
        var declarative = new DeclarativeDecoder(lab.Layout);
        var seeds = Seeds();
        var successes = new int[5];
        var total = 0;

        for (var i = 0; i < FramesPerDecoder; i++)
        {
            // HRS
            var length = Next(random, seeds.Hr, frame);
            var hr = HeartRateMeasurementCodec.Decode(frame.AsSpan(0, length), rr, out var m);
            CheckFault(hr, length);
            if (hr.IsSuccess)
            {
                successes[0]++;
                Assert.True(m.RrIntervalCount <= (length - 2) / 2);
                Assert.True(m.RrIntervalCount == 0 || HeartRateMeasurement.RrToMilliseconds(rr[m.RrIntervalCount - 1]) < 64000);
            }

            // PMD uncompressed and compressed
            length = Next(random, seeds.PmdUncompressed, frame);
            var acc = pmdUncompressed.Decode(frame.AsSpan(0, length), block);
            CheckBlock(acc, block, length, 1 << 23, successes, 1);
            length = Next(random, seeds.PmdCompressed, frame);
            acc = pmdCompressed.Decode(frame.AsSpan(0, length), block);
            // Compressed type 0 carries G/factor units (×1000 to milli-g); type 1 carries milli-g.
            var compressedLimit = length > 9 && frame[9] == 0x80 ? 32768 * 0.75 * 1000 : 32768 * 0.75;
            CheckBlock(acc, block, length, compressedLimit, successes, 2);

            // Declarative
            length = Next(random, seeds.Declarative, frame);
            acc = declarative.Decode(frame.AsSpan(0, length), 1_000_000_000, block);
            CheckBlock(acc, block, length, lab.Layout.FullScaleMilliG, successes, 3);

            // PMD control point, with its settings
            length = Next(random, seeds.ControlPoint, frame);
            var cp = PmdControlPoint.TryParseResponse(frame.AsSpan(0, length), out var response);
            CheckFault(cp, length);
            if (cp.IsSuccess && response.ParametersOffset <= length)
            {
                successes[4]++;
                CheckFault(PmdSettings.TryParse(frame.AsSpan(response.ParametersOffset, length - response.ParametersOffset), response.ParametersOffset, out _), length);
            }

            total += 5;
        }

        stopwatch.Stop();
        Assert.True(total >= 1_000_000);
        // Mutations of valid frames must also produce successes, or the test only exercised fault paths.
        Assert.All(successes, s => Assert.True(s > 1000, $"successes per decoder: {string.Join(", ", successes)}"));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"took {stopwatch.Elapsed}");
    }

    private static void CheckFault(DecodeResult result, int length)
    {
        if (!result.IsSuccess)
        {
            Assert.NotEqual(DecodeFaultKind.None, result.Fault.Kind);
            Assert.InRange(result.Fault.Offset, 0, length);
            Assert.False(string.IsNullOrEmpty(result.Fault.Field));
        }
    }

    private static void CheckBlock(DecodeResult result, AccelerometerBlock block, int length, double maxMilliG, int[] successes, int index)
    {
        CheckFault(result, length);
        if (!result.IsSuccess)
        {
            Assert.Equal(0, block.Count);
            return;
        }

        successes[index]++;
        Assert.Equal(result.SampleCount, block.Count);
        Assert.True(block.Count >= 1);
        var previous = 0L;
        for (var i = 0; i < block.Count; i++)
        {
            Assert.True(Math.Abs(block.XMilliG[i]) <= maxMilliG && Math.Abs(block.YMilliG[i]) <= maxMilliG && Math.Abs(block.ZMilliG[i]) <= maxMilliG);
            Assert.True(block.TimestampsNs[i] > previous, "timestamps must be positive and increasing");
            previous = block.TimestampsNs[i];
        }
    }

    /// <summary>Half the frames are mutations of a valid seed (bit flips, truncation, extension), half pure noise.</summary>
    private static int Next(Random random, byte[][] seeds, byte[] frame)
    {
        if (random.Next(2) == 0)
        {
            var length = random.Next(0, 64);
            random.NextBytes(frame.AsSpan(0, length));
            return length;
        }

        var seed = seeds[random.Next(seeds.Length)];
        seed.CopyTo(frame, 0);
        var size = seed.Length;
        switch (random.Next(4))
        {
            case 0:
                size = random.Next(0, seed.Length + 1);
                break;
            case 1:
                var extra = random.Next(1, 8);
                random.NextBytes(frame.AsSpan(size, extra));
                size += extra;
                break;
            case 2:
                for (var k = random.Next(1, 4); k > 0 && size > 0; k--)
                {
                    frame[random.Next(size)] ^= (byte)(1 << random.Next(8));
                }

                break;
            default:
                break; // the valid seed itself
        }

        return size;
    }

    private static (byte[][] Hr, byte[][] PmdUncompressed, byte[][] PmdCompressed, byte[][] Declarative, byte[][] ControlPoint) Seeds()
    {
        var h10 = new VirtualWearable(TestProfiles.Load("polar-h10"), Recording()).Notifications;
        var verity = new VirtualWearable(TestProfiles.Load("polar-verity-sense"), Recording()).Notifications;
        var lab = new VirtualWearable(TestProfiles.Load("lab-imu-declarative"), Recording()).Notifications;
        return (
            [.. h10.Where(n => n.Characteristic == GattUuid.HeartRateMeasurement).Select(n => n.Payload.ToArray()), Hex.TryParse("19 8C 00 0A 01 E8 03")!],
            [.. h10.Where(n => n.Characteristic == GattUuid.PmdData).Select(n => n.Payload.ToArray())],
            [.. verity.Where(n => n.Characteristic == GattUuid.PmdData).Select(n => n.Payload.ToArray())],
            [.. lab.Select(n => n.Payload.ToArray())],
            [Hex.TryParse("F0 01 02 00 00 00 04 19 00 32 00 64 00 C8 00 01 01 10 00 02 03 02 00 04 00 08 00")!, Hex.TryParse("F0 02 02 00 00 05 01 00 00 00 3F")!, Hex.TryParse("01 02")!]);
    }

    private static SensorRecording Recording()
    {
        var random = new Random(7);
        var n = 400;
        double[] x = new double[n], y = new double[n], z = new double[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = random.NextDouble() * 16 - 8;
            y[i] = random.NextDouble() * 2 - 1;
            z[i] = random.NextDouble() * 0.1;
        }

        return new SensorRecording(200, x, y, z, [new HeartRatePoint(0, 70), new HeartRatePoint(1_000_000_000, 190)], 2_000_000_000);
    }
}
