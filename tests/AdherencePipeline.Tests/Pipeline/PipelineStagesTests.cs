using System.Reactive.Linq;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Sensors;
using AdherencePipeline.Signal;
using AdherencePipeline.Tests.Sensors;
using Microsoft.Reactive.Testing;
using static AdherencePipeline.Tests.Signal.SignalTestData;

namespace AdherencePipeline.Tests.Pipeline;

/// <summary>The Rx stages on virtual time: exact sequences, no sleeps.</summary>
public sealed class PipelineStagesTests : ReactiveTest
{
    private const string Device = "A0:9E:1A:00:00:02";
    private static readonly long T0 = 1_790_000_000L * Second;

    private static AccelerationData Frame(double startSeconds, int samples = 25, double rateHz = 25)
    {
        var t = Enumerable.Range(0, samples).Select(i => T0 + (long)Math.Round((startSeconds + i / rateHz) * 1e9)).ToArray();
        var ones = t.Select(_ => 1f).ToArray();
        var zeros = t.Select(_ => 0f).ToArray();
        return new AccelerationData(Device, "polar-h10", rateHz, t, zeros, zeros, ones);
    }

    [Fact]
    public void Analyse_FramesMissingForTwoSeconds_EmitsAGapThenResumes()
    {
        var scheduler = new TestScheduler();
        var data = scheduler.CreateHotObservable<DeviceData>(
            OnNext<DeviceData>(100, Frame(0)),
            OnNext<DeviceData>(200, Frame(1)),
            OnNext<DeviceData>(300, Frame(4)),
            OnNext<DeviceData>(400, Frame(5)),
            OnCompleted<DeviceData>(500));

        var result = scheduler.Start(() => data.Analyse(new ParticipantContext("P001")), created: 0, subscribed: 0, disposed: 1_000);

        var gap = Assert.Single(result.Messages, m => m.Value.HasValue && m.Value.Value is GapEvent);
        Assert.Equal(300, gap.Time);
        var g = ((GapEvent)gap.Value.Value).Gap;
        Assert.Equal(T0 + 1_960_000_000, g.StartNs);
        Assert.Equal(T0 + 4 * Second, g.EndNs);
        Assert.Equal(GapReason.MissingSamples, g.Reason);
        // Motion goes on after the gap, and the stream completes when its input does.
        Assert.Contains(result.Messages, m => m.Time == 400 && m.Value.HasValue && m.Value.Value is MotionSecondEvent { Second.SecondStartNs: var s } && s == T0 + 4 * Second);
        Assert.Equal(NotificationKindAt(result, 500), System.Reactive.NotificationKind.OnCompleted);
    }

    [Fact]
    public void Analyse_InputCompletes_FlushesOpenSecondsAndWindowsAtThatTick()
    {
        var scheduler = new TestScheduler();
        var data = scheduler.CreateHotObservable<DeviceData>(
            OnNext<DeviceData>(100, Frame(0, 250)),
            OnCompleted<DeviceData>(200));

        var result = scheduler.Start(() => data.Analyse(new ParticipantContext("P001")), created: 0, subscribed: 0, disposed: 1_000);

        var values = result.Messages.Where(m => m.Value.HasValue).ToList();
        var windowsAt = values.Where(m => m.Value.Value is WindowEvent).Select(m => m.Time).ToList();
        Assert.NotEmpty(windowsAt);
        Assert.Contains(200, windowsAt);
        Assert.Equal(10, values.Count(m => m.Value.Value is MotionSecondEvent));
        Assert.Equal(System.Reactive.NotificationKind.OnCompleted, result.Messages[^1].Value.Kind);
    }

    [Fact]
    public void Analyse_UpstreamError_IsPassedOnNotSwallowed()
    {
        var scheduler = new TestScheduler();
        var failure = new IOException("adapter gone");
        var data = scheduler.CreateHotObservable<DeviceData>(OnNext<DeviceData>(100, Frame(0)), OnError<DeviceData>(200, failure));

        var result = scheduler.Start(() => data.Analyse(new ParticipantContext("P001")), created: 0, subscribed: 0, disposed: 1_000);

        Assert.Equal(System.Reactive.NotificationKind.OnError, result.Messages[^1].Value.Kind);
        Assert.Same(failure, result.Messages[^1].Value.Exception);
    }

    [Fact]
    public void Decode_GarbageBetweenGoodFrames_BecomesAFaultValueAndTheStreamGoesOn()
    {
        var scheduler = new TestScheduler();
        var profile = TestProfiles.Load("polar-h10");
        byte[] goodHeartRate = [0x10, 72, 0x00, 0x04];
        var frames = scheduler.CreateHotObservable(
            OnNext(100, new RawFrame(Device, GattUuid.HeartRateMeasurement, T0, goodHeartRate)),
            OnNext(200, new RawFrame(Device, GattUuid.PmdData, T0 + Second, new byte[] { 0x02, 0x00, 0x01 })),
            OnNext(300, new RawFrame(Device, GattUuid.HeartRateMeasurement, T0 + 2 * Second, goodHeartRate)),
            OnCompleted<RawFrame>(400));

        var result = scheduler.Start(() => frames.Decode(profile, Device), created: 0, subscribed: 0, disposed: 1_000);

        Assert.Equal(4, result.Messages.Count);
        Assert.IsType<HeartRateData>(result.Messages[0].Value.Value);
        var fault = Assert.IsType<DeviceFault>(result.Messages[1].Value.Value);
        Assert.Contains("truncated", fault.Description, StringComparison.Ordinal);
        Assert.Equal(72, ((HeartRateData)result.Messages[2].Value.Value).HeartRateBpm);
        Assert.Equal(System.Reactive.NotificationKind.OnCompleted, result.Messages[3].Value.Kind);
    }

