using System.Reactive;
using AdherencePipeline.Activity;
using AdherencePipeline.Adherence;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Signal;
using AdherencePipeline.Storage;
using AdherencePipeline.Tests.Recordings;
using Microsoft.Reactive.Testing;

namespace AdherencePipeline.Tests.Activity;

/// <summary>The classify stage on virtual time, with real windows of a subject the model has not seen.</summary>
[Collection(ActivityData.Name)]
public sealed class ClassifyStageTests(ActivityFixture data) : ReactiveTest
{
    /// <summary>The first complete windows of subject 3's running block (#11), as the pipeline makes them.</summary>
    private static List<WindowEvent> RunningWindows(int count)
    {
        var recording = RecordingReader.Open(SharedData.File("daily-sports-torso", "subject3.csv.gz"))[11];
        var acc = recording.Accelerometer;
        var processor = new AccelerationProcessor(25);
        var windows = new List<AccelerationWindow>();
        processor.Process(acc.TimestampNs.Span, acc.XG.Span, acc.YG.Span, acc.ZG.Span, windows, new List<SignalGap>());
        var features = new WindowFeatures();
        return [.. windows.Where(w => w.IsComplete).Take(count).Select(w =>
        {
            var f = new float[WindowFeatures.Count];
            features.Extract(w, [], null, f);
            return new WindowEvent("P001", "polar-h10", w, f);
        })];
    }

    [Fact]
    public void Classify_CompleteWindowsAndAnIncompleteOne_EmitsAnActivityRightAfterEachCompleteWindow()
    {
        var scheduler = new TestScheduler();
        var windows = RunningWindows(2);
        var partial = new WindowEvent("P001", "polar-h10", new AccelerationWindow(0, 5_000_000_000, 125, 60), new float[WindowFeatures.Count]);
        var events = scheduler.CreateHotObservable<PipelineEvent>(
            OnNext<PipelineEvent>(100, windows[0]),
            OnNext<PipelineEvent>(200, windows[1]),
            OnNext<PipelineEvent>(300, partial),
            OnCompleted<PipelineEvent>(400));

        var result = scheduler.Start(() => events.Classify(() => data.Model), created: 0, subscribed: 0, disposed: 1_000);

        Assert.Equal([100, 100, 200, 200, 300, 400], result.Messages.Select(m => m.Time));
        Assert.Same(windows[0], result.Messages[0].Value.Value);
        Assert.Same(partial, result.Messages[4].Value.Value);
        Assert.Equal(NotificationKind.OnCompleted, result.Messages[5].Value.Kind);
        foreach (var i in new[] { 1, 3 })
        {
            var a = Assert.IsType<ActivityEvent>(result.Messages[i].Value.Value);
            Assert.Equal(ActivityClass.Running, a.Activity);
            Assert.Equal(ActivityClass.Running, a.Smoothed);
            Assert.Equal(1.0, a.Probabilities.Sum(), 4);
            Assert.Equal(data.Model.Version, a.ModelVersion);
            Assert.Equal(IntensitySource.Enmo, a.Intensity!.Value.Source);
            Assert.Equal(windows[i / 2].Window.StartNs, a.StartNs);
        }
    }

    [Fact]
    public void Classify_ModelSwappedBetweenWindows_NextWindowUsesTheNewModel()
    {
        var scheduler = new TestScheduler();
        var windows = RunningWindows(2);
        var folder = Directory.CreateTempSubdirectory("classify-swap-").FullName;
        try
        {
            var firstPath = Path.Combine(folder, "first.zip");
            var otherPath = Path.Combine(folder, "other.zip");
            data.Model.Save(firstPath, [], null);
            ActivityTrainer.Train([.. data.Windows.Where((_, i) => i % 4 == 0)], ActivityFixture.Small with { Iterations = 5 }).Save(otherPath, [], null);
            var first = ActivityModel.Load(firstPath);
            var other = ActivityModel.Load(otherPath);
            var current = first;
            var events = scheduler.CreateHotObservable<PipelineEvent>(
                OnNext<PipelineEvent>(100, windows[0]),
                OnNext<PipelineEvent>(200, windows[1]));
            scheduler.ScheduleAbsolute(other, 150, (_, next) =>
            {
                current = next;
                return System.Reactive.Disposables.Disposable.Empty;
            });

            var result = scheduler.Start(() => events.Classify(() => current), created: 0, subscribed: 0, disposed: 1_000);

            var activities = result.Messages.Select(m => m.Value.Value).OfType<ActivityEvent>().ToList();
            Assert.Equal(2, activities.Count);
            Assert.NotEqual(first.Version, other.Version);
            Assert.Equal(first.Version, activities[0].ModelVersion);
            Assert.Equal(other.Version, activities[1].ModelVersion);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ToPoint_ActivityEvent_IsStoredAsActivityWithTheModelVersionTag()
    {
        var p = new float[ActivityTaxonomy.Count];
        p[(int)ActivityClass.Walking] = 0.7f;
        p[(int)ActivityClass.Stairs] = 0.3f;
        var e = new ActivityEvent("P001", "polar-h10", 5_000_000_000, 10_000_000_000, ActivityClass.Walking, p, ActivityClass.Walking,
            new WindowIntensity(IntensityZone.Moderate, IntensitySource.HeartRateReserve, 45.5), "abc123def456");

        var point = PipelinePoints.ToPoint(e)!;

        Assert.Equal("activity", point.Measurement);
        Assert.Equal(5_000_000_000, point.TimestampNs);
        Assert.Contains(new KeyValuePair<string, string>("model_version", "abc123def456"), point.Tags);
        var fields = point.Fields.ToDictionary(f => f.Key, f => f.Value);
        Assert.Equal("walking", fields["activity"].AsString);
        Assert.Equal("moderate", fields["intensity"].AsString);
        Assert.Equal("hrr", fields["intensity_source"].AsString);
        Assert.Equal(45.5, fields["hrr_pct"].AsFloat);
        Assert.True(fields["exercise"].AsBoolean);
        Assert.Equal(0.7, fields["p_walking"].AsFloat, 6);
        Assert.Equal(FieldKind.Float, fields["p_rest"].Kind);
    }
}
