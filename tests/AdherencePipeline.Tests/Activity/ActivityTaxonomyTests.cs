using AdherencePipeline.Activity;
using AdherencePipeline.Recordings;

namespace AdherencePipeline.Tests.Activity;

public sealed class ActivityTaxonomyTests
{
    [Theory]
    [InlineData(1, ActivityClass.Rest)]
    [InlineData(7, ActivityClass.Rest)]
    [InlineData(5, ActivityClass.Stairs)]
    [InlineData(11, ActivityClass.Walking)]
    [InlineData(16, ActivityClass.Cycling)]
    [InlineData(19, ActivityClass.BallGame)]
    public void Map_DailySportsIds_FollowTheIssueTable(int id, ActivityClass expected) =>
        Assert.Equal(expected, ActivityTaxonomy.Map(RecordingSources.DailySportsTorso, id));

    [Theory]
    [InlineData(RecordingSources.DailySportsTorso, 8)]
    [InlineData(RecordingSources.ChestAccelCasale, 2)]
    [InlineData(RecordingSources.ChestAccelCasale, 0)]
    public void Map_MixedOrUnknownLabels_AreLeftOut(string source, int id) =>
        Assert.Null(ActivityTaxonomy.Map(source, id));

    [Fact]
    public void Map_CasaleIds_GiveRestWalkingStairs()
    {
        Assert.Equal(ActivityClass.Rest, ActivityTaxonomy.Map(RecordingSources.ChestAccelCasale, 3));
        Assert.Equal(ActivityClass.Walking, ActivityTaxonomy.Map(RecordingSources.ChestAccelCasale, 6));
        Assert.Equal(ActivityClass.Stairs, ActivityTaxonomy.Map(RecordingSources.ChestAccelCasale, 5));
    }

    [Fact]
    public void Names_ParseBack_ToTheSameClass()
    {
        foreach (var c in Enum.GetValues<ActivityClass>())
        {
            Assert.Equal(c, ActivityTaxonomy.Parse(ActivityTaxonomy.Name(c)));
        }

        Assert.Equal(10, ActivityTaxonomy.Count);
        Assert.Throws<ArgumentException>(() => ActivityTaxonomy.Parse("swimming"));
    }

    [Fact]
    public void ActivityFeatures_LeaveOutHeartRateQualityAxisAndDeviceBoundFeatures()
    {
        Assert.DoesNotContain("hrr_mean_pct", ActivityFeatures.Names);
        Assert.DoesNotContain("coverage", ActivityFeatures.Names);
        Assert.DoesNotContain("x_mean", ActivityFeatures.Names);
        Assert.DoesNotContain(ActivityFeatures.Names, ActivityFeatures.DeviceBound.Contains);
        Assert.Contains("enmo_mean_mg", ActivityFeatures.Names);
        Assert.Contains("horizontal_major_excursion_cm", ActivityFeatures.Names);
    }
}
