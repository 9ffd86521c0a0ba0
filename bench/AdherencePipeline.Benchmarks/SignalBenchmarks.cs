using AdherencePipeline.Pipeline;
using AdherencePipeline.Signal;
using AdherencePipeline.Storage;
using BenchmarkDotNet.Attributes;

namespace AdherencePipeline.Benchmarks;

/// <summary>
/// The signal path's hot spots on one minute of 50 Hz acceleration (a walk with gravity): the
/// processor (resampling, gravity, windows), feature extraction per window, the whole participant
/// analysis per frame, and line-protocol formatting. Samples/s = 3,000 ÷ (time per op).
/// </summary>
[MemoryDiagnoser]
public class SignalBenchmarks
{
    private const int Samples = 3_000;
    private readonly long[] _t = new long[Samples];
    private readonly float[] _x = new float[Samples];
    private readonly float[] _y = new float[Samples];
    private readonly float[] _z = new float[Samples];
    private readonly List<AccelerationWindow> _windows = [];
    private readonly List<SignalGap> _gaps = [];
    private readonly float[] _features = new float[WindowFeatures.Count];
    private readonly WindowFeatures _extractor = new();
    private readonly List<PipelineEvent> _events = [];
    private readonly System.Buffers.ArrayBufferWriter<byte> _line = new(256);
    private AccelerationData[] _frames = [];
    private AccelerationWindow _window = null!;
    private Point _point = null!;

    [GlobalSetup]
    public void Setup()
    {
        var start = 1_790_000_000_000_000_000L;
        for (var i = 0; i < Samples; i++)
        {
            var s = i / 50.0;
            _t[i] = start + i * 20_000_000L;
            _x[i] = (float)(0.1 * Math.Sin(2 * Math.PI * 0.9 * s));
            _y[i] = (float)(-1 + 0.3 * Math.Sin(2 * Math.PI * 1.8 * s));
            _z[i] = 0.05f;
        }

        _frames = Enumerable.Range(0, Samples / 36 + 1)
            .Select(f => (From: f * 36, Count: Math.Min(36, Samples - f * 36)))
            .Where(r => r.Count > 0)
            .Select(r => new AccelerationData("bench", "polar-h10", 50, _t[r.From..(r.From + r.Count)], _x[r.From..(r.From + r.Count)], _y[r.From..(r.From + r.Count)], _z[r.From..(r.From + r.Count)]))
            .ToArray();
        Processor();
        _window = _windows.First(w => w.IsComplete);
        _point = Point.For("motion").Tag("participant", "P001").Tag("device_model", "polar-h10")
            .Field("enmo_mg", 12.5).Field("magnitude_g", 1.01).Field("samples", 25L).Field("coverage", 1.0).At(start);
    }

    /// <summary>Resample 50 → 25 Hz, gravity, windows: one minute.</summary>
    [Benchmark]
    public int Processor()
    {
        var processor = new AccelerationProcessor(50);
        _windows.Clear();
        _gaps.Clear();
        processor.Process(_t, _x, _y, _z, _windows, _gaps);
        processor.Complete(_windows);
        return _windows.Count;
    }

    /// <summary>All 70 features of one 5-s window.</summary>
    [Benchmark]
    public float Features()
    {
        _extractor.Extract(_window, [], null, _features);
        return _features[0];
    }

    /// <summary>The participant analysis on one minute in 36-sample frames: processor, seconds, features.</summary>
    [Benchmark]
    public int Participant()
    {
        var analyser = new ParticipantAnalyser(new ParticipantContext("P001"));
        _events.Clear();
        foreach (var frame in _frames)
        {
            analyser.Add(frame, _events);
        }

        analyser.Complete(_events);
        return _events.Count;
    }

    /// <summary>One per-second motion point as line protocol.</summary>
    [Benchmark]
    public int LineProtocolPoint()
    {
        _line.ResetWrittenCount();
        LineProtocol.Write(_point, _line);
        return _line.WrittenCount;
    }
}
