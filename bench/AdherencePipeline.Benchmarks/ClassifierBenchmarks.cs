using AdherencePipeline.Activity;
using AdherencePipeline.Recordings;
using AdherencePipeline.Signal;
using AdherencePipeline.Testing;
using BenchmarkDotNet.Attributes;

namespace AdherencePipeline.Benchmarks;

/// <summary>
/// The shipped activity model (200 iterations × 10 classes, 16 leaves) on the real windows of a
/// chest-strap recording: ML.NET's prediction engine and batch <c>Transform</c> against the flattened
/// trees, one window per call and a batch of windows. Single-window benchmarks step through the
/// recording's windows so that branch prediction sees real data. Windows/s = 10⁹ ÷ (ns per window).
/// </summary>
[MemoryDiagnoser]
public class ClassifierBenchmarks
{
    private const int Batch = 200;
    private readonly float[] _probabilities = new float[ActivityTaxonomy.Count];
    private ActivityModel _model = null!;
    private float[][] _windows = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _model = ActivityModel.Load(RepositoryRoot.Combine("data", "models", "activity.zip"));
        if (_model.TreeEvaluatorUnavailableReason is { } reason)
        {
            throw new InvalidOperationException("The shipped model's trees are not flattened: " + reason);
        }

        var recording = RecordingReader.Open(Path.Combine(RepositoryRoot.Path, "..", "shared", "data", "chest-hr-hexoskin", "subject013"))[0];
        var acc = recording.Accelerometer;
        var windows = new List<AccelerationWindow>();
        new AccelerationProcessor(25).Process(acc.TimestampNs.Span, acc.XG.Span, acc.YG.Span, acc.ZG.Span, windows, []);
        var extractor = new WindowFeatures();
        var features = new float[WindowFeatures.Count];
        _windows = [.. windows.Where(w => w.IsComplete).Take(Batch).Select(w =>
        {
            extractor.Extract(w, [], null, features);
            return ActivityFeatures.Select(features);
        })];
        if (_windows.Length < Batch)
        {
            throw new InvalidOperationException($"The recording gave {_windows.Length} complete windows, fewer than {Batch}.");
        }
    }

    private float[] NextWindow()
    {
        var window = _windows[_next];
        _next = _next + 1 == _windows.Length ? 0 : _next + 1;
        return window;
    }

    /// <summary>One window through ML.NET's prediction engine (what the classify stage did before).</summary>
    [Benchmark]
    public float MLNetWindow() => _model.PredictWithMLNet(NextWindow())[0];

    /// <summary>One window through the flattened trees into a caller's buffer.</summary>
    [Benchmark(Baseline = true)]
    public float FlattenedWindow()
    {
        _model.Predict(NextWindow(), _probabilities);
        return _probabilities[0];
    }

    /// <summary>200 windows through one ML.NET <c>Transform</c>; time per window.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int MLNetBatch() => _model.PredictBatchWithMLNet(_windows).Length;

    /// <summary>200 windows through the flattened trees; time per window.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public float FlattenedBatch()
    {
        var sum = 0f;
        foreach (var window in _windows)
        {
            _model.Predict(window, _probabilities);
            sum += _probabilities[0];
        }

        return sum;
    }
}
