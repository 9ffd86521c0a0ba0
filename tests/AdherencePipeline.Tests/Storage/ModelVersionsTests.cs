using AdherencePipeline.Storage;

namespace AdherencePipeline.Tests.Storage;

public sealed class ModelVersionsTests
{
    [Fact]
    public void Condition_Version_SelectsItAndUntaggedPointsWithTheVersionBound()
    {
        var parameters = new Dictionary<string, object?>();

        var condition = ModelVersions.Condition("0123456789ab", parameters);

        Assert.Equal("(\"model_version\" = $model_version OR \"model_version\" = '')", condition);
        Assert.Equal("0123456789ab", parameters["model_version"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(ModelVersions.All)]
    public void Condition_NoVersionOrAll_DoesNotFilter(string? version)
    {
        var parameters = new Dictionary<string, object?>();

        Assert.Null(ModelVersions.Condition(version, parameters));
        Assert.Empty(parameters);
    }

    [Theory]
    [InlineData("activity", true)]
    [InlineData("bout", true)]
    [InlineData("session", true)]
    [InlineData("adherence", true)]
    [InlineData("motion", false)]
    [InlineData("pain_report", false)]
    public void IsVersioned_DerivedMeasurementsOnly(string measurement, bool expected) =>
        Assert.Equal(expected, ModelVersions.IsVersioned(measurement));
}
