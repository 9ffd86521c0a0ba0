using AdherencePipeline.Pipeline;
using AdherencePipeline.Signal;

namespace AdherencePipeline.Tests.Pipeline;

/// <summary>Golden lines: what researchers' queries rely on (docs/schema.md).</summary>
public sealed class PipelinePointsTests
{
    private const long Start = 1_790_000_000_000_000_000L;

    [Fact]
    public void Motion_Second_IsOneLineWithEnmoAndCoverage()
    {
        var point = PipelinePoints.ToPoint(new MotionSecondEvent("P001", "polar-h10", new MotionSecond(Start, 12.5, 1.01, 25, 25)));

        Assert.Equal("motion,device_model=polar-h10,participant=P001 enmo_mg=12.5,magnitude_g=1.01,samples=25i,coverage=1 1790000000000000000", point!.ToString());
    }

    [Fact]
    public void HeartRate_SecondWithoutValidValue_LeavesOutTheMeanButCountsTheRejects()
    {
        var point = PipelinePoints.ToPoint(new HeartRateSecondEvent("P001", "polar-h10", new HeartRateSecond(Start, double.NaN, 0, 2, 0, double.NaN)));

        Assert.Equal("heart_rate,device_model=polar-h10,participant=P001 valid=0i,rejected=2i,rr_count=0i 1790000000000000000", point!.ToString());
    }

    [Fact]
    public void HeartRate_ValidSecond_CarriesBpmAndRr()
    {
        var point = PipelinePoints.ToPoint(new HeartRateSecondEvent("P001", "generic-hrs", new HeartRateSecond(Start, 91.5, 2, 0, 1, 655.0)));

        Assert.Equal("heart_rate,device_model=generic-hrs,participant=P001 valid=2i,rejected=0i,rr_count=1i,hr_bpm=91.5,rr_mean_ms=655 1790000000000000000", point!.ToString());
    }

    [Fact]
    public void Gap_IsStampedAtItsStartWithDurationAndReason()
    {
        var point = PipelinePoints.ToPoint(new GapEvent("P002", "polar-h10", new SignalGap(Start, Start + 2_500_000_000, GapReason.Disconnected)));

        Assert.Equal("gap,device_model=polar-h10,participant=P002,reason=disconnected duration_s=2.5,end_ns=1790000002500000000i 1790000000000000000", point!.ToString());
    }
}
