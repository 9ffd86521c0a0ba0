using System.Text.Json;
using AdherencePipeline.Testing;

namespace AdherencePipeline.Service.Tests.Commands;

public sealed class ModelCommandTests
{
    private static string Repository { get; } = RepositoryRoot.Path;

    private static string ShippedModel => Path.Combine(Repository, "data", "models", "activity.zip");

    private static string Torso(string subject) => Path.Combine(Repository, "..", "shared", "data", "daily-sports-torso", subject + ".csv.gz");

    [Fact]
    public async Task Evaluate_ShippedModelWithJson_PrintsTheIssueShapeAndScoresWell()
    {
        var (exit, output, error) = await CliRunner.RunAsync("model", "evaluate", "--model", ShippedModel, "--data", Torso("subject2"), "--json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(2142, root.GetProperty("windows").GetInt32());
        // Trained on this subject: the shipped model must fit it almost perfectly, or it is not the model the card describes.
        Assert.InRange(root.GetProperty("macro_f1").GetDouble(), 0.95, 1.0);
        var walking = root.GetProperty("per_class").GetProperty("walking");
        foreach (var key in new[] { "precision", "recall", "f1", "support" })
        {
            Assert.True(walking.TryGetProperty(key, out _), key);
        }

        Assert.Equal(10, root.GetProperty("confusion").GetProperty("labels").GetArrayLength());
        Assert.Equal(10, root.GetProperty("confusion").GetProperty("matrix")[0].GetArrayLength());
        Assert.True(root.GetProperty("smoothed").GetProperty("viterbi").TryGetProperty("macro_f1", out _));
    }

    [Fact]
    public async Task Evaluate_ModelWithoutCard_ExitsWithBadModelAndSaysWhy()
    {
        var folder = Directory.CreateTempSubdirectory("model-cli-").FullName;
        try
        {
            var model = Path.Combine(folder, "activity.zip");
            File.Copy(ShippedModel, model);

            var (exit, _, error) = await CliRunner.RunAsync("model", "evaluate", "--model", model, "--data", Torso("subject2"));

            Assert.Equal(3, exit);
            Assert.Contains("has no card", error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
