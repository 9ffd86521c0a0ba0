using AdherencePipeline.Signal;

namespace AdherencePipeline.Tests.Signal;

public sealed class ClockAlignerTests
{
    private const long Second = 1_000_000_000L;

    [Fact]
    public void ToWallClock_SkewedDriftingClockWithJitteryLatency_IsAlignedWithinTheMinimumLatency()
    {
        var random = new Random(7);
        var aligner = new ClockAligner();
        var hostStart = 1_790_000_000L * Second;
        const double driftPpm = 50;
        long SensorAt(long hostNs) => (long)((hostNs - hostStart) * (1 - driftPpm * 1e-6)) + 123_456 * Second;

        long worst = 0;
        for (var i = 0; i < 1_000; i++)
        {
            // A PMD frame every 0.72 s, received 20–220 ms after it was stamped.
            var truth = hostStart + (long)(i * 0.72 * Second);
            var latency = (long)((0.020 + 0.2 * random.NextDouble()) * Second);
            aligner.Observe(SensorAt(truth), truth + latency);
            if (i > 500)
            {
                worst = Math.Max(worst, Math.Abs(aligner.ToWallClock(SensorAt(truth)) - truth));
            }
        }

        Assert.True(worst < 30_000_000, $"worst error {worst / 1e6:0.0} ms");
        Assert.Equal(driftPpm, aligner.DriftPpm, tolerance: 15);
        Assert.Equal(0, aligner.Resets);
    }

    [Fact]
    public void Observe_SensorClockRestarts_StartsOverAndAlignsTheNewClock()
    {
        var aligner = new ClockAligner();
        var host = 1_790_000_000L * Second;
        for (var i = 0; i < 100; i++)
        {
            aligner.Observe(500_000 * Second + i * Second, host + i * Second + 30_000_000);
        }

        // The strap powered down and came back with its clock at zero.
        var restarted = aligner.Observe(5 * Second, host + 200 * Second + 30_000_000);
        for (var i = 1; i < 50; i++)
        {
            aligner.Observe(5 * Second + i * Second, host + (200 + i) * Second + 30_000_000);
        }

        Assert.True(restarted);
        Assert.Equal(1, aligner.Resets);
        Assert.Equal(host + 210 * Second + 30_000_000, aligner.ToWallClock(15 * Second), tolerance: 1_000_000);
    }

    [Fact]
    public void ToWallClock_BeforeAnyObservation_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => new ClockAligner().ToWallClock(0));
    }
}
