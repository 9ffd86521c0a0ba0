using AdherencePipeline.Signal;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static AdherencePipeline.Tests.Signal.SignalTestData;

namespace AdherencePipeline.Tests.Signal;

public sealed class AccelerationProcessorTests
{
    [Fact]
    public void Resampler_FiftyHertzInput_EmitsTwentyFiveHertzOnAbsoluteGrid()
    {
        var input = Oscillation(50, 10, 1, 0.2, startNs: 1_790_000_000L * Second + 7_000_000);
        var resampler = new AccelerationResampler(50, 25, TimeSpan.FromMilliseconds(250));
        var output = new AccelerationBuffer();

        resampler.Process(input.TimestampsNs, input.X, input.Y, input.Z, output, new List<SignalGap>());

        Assert.InRange(output.Count, 249, 250);
        Assert.All(output.TimestampsNs.ToArray(), t => Assert.Equal(0, t % 40_000_000));
        Assert.Equal(1_790_000_000L * Second + 40_000_000, output.TimestampsNs[0]);
    }

    [Fact]
    public void Resampler_SlowSine_IsKeptWithTheFiltersSmallDelay()
    {
        var input = Oscillation(64, 20, 1, 0.5);
        var resampler = new AccelerationResampler(64, 25, TimeSpan.FromMilliseconds(250));
        var output = new AccelerationBuffer();

        resampler.Process(input.TimestampsNs, input.X, input.Y, input.Z, output, new List<SignalGap>());

        // A 4th-order Butterworth at 10 Hz delays 1 Hz by about 42 ms and leaves its amplitude alone.
        var start = input.TimestampsNs[0];
        var worst = 0.0;
        for (var i = 50; i < output.Count; i++)
        {
            var t = (output.TimestampsNs[i] - start) / 1e9 - 0.042;
            worst = Math.Max(worst, Math.Abs(output.Z[i] - (1 + 0.5 * Math.Sin(2 * Math.PI * t))));
        }

        Assert.True(worst < 0.02, $"largest deviation {worst:0.0000} g");
    }

    [Fact]
    public void Resampler_StepLongerThanTheLimit_ReportsAGapAndInterpolatesNothingAcrossIt()
    {
        var first = Oscillation(50, 10, 1, 0.2);
        var second = Oscillation(50, 10, 1, 0.2, startNs: first.TimestampsNs[^1] + 2 * Second);
        var resampler = new AccelerationResampler(50, 25, TimeSpan.FromMilliseconds(250));
        var output = new AccelerationBuffer();
        var gaps = new List<SignalGap>();

        resampler.Process(first.TimestampsNs, first.X, first.Y, first.Z, output, gaps);
        resampler.Process(second.TimestampsNs, second.X, second.Y, second.Z, output, gaps);

        var gap = Assert.Single(gaps);
        Assert.Equal(first.TimestampsNs[^1], gap.StartNs);
        Assert.Equal(second.TimestampsNs[0], gap.EndNs);
        Assert.Equal(GapReason.MissingSamples, gap.Reason);
        Assert.DoesNotContain(output.TimestampsNs.ToArray(), t => t > gap.StartNs && t < gap.EndNs);
    }

    [Fact]
    public void Resampler_ClockGoesBackwards_ReportsAClockResetGap()
    {
        var first = Oscillation(50, 5, 1, 0.2);
        var second = Oscillation(50, 5, 1, 0.2, startNs: first.TimestampsNs[0] - 60 * Second);
        var resampler = new AccelerationResampler(50, 25, TimeSpan.FromMilliseconds(250));
        var gaps = new List<SignalGap>();

        resampler.Process(first.TimestampsNs, first.X, first.Y, first.Z, new AccelerationBuffer(), gaps);
        resampler.Process(second.TimestampsNs, second.X, second.Y, second.Z, new AccelerationBuffer(), gaps);

        Assert.Equal(GapReason.ClockReset, Assert.Single(gaps).Reason);
    }

    [Fact]
    public void Windows_OneMinuteAtFiftyHertz_FiveSecondWindowsEveryTwoAndAHalfSeconds()
    {
        var start = 1_790_000_000L * Second;
        var (windows, gaps) = Run(new AccelerationProcessor(50), Oscillation(50, 60, 2, 0.3, start));

        Assert.Empty(gaps);
        var complete = windows.Where(w => w.IsComplete).ToList();
        Assert.Equal(23, complete.Count);
        Assert.All(complete, w =>
        {
            Assert.Equal(125, w.Count);
            Assert.Equal(0, w.StartNs % (2_500_000_000L));
            Assert.Equal(5 * Second, w.EndNs - w.StartNs);
        });
        Assert.All(windows.Where(w => !w.IsComplete), w => Assert.True(w.Coverage < 1));
    }

    [Fact]
    public void Windows_AroundAGap_AreMarkedAndTheOthersAreNot()
    {
        var first = Oscillation(50, 30, 2, 0.3);
        var second = Oscillation(50, 30, 2, 0.3, startNs: first.TimestampsNs[^1] + 3 * Second);
        var processor = new AccelerationProcessor(50);
        var windows = new List<AccelerationWindow>();
        var gaps = new List<SignalGap>();

        processor.Process(first.TimestampsNs, first.X, first.Y, first.Z, windows, gaps);
        processor.Process(second.TimestampsNs, second.X, second.Y, second.Z, windows, gaps);
        processor.Complete(windows);

        var gap = Assert.Single(gaps);
        foreach (var w in windows)
        {
            var overlaps = gap.StartNs < w.EndNs && gap.EndNs > w.StartNs;
            Assert.Equal(overlaps, w.StraddlesGap);
        }

        Assert.Contains(windows, w => w.StraddlesGap);
        Assert.True(windows.Count(w => w.IsComplete) >= 18, $"{windows.Count(w => w.IsComplete)} complete windows");
    }

    /// <summary>The live path sees frames, training sees whole arrays: both must give the same windows.</summary>
    [Property(MaxTest = 25)]
    public void Processor_AnySplitIntoBlocks_GivesBitIdenticalWindows(PositiveInt seed)
    {
        var random = new Random(seed.Get);
        var input = Oscillation(52, 40, 1.7, 0.4);
        var whole = Run(new AccelerationProcessor(52), input);

        var processor = new AccelerationProcessor(52);
        var windows = new List<AccelerationWindow>();
        var gaps = new List<SignalGap>();
        for (var i = 0; i < input.Count;)
        {
            var n = Math.Min(random.Next(1, 80), input.Count - i);
            processor.Process(input.TimestampsNs.Slice(i, n), input.X.Slice(i, n), input.Y.Slice(i, n), input.Z.Slice(i, n), windows, gaps);
            i += n;
        }

        processor.Complete(windows);

        Assert.Equal(whole.Windows.Count, windows.Count);
        for (var w = 0; w < windows.Count; w++)
        {
            Assert.Equal(whole.Windows[w].StartNs, windows[w].StartNs);
            Assert.Equal(whole.Windows[w].X, windows[w].X);
            Assert.Equal(whole.Windows[w].Z, windows[w].Z);
            Assert.Equal(whole.Windows[w].GravityZ, windows[w].GravityZ);
        }
    }
}
