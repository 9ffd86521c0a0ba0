using AdherencePipeline.Activity;
using AdherencePipeline.Adherence;
using AdherencePipeline.Signal;

namespace AdherencePipeline.Tests.Activity;

public sealed class ActivityIntensityTests
{
    private static float[] Features(float hrrPct, float enmoMg)
    {
        var f = Enumerable.Repeat(float.NaN, WindowFeatures.Count).ToArray();
        f[WindowFeatures.IndexOf("hrr_mean_pct")] = hrrPct;
        f[WindowFeatures.IndexOf("enmo_mean_mg")] = enmoMg;
        return f;
    }

    [Theory]
    [InlineData(39.9f, IntensityZone.Light)]
    [InlineData(40f, IntensityZone.Moderate)]
    [InlineData(59.9f, IntensityZone.Moderate)]
    [InlineData(60f, IntensityZone.Vigorous)]
    public void Of_HeartRateReservePresent_UsesTheAcsmZonesWhateverTheEnmo(float hrr, IntensityZone expected)
    {
        var intensity = ActivityIntensity.Of(Features(hrr, 500))!.Value;

        Assert.Equal(expected, intensity.Level);
        Assert.Equal(IntensitySource.HeartRateReserve, intensity.Source);
    }

    [Theory]
    [InlineData(69.0f, IntensityZone.Light)]
    [InlineData(69.1f, IntensityZone.Moderate)]
    [InlineData(258.7f, IntensityZone.Vigorous)]
    public void Of_NoHeartRate_FallsBackToEnmoCutPoints(float enmo, IntensityZone expected)
    {
        var intensity = ActivityIntensity.Of(Features(float.NaN, enmo))!.Value;

        Assert.Equal(expected, intensity.Level);
        Assert.Equal(IntensitySource.Enmo, intensity.Source);
    }

    [Fact]
    public void Of_NeitherValue_IsNull() => Assert.Null(ActivityIntensity.Of(Features(float.NaN, float.NaN)));
}
