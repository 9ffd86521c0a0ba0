using AdherencePipeline.Storage;

namespace AdherencePipeline.Tests.Storage;

public sealed class RetryBackoffTests
{
    [Fact]
    public void NextDelay_RepeatedFailures_DoubleUpToTheCapWithEqualJitter()
    {
        var backoff = new RetryBackoff(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), new Random(42));
        var ceilings = new[] { 0.5, 1, 2, 4, 8, 16, 30, 30, 30 };

        foreach (var ceiling in ceilings)
        {
            var delay = backoff.NextDelay().TotalSeconds;
            Assert.InRange(delay, ceiling / 2, ceiling);
        }

        Assert.Equal(ceilings.Length, backoff.Attempt);
    }

    [Fact]
    public void NextDelay_ManyWritersFailingTogether_SpreadTheirRetries()
    {
        var delays = Enumerable.Range(0, 100)
            .Select(seed => new RetryBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new Random(seed)))
            .Select(b => b.NextDelay())
            .Distinct()
            .Count();

        Assert.True(delays > 90, $"only {delays} distinct first delays out of 100");
    }

    [Fact]
    public void NextDelay_ServerAsksForLonger_WaitsAsAskedWithinCap()
    {
        var backoff = new RetryBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), new Random(1));

        Assert.Equal(TimeSpan.FromSeconds(7), backoff.NextDelay(TimeSpan.FromSeconds(7)));
        Assert.Equal(TimeSpan.FromSeconds(30), backoff.NextDelay(TimeSpan.FromMinutes(10)));
    }

    [Fact]
    public void Reset_AfterSuccess_StartsFromTheInitialDelayAgain()
    {
        var backoff = new RetryBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new Random(3));
        for (var i = 0; i < 5; i++)
        {
            backoff.NextDelay();
        }

        backoff.Reset();

        Assert.InRange(backoff.NextDelay().TotalSeconds, 0.5, 1);
    }

    [Fact]
    public void CeilingFor_HugeAttemptCount_DoesNotOverflow()
    {
        var backoff = new RetryBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));

        Assert.Equal(TimeSpan.FromMinutes(5), backoff.CeilingFor(int.MaxValue));
    }
}
