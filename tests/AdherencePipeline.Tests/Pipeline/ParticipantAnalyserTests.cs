using AdherencePipeline.Pipeline;
using AdherencePipeline.Signal;
using static AdherencePipeline.Tests.Signal.SignalTestData;

namespace AdherencePipeline.Tests.Pipeline;

public sealed class ParticipantAnalyserTests
{
    private const string Device = "A0:9E:1A:00:00:01";

    /// <summary>A chest strap: acceleration in frames of 36 samples at 50 Hz, heart rate once a second.</summary>
    private static List<DeviceData> Strap(double seconds, Func<double, double> heartRate, long startNs = 1_790_000_000L * Second)
    {
        var acc = Oscillation(50, seconds, 1.8, 0.4, startNs);
        var data = new List<DeviceData>();
        var nextHeartRate = startNs;
        for (var i = 0; i < acc.Count; i += 36)
        {
            var n = Math.Min(36, acc.Count - i);
            var frame = new AccelerationData(Device, "polar-h10", 50,
                acc.TimestampsNs.Slice(i, n).ToArray(), acc.X.Slice(i, n).ToArray(), acc.Y.Slice(i, n).ToArray(), acc.Z.Slice(i, n).ToArray());
            data.Add(frame);
            while (nextHeartRate <= frame.TimestampsNs[^1])
            {
                var t = (nextHeartRate - startNs) / 1e9;
                data.Add(new HeartRateData(Device, "polar-h10", nextHeartRate, heartRate(t), [60_000 / heartRate(t)], true));
                nextHeartRate += Second;
            }
        }

        return data;
    }

    private static List<PipelineEvent> Analyse(IEnumerable<DeviceData> data, ParticipantContext? context = null)
    {
        var analyser = new ParticipantAnalyser(context ?? new ParticipantContext("P001", new HeartRateReserve(60, 180)));
        var events = new List<PipelineEvent>();
        foreach (var item in data)
        {
            analyser.Add(item, events);
        }

        analyser.Complete(events);
        return events;
    }

    [Fact]
    public void Analyser_OneMinuteOfStrapData_EmitsSecondsAndWindowsWithHeartRate()
    {
        var events = Analyse(Strap(60, t => 100 + t / 2));

        Assert.InRange(events.OfType<MotionSecondEvent>().Count(), 60, 61);
        Assert.InRange(events.OfType<HeartRateSecondEvent>().Count(), 60, 61);
        Assert.Empty(events.OfType<GapEvent>());
        var complete = events.OfType<WindowEvent>().Where(w => w.Window.IsComplete).ToList();
        Assert.Equal(23, complete.Count);
        var hrMean = WindowFeatures.IndexOf("hr_mean_bpm");
        var hrr = WindowFeatures.IndexOf("hrr_mean_pct");
        Assert.All(complete, w =>
        {
            var middle = (w.Window.StartNs + w.Window.EndNs) / 2.0;
            var expected = 100 + (middle - 1_790_000_000L * Second) / 1e9 / 2;
            Assert.Equal(expected, w.Features[hrMean], tolerance: 0.6);
            Assert.Equal((w.Features[hrMean] - 60) / 120 * 100, w.Features[hrr], tolerance: 0.01);
        });
    }

    [Fact]
    public void Analyser_HeartRateArrivesLate_WindowWaitsForIt()
    {
        // All acceleration first, heart rate after: the windows must still see their heart rate.
        var data = Strap(30, _ => 120);
        var reordered = data.OfType<AccelerationData>().Cast<DeviceData>().Concat(data.OfType<HeartRateData>()).ToList();

        var inOrder = Analyse(data).OfType<WindowEvent>().Where(w => w.Window.IsComplete).ToList();
        var late = Analyse(reordered).OfType<WindowEvent>().Where(w => w.Window.IsComplete).ToList();

        var missing = WindowFeatures.IndexOf("hr_missing");
        Assert.All(inOrder, w => Assert.Equal(0, w.Features[missing]));
        // Windows more than the wait behind the acceleration go out without heart rate, and say so.
        Assert.Contains(late, w => w.Features[missing] == 1);
        Assert.Equal(inOrder.Count, late.Count);
    }

    [Fact]
    public void Analyser_Disconnect_EmitsAGapAndMarksNothingElse()
    {
        var first = Strap(20, _ => 110);
        var lastNs = first.OfType<AccelerationData>().Last().TimestampsNs[^1];
        var second = Strap(20, _ => 110, startNs: lastNs + 10 * Second);
        var data = first.Append(new DeviceDisconnected(Device, "polar-h10", lastNs, lastNs + 2 * Second)).Concat(second);

        var events = Analyse(data);

        var gap = Assert.Single(events.OfType<GapEvent>());
        Assert.Equal(GapReason.Disconnected, gap.Gap.Reason);
        Assert.Equal(lastNs, gap.Gap.StartNs);
        Assert.True(events.OfType<WindowEvent>().Count(w => w.Window.IsComplete) >= 10);
    }

    [Fact]
    public void Analyser_DecodeFault_TravelsAsAnEventAndTheStreamGoesOn()
    {
        var data = Strap(20, _ => 110);
        data.Insert(10, new DeviceFault(Device, "polar-h10", 1_790_000_005L * Second, "delta-block.width at offset 12 is invalid"));

        var events = Analyse(data);

        Assert.Single(events.OfType<DecodeFaultEvent>());
        Assert.True(events.OfType<WindowEvent>().Count(w => w.Window.IsComplete) >= 5);
    }

    [Fact]
    public void Analyser_FramesOrOneArray_GiveBitIdenticalFeatures()
    {
        var data = Strap(45, t => 95 + t);
        var frames = Analyse(data).OfType<WindowEvent>().ToList();
        var acc = data.OfType<AccelerationData>().ToList();
        var whole = new AccelerationData(Device, "polar-h10", 50,
            acc.SelectMany(a => a.TimestampsNs).ToArray(), acc.SelectMany(a => a.X).ToArray(), acc.SelectMany(a => a.Y).ToArray(), acc.SelectMany(a => a.Z).ToArray());
        // Training reads a recording whole: its heart rate is all there before the windows are cut.
        var array = Analyse([.. data.OfType<HeartRateData>(), whole]).OfType<WindowEvent>().ToList();

        Assert.Equal(frames.Count, array.Count);
        for (var i = 0; i < frames.Count; i++)
        {
            Assert.Equal(frames[i].Window.StartNs, array[i].Window.StartNs);
            Assert.Equal(frames[i].Features, array[i].Features);
        }
    }
}

public sealed class ParticipantAnalyserBoundsTests
{
    [Fact]
    public void Analyser_HeartRateOnlyForHours_KeepsSecondsFlowingWithBoundedMemory()
    {
        var analyser = new ParticipantAnalyser(new ParticipantContext("P001"));
        var events = new List<PipelineEvent>();
        var start = 1_790_000_000L * 1_000_000_000L;
        var seconds = 0;
        for (var i = 0; i < 5 * 3600; i++)
        {
            events.Clear();
            analyser.Add(new HeartRateData("hrs", "generic-hrs", start + i * 1_000_000_000L, 70 + i % 5, [], true), events);
            seconds += events.Count(e => e is HeartRateSecondEvent);
        }

        Assert.Equal(5 * 3600 - 1, seconds);
        Assert.True(analyser.BufferedHeartRate <= ParticipantAnalyser.MaxBufferedHeartRate, $"{analyser.BufferedHeartRate} values buffered");
    }
}
