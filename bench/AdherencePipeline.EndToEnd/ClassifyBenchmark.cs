using System.Diagnostics;
using System.Globalization;
using AdherencePipeline.Activity;
using AdherencePipeline.Recordings;
using AdherencePipeline.Signal;
using AdherencePipeline.Testing;

/// <summary>
/// The shipped model on a recording's complete windows, in CPU time of this process (all threads):
/// ML.NET's prediction engine one window at a time, ML.NET's batch <c>Transform</c>, and the flattened
/// trees. CPU time, unlike BenchmarkDotNet's wall time, holds up on a machine shared with other work.
/// </summary>
internal static class ClassifyBenchmark
{
    public static int Run(string recordingPath, int count, int repeat, string modelPath)
    {
        var repository = RepositoryRoot.Path;
        var model = ActivityModel.Load(Path.IsPathRooted(modelPath) ? modelPath : Path.Combine(repository, modelPath));
        var recording = RecordingCalibration.Calibrate(RecordingReader.Open(recordingPath).Single()).Recording;
        var acc = recording.Accelerometer;
        var windows = new List<AccelerationWindow>();
        new AccelerationProcessor(25).Process(acc.TimestampNs.Span, acc.XG.Span, acc.YG.Span, acc.ZG.Span, windows, []);
        var extractor = new WindowFeatures();
        var features = new float[WindowFeatures.Count];
        var inputs = windows.Where(w => w.IsComplete).Take(count).Select(w =>
        {
            extractor.Extract(w, [], null, features);
            return ActivityFeatures.Select(features);
        }).ToArray();
        var probabilities = new float[ActivityTaxonomy.Count];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{inputs.Length:N0} windows of {recording.SubjectId}; model {model.Version} ({model.Evaluator})"));
        for (var run = 1; run <= 3; run++)
        {
            var trees = Measure(inputs.Length * repeat, () =>
            {
                for (var r = 0; r < repeat; r++)
                {
                    foreach (var input in inputs)
                    {
                        model.Predict(input, probabilities);
                    }
                }
            });
            var engine = Measure(inputs.Length, () =>
            {
                foreach (var input in inputs)
                {
                    model.PredictWithMLNet(input);
                }
            });
            var batch = Measure(inputs.Length, () => model.PredictBatchWithMLNet(inputs));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"run {run}: flattened trees {trees.Cpu:0.0} µs CPU per window ({trees.Wall:0.0} µs wall, {1e6 / trees.Cpu:N0} windows per CPU-second); " +
                $"ML.NET engine {engine.Cpu:0.0} µs CPU ({engine.Wall:0.0} µs wall); ML.NET batch {batch.Cpu:0.0} µs CPU ({batch.Wall:0.0} µs wall); " +
                $"allocated by the trees {trees.Allocated:0} B per window; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
        }

        return 0;
    }

    private static (double Cpu, double Wall, double Allocated) Measure(int windows, Action action)
    {
        var self = Process.GetCurrentProcess();
        self.Refresh();
        var cpu = self.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var wall = Stopwatch.StartNew();
        action();
        wall.Stop();
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        self.Refresh();
        return ((self.TotalProcessorTime - cpu).TotalMilliseconds * 1000 / windows, wall.Elapsed.TotalMilliseconds * 1000 / windows, (double)bytes / windows);
    }
}
