using AdherencePipeline.Signal;

namespace AdherencePipeline.Tests.Signal;

public sealed class HeartRateArtefactFilterTests
{
    [Theory]
    [InlineData(25)]
    [InlineData(230)]
    [InlineData(double.NaN)]
    public void CheckHeartRate_OutsidePhysiologicalRange_IsRejected(double bpm)
    {
        Assert.Equal(HeartRateRejection.OutOfRange, new HeartRateArtefactFilter().CheckHeartRate(bpm));
    }

    [Fact]
    public void CheckHeartRate_IsolatedSpike_IsRejectedAndTheStreamGoesOn()
    {
        var filter = new HeartRateArtefactFilter();
        double[] values = [92, 93, 93, 94, 206, 94, 95];

        var verdicts = values.Select(filter.CheckHeartRate).ToArray();

        Assert.Equal(
            [HeartRateRejection.None, HeartRateRejection.None, HeartRateRejection.None, HeartRateRejection.None, HeartRateRejection.Jump, HeartRateRejection.None, HeartRateRejection.None],
            verdicts);
    }

    [Fact]
    public void CheckHeartRate_RealChangeOfLevel_IsAcceptedAfterThreeAgreeingValues()
    {
        var filter = new HeartRateArtefactFilter();
        double[] values = [80, 80, 81, 135, 136, 137, 138];

        var verdicts = values.Select(filter.CheckHeartRate).ToArray();

        Assert.Equal(HeartRateRejection.Jump, verdicts[3]);
        Assert.Equal(HeartRateRejection.Jump, verdicts[4]);
        Assert.Equal(HeartRateRejection.None, verdicts[5]);
        Assert.Equal(HeartRateRejection.None, verdicts[6]);
    }

    [Fact]
    public void CheckRrInterval_MoreThanTwentyPercentFromRecentMedian_IsRejected()
    {
        var filter = new HeartRateArtefactFilter();
        foreach (var rr in new[] { 800.0, 810, 790, 805 })
        {
            Assert.Equal(HeartRateRejection.None, filter.CheckRrInterval(rr));
        }

        Assert.Equal(HeartRateRejection.Jump, filter.CheckRrInterval(1_300));
        Assert.Equal(HeartRateRejection.None, filter.CheckRrInterval(830));
        Assert.Equal(HeartRateRejection.OutOfRange, filter.CheckRrInterval(150));
    }
}
