using AdherencePipeline.Sensors;
using BenchmarkDotNet.Attributes;

namespace AdherencePipeline.Benchmarks;

/// <summary>
/// Decode throughput per decoder on frames the virtual wearable produces (real frame sizes).
/// One operation = one notification; samples/s = samples per frame ÷ (ns/op) × 10⁹.
/// </summary>
[MemoryDiagnoser]
public class DecoderBenchmarks
{
    private byte[] _heartRate = [];
    private byte[] _h10Frame = [];
    private byte[] _verityFrame = [];
    private byte[] _labFrame = [];
    private byte[] _controlPoint = [];
    private ushort[] _rr = [];
    private AccelerometerBlock _block = null!;
    private PmdAccelerometerDecoder _h10 = null!;
    private PmdAccelerometerDecoder _verity = null!;
    private DeclarativeDecoder _lab = null!;

    [GlobalSetup]
    public void Setup()
    {
        var directory = Path.Combine(AppContext.BaseDirectory, FirmwareProfileLoader.DefaultDirectoryName);
        var h10 = FirmwareProfileLoader.Load(Path.Combine(directory, "polar-h10.json"));
        var verity = FirmwareProfileLoader.Load(Path.Combine(directory, "polar-verity-sense.json"));
        var lab = FirmwareProfileLoader.Load(Path.Combine(directory, "lab-imu-declarative.json"));
        var recording = Recording();
        var h10Plan = VirtualWearable.Plan(h10, recording, new VirtualWearableOptions());
        _heartRate = h10Plan.First(n => n.Characteristic == GattUuid.HeartRateMeasurement && n.Payload.Length > 4).Payload.ToArray();
        _h10Frame = h10Plan.First(n => n.Characteristic == GattUuid.PmdData).Payload.ToArray();
        _verityFrame = VirtualWearable.Plan(verity, recording, new VirtualWearableOptions()).First(n => n.Characteristic == GattUuid.PmdData).Payload.ToArray();
        _labFrame = VirtualWearable.Plan(lab, recording, new VirtualWearableOptions())[0].Payload.ToArray();
        _controlPoint = Hex.TryParse("F0 02 02 00 00")!;
        _rr = new ushort[16];
        _block = new AccelerometerBlock(256);
        _h10 = new PmdAccelerometerDecoder(((PmdAccelerometerDecoderSpec)h10.Characteristics[2].Decoder).Settings);
        _verity = new PmdAccelerometerDecoder(((PmdAccelerometerDecoderSpec)verity.Characteristics[1].Decoder).Settings);
        _lab = new DeclarativeDecoder(((DeclarativeDecoderSpec)lab.Characteristics[1].Decoder).Layout);
        Console.WriteLine($"// frame bytes: hr {_heartRate.Length}, h10 {_h10Frame.Length}, verity {_verityFrame.Length}, lab {_labFrame.Length}");
        Console.WriteLine($"// samples per frame: h10 {_h10.Decode(_h10Frame, _block).SampleCount}, verity {_verity.Decode(_verityFrame, _block).SampleCount}, lab {_lab.Decode(_labFrame, 1, _block).SampleCount}");
    }

    [GlobalCleanup]
    public void Cleanup() => _block.Dispose();

    [Benchmark(Description = "HRS 0x2A37")]
    public int HeartRate() => HeartRateMeasurementCodec.Decode(_heartRate, _rr, out _).SampleCount;

    [Benchmark(Description = "PMD ACC uncompressed (H10)")]
    public int PmdUncompressed() => _h10.Decode(_h10Frame, _block).SampleCount;

    [Benchmark(Description = "PMD ACC delta-compressed (Verity Sense)")]
    public int PmdCompressed() => _verity.Decode(_verityFrame, _block).SampleCount;

    [Benchmark(Description = "Declarative int16 layout (lab)")]
    public int Declarative() => _lab.Decode(_labFrame, 1, _block).SampleCount;

    [Benchmark(Description = "PMD control-point response")]
    public int ControlPoint() => PmdControlPoint.TryParseResponse(_controlPoint, out _).SampleCount;

    private static SensorRecording Recording()
    {
        var random = new Random(1);
        var n = 2000;
        double[] x = new double[n], y = new double[n], z = new double[n];
        for (var i = 0; i < n; i++)
        {
            // Wrist/torso-like motion: a slow swing plus noise, so deltas need realistic widths.
            x[i] = 0.3 * Math.Sin(i / 20.0) + random.NextDouble() * 0.05;
            y[i] = 0.2 * Math.Cos(i / 15.0) + random.NextDouble() * 0.05;
            z[i] = 1 + random.NextDouble() * 0.05;
        }

        return new SensorRecording(200, x, y, z, [new HeartRatePoint(0, 150)], 10_000_000_000);
    }
}