    [Fact]
    public void Decode_VirtualWearableOnTestScheduler_TimestampsFollowTheVirtualClock()
    {
        var scheduler = new TestScheduler();
        scheduler.AdvanceTo(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero).UtcTicks);
        var wearable = new VirtualWearable(TestProfiles.Load("polar-h10"), RecordingReplay.ToSensorRecording(RecordingReplayTests.Walk(5)));
        var data = new List<DeviceData>();

        wearable.Play(scheduler).Decode(wearable.Profile, "virtual").Subscribe(data.Add);
        scheduler.Start();

        var acc = data.OfType<AccelerationData>().ToList();
        Assert.Equal(5 * 50, acc.Sum(a => a.TimestampsNs.Length), tolerance: 36);
        var first = new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
        Assert.Equal(AdherencePipeline.Storage.Point.ToTimestampNs(first), acc[0].TimestampsNs[0]);
        Assert.All(acc.SelectMany(a => a.TimestampsNs).Zip(acc.SelectMany(a => a.TimestampsNs).Skip(1)), p => Assert.Equal(20_000_000, p.Second - p.First));
        Assert.Equal(5, data.OfType<HeartRateData>().Count());
    }

    [Fact]
    public void Analyse_ThroughRxOnFramesOrPlainOverOneArray_GivesBitIdenticalFeatures()
    {
        var frames = Enumerable.Range(0, 60).Select(i => Frame(i * 36 / 50.0, 36, 50)).ToList();
        var scheduler = new TestScheduler();
        var viaRx = new List<PipelineEvent>();
        frames.Cast<DeviceData>().ToObservable(scheduler).Analyse(new ParticipantContext("P001")).Subscribe(viaRx.Add);
        scheduler.Start();

        var whole = new AccelerationData(Device, "polar-h10", 50, frames.SelectMany(f => f.TimestampsNs).ToArray(),
            frames.SelectMany(f => f.X).ToArray(), frames.SelectMany(f => f.Y).ToArray(), frames.SelectMany(f => f.Z).ToArray());
        var processor = new AccelerationProcessor(50);
        var windows = new List<AccelerationWindow>();
        processor.Process(whole.TimestampsNs, whole.X, whole.Y, whole.Z, windows, new List<SignalGap>());
        processor.Complete(windows);
        var extractor = new WindowFeatures();

        var rxWindows = viaRx.OfType<WindowEvent>().ToList();
        Assert.Equal(windows.Count, rxWindows.Count);
        for (var i = 0; i < windows.Count; i++)
        {
            var expected = new float[WindowFeatures.Count];
            extractor.Extract(windows[i], [], null, expected);
            Assert.Equal(expected, rxWindows[i].Features);
        }
    }

    [Fact]
    public void Analyse_RealRecordingThroughRxOrOneArray_GivesBitIdenticalFeatures()
    {
        var recording = AdherencePipeline.Recordings.RecordingCalibration.Calibrate(
            AdherencePipeline.Recordings.RecordingReader.Open(AdherencePipeline.Tests.Recordings.SharedData.Folder("chest-hr-hexoskin") + "/subject004").Single()).Recording;
        var acc = recording.Accelerometer;
        var t = acc.TimestampNs.ToArray().Select(v => T0 + v).ToArray();
        var frames = new List<DeviceData>();
        for (var i = 0; i < t.Length; i += 36)
        {
            var n = Math.Min(36, t.Length - i);
            frames.Add(new AccelerationData(Device, "hexoskin", 64, t[i..(i + n)], acc.XG.Span.Slice(i, n).ToArray(), acc.YG.Span.Slice(i, n).ToArray(), acc.ZG.Span.Slice(i, n).ToArray()));
        }

        var scheduler = new TestScheduler();
        var viaRx = new List<WindowEvent>();
        frames.ToObservable(scheduler).Analyse(new ParticipantContext("S004")).OfType<WindowEvent>().Subscribe(viaRx.Add);
        scheduler.Start();

        var processor = new AccelerationProcessor(64);
        var windows = new List<AccelerationWindow>();
        processor.Process(t, acc.XG.Span, acc.YG.Span, acc.ZG.Span, windows, new List<SignalGap>());
        processor.Complete(windows);
        var extractor = new WindowFeatures();
        Assert.True(windows.Count > 500);
        Assert.Equal(windows.Count, viaRx.Count);
        var expected = new float[WindowFeatures.Count];
        for (var i = 0; i < windows.Count; i++)
        {
            extractor.Extract(windows[i], [], null, expected);
            Assert.Equal(expected, viaRx[i].Features);
        }
    }

    private static System.Reactive.NotificationKind NotificationKindAt(ITestableObserver<PipelineEvent> result, long time) =>
        result.Messages.Last(m => m.Time == time).Value.Kind;
}
