using AdherencePipeline.Signal;

namespace AdherencePipeline.Tests.Signal;

public sealed class SecondSummariesTests
{
    private const long Second = 1_000_000_000L;

    [Fact]
    public void MotionSummarizer_TwoAndAHalfSeconds_EmitsThreeSecondsWithTheirCoverage()
    {
        var start = 1_790_000_000L * Second;
        var t = Enumerable.Range(0, 63).Select(i => start + i * 40_000_000L).ToArray();
        var x = t.Select(_ => 0f).ToArray();
        var z = t.Select((_, i) => i < 25 ? 1f : 1.2f).ToArray();
        var seconds = new List<MotionSecond>();
        var summarizer = new MotionSummarizer(25);

        summarizer.Add(t, x, x, z, seconds);
        summarizer.Complete(seconds);

        Assert.Equal([start, start + Second, start + 2 * Second], seconds.Select(s => s.SecondStartNs));
        Assert.Equal([25, 25, 13], seconds.Select(s => s.Samples));
        Assert.Equal(0, seconds[0].EnmoMeanMg, tolerance: 1e-6);
        Assert.Equal(200, seconds[1].EnmoMeanMg, tolerance: 1e-3);
    }

    [Fact]
    public void HeartRateSummarizer_SpikeInASecond_IsCountedAsRejectedNotAveraged()
    {
        var start = 1_790_000_000L * Second;
        var summarizer = new HeartRateSummarizer();
        var seconds = new List<HeartRateSecond>();

        Assert.True(summarizer.Add(start, 90, [660, 670], seconds));
        Assert.True(summarizer.Add(start + Second, 92, [650], seconds));
        Assert.False(summarizer.Add(start + Second + 500_000_000, 206, [], seconds));
        Assert.True(summarizer.Add(start + 2 * Second, 91, [], seconds));
        summarizer.Complete(seconds);

        Assert.Equal(3, seconds.Count);
        Assert.Equal(92, seconds[1].HeartRateBpm);
        Assert.Equal(1, seconds[1].Valid);
        Assert.Equal(1, seconds[1].Rejected);
        Assert.Equal(665, seconds[0].RrMeanMs);
        Assert.Equal(0, seconds[2].RrIntervals);
        Assert.True(double.IsNaN(seconds[2].RrMeanMs));
    }
}
