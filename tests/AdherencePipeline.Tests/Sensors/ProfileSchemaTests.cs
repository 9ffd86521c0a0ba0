using System.Text.Json.Nodes;
using Json.Schema;

namespace AdherencePipeline.Tests.Sensors;

/// <summary>The JSON schema editors use and the loader's rules must agree on the shipped profiles.</summary>
public sealed class ProfileSchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(TestProfiles.Directory, "profile.schema.json")));

    private static EvaluationResults Evaluate(string json) =>
        Schema.Evaluate(JsonNode.Parse(json), new EvaluationOptions { OutputFormat = OutputFormat.List });

    [Fact]
    public void Schema_ShippedProfiles_AreValid()
    {
        Assert.NotEmpty(TestProfiles.ShippedIds);
        foreach (var id in TestProfiles.ShippedIds)
        {
            var results = Evaluate(File.ReadAllText(Path.Combine(TestProfiles.Directory, id + ".json")));
            var errors = results.Details.Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
            Assert.True(results.IsValid, $"{id}: {string.Join("; ", errors)}");
        }
    }

    [Theory]
    [InlineData("\"displayName\"", "\"displayNam\"")]
    [InlineData("\"characteristics\": [", "\"characteristics\": 3, \"x\": [")]
    public void Schema_BrokenProfile_IsInvalid(string find, string replace)
    {
        var json = File.ReadAllText(Path.Combine(TestProfiles.Directory, "polar-h10.json"));
        Assert.Contains(find, json, StringComparison.Ordinal);

        Assert.False(Evaluate(json.Replace(find, replace, StringComparison.Ordinal)).IsValid);
    }
}
