using AdherencePipeline.Activity;

namespace AdherencePipeline.Tests.Activity;

public sealed class ActivityTrainerOptionsTests
{
    private static LabelledWindow Window(string subject) => new(subject, subject, 0, ActivityClass.Rest, new float[ActivityFeatures.Count]);

    [Fact]
    public void WeightOf_WindowOfAWeightedSource_GetsThatWeightAndOthersOne()
    {
        var options = new ActivityTrainerOptions { SourceWeights = new Dictionary<string, double> { ["chest-accel-casale"] = 0.05 } };

        Assert.Equal(0.05f, options.WeightOf(Window("chest-accel-casale/participant01")));
        Assert.Equal(1f, options.WeightOf(Window("daily-sports-torso/subject1")));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    public void Validate_SourceWeightNotPositive_Throws(double weight)
    {
        var options = new ActivityTrainerOptions { SourceWeights = new Dictionary<string, double> { ["chest-accel-casale"] = weight } };

        Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
    }

    [Fact]
    public void Describe_SourceWeight_IsRecordedForTheCard()
    {
        var options = new ActivityTrainerOptions { SourceWeights = new Dictionary<string, double> { ["chest-accel-casale"] = 0.05 } };

        Assert.Equal(0.05, options.Describe().HyperParameters["source_weight:chest-accel-casale"]);
        Assert.DoesNotContain(new ActivityTrainerOptions().Describe().HyperParameters.Keys, k => k.StartsWith("source_weight", StringComparison.Ordinal));
    }
}
