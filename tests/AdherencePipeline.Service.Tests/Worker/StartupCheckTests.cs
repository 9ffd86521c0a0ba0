using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AdherencePipeline.Service.Tests.Commands;
using AdherencePipeline.Testing;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary><c>adherence run</c> refuses to start on an unusable model or registry, naming the file and what is wrong.</summary>
public sealed class StartupCheckTests(InfluxServerFixture fixture) : WorkerBenchTests(fixture)
{
    private static string ShippedModel => Path.Combine(WorkerBench.Repository, "data", "models", "activity.zip");

    private static string ShippedCard => Path.Combine(WorkerBench.Repository, "data", "models", "activity.card.json");

    [Theory]
    [InlineData("truncated", "is damaged or does not belong to its card")]
    [InlineData("random-bytes", "is damaged or does not belong to its card")]
    [InlineData("zip-not-a-model", "ML.NET cannot read the activity model")]
    [InlineData("random-bytes-matching-card", "ML.NET cannot read the activity model")]
    [InlineData("other-feature-schema", "was trained on feature schema 0123456789abcdef")]
    [InlineData("card-not-json", "is not valid JSON")]
    [InlineData("no-card", "has no card")]
    public async Task Run_UnusableModel_NamesTheFileAndTheProblemAndExitsOne(string damage, string problem)
    {
        var model = Path.Combine(Directory.CreateDirectory(Path.Combine(Bench.Folder, damage)).FullName, "activity.zip");
        var card = Path.Combine(Path.GetDirectoryName(model)!, "activity.card.json");
        File.Copy(ShippedModel, model);
        File.Copy(ShippedCard, card);
        var bytes = File.ReadAllBytes(model);
        var random = new Random(7);
        switch (damage)
        {
            case "truncated":
                File.WriteAllBytes(model, bytes[..(bytes.Length / 3)]);
                break;
            case "random-bytes":
                random.NextBytes(bytes);
                File.WriteAllBytes(model, bytes);
                break;
            case "zip-not-a-model":
                File.Delete(model);
                using (var zip = ZipFile.Open(model, ZipArchiveMode.Create))
                {
                    using var writer = new StreamWriter(zip.CreateEntry("readme.txt").Open());
                    writer.Write("not a model");
                }

                MatchCard(card, model);
                break;
            case "random-bytes-matching-card":
                random.NextBytes(bytes);
                File.WriteAllBytes(model, bytes);
                MatchCard(card, model);
                break;
            case "other-feature-schema":
                EditCard(card, c => c["feature_schema_hash"] = "0123456789abcdef");
                break;
            case "card-not-json":
                File.WriteAllText(card, "{ this is not json");
                break;
            case "no-card":
                File.Delete(card);
                break;
        }

        var (exit, error) = await RunAsync(("Activity:ModelPath", model));

        Assert.Equal(1, exit);
        Assert.Contains("adherence run cannot start; 1 problem(s):", error, StringComparison.Ordinal);
        Assert.Contains($"Activity:ModelPath: ", error, StringComparison.Ordinal);
        Assert.Contains(damage is "card-not-json" ? card : model, error, StringComparison.Ordinal);
        Assert.Contains(problem, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ModelPathIsAFolder_SaysSoAndExitsOne()
    {
        var folder = Directory.CreateDirectory(Path.Combine(Bench.Folder, "activity.zip")).FullName;

        var (exit, error) = await RunAsync(("Activity:ModelPath", folder));

        Assert.Equal(1, exit);
        Assert.Contains($"Activity:ModelPath: the activity model '{folder}' is a folder, not a file.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RegistryIsAFolder_SaysSoAndExitsOne()
    {
        var folder = Directory.CreateDirectory(Path.Combine(Bench.Folder, "participants.d")).FullName;

        var (exit, error) = await RunAsync(("Participants:Registry", folder));

        Assert.Equal(1, exit);
        Assert.Contains($"Participants:Registry: the participant registry '{folder}' is a folder, not a file.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RegistryIsNotJson_NamesTheFileAndExitsOne()
    {
        var registry = Path.Combine(Bench.Folder, "participants-broken.json");
        File.WriteAllText(registry, "participants: P002\n");

        var (exit, error) = await RunAsync(("Participants:Registry", registry));

        Assert.Equal(1, exit);
        Assert.Contains(registry, error, StringComparison.Ordinal);
        Assert.Contains("expected valid JSON", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_StateDirectoryCannotBeCreated_NamesTheKeyAndExitsOne()
    {
        // A file where the folder should be: creating it fails even for root.
        var blocker = Path.Combine(Bench.Folder, "not-a-folder");
        File.WriteAllText(blocker, "");

        var (exit, error) = await RunAsync(("Worker:StateDirectory", Path.Combine(blocker, "state")));

        Assert.Equal(1, exit);
        Assert.Contains($"Worker:StateDirectory: the folder '{Path.Combine(blocker, "state")}' cannot be created or written", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ArchiveDirectoryCannotBeCreatedOrSwitchIsNotABoolean_NamesTheKeysAndExitsOne()
    {
        var blocker = Path.Combine(Bench.Folder, "not-an-archive-folder");
        File.WriteAllText(blocker, "");

        var (exit, error) = await RunAsync(("Archive:Directory", Path.Combine(blocker, "archive")));
        var (switchExit, switchError) = await RunAsync(("Archive:Enabled", "sometimes"));

        Assert.Equal((1, 1), (exit, switchExit));
        Assert.Contains($"Archive:Directory: the folder '{Path.Combine(blocker, "archive")}' cannot be created or written", error, StringComparison.Ordinal);
        Assert.Contains("Archive:Enabled: expected true or false, found 'sometimes'", switchError, StringComparison.Ordinal);
    }

    private async Task<(int Exit, string Error)> RunAsync(params (string Key, string? Value)[] overrides)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var settings = Bench.Settings(Server.Url, "unused", Bench.Registry(today.AddDays(-1)), overrides);
        var (exit, _, error) = await CliRunner.RunAsync("run", "--config", Bench.ConfigFile(settings));
        return (exit, error);
    }

    /// <summary>Gives the card the model file's hash, so the check reaches the model's content.</summary>
    private static void MatchCard(string card, string model)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(model)));
        EditCard(card, c =>
        {
            c["model_sha256"] = sha;
            c["model_version"] = sha[..12];
        });
    }

    private static void EditCard(string card, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(card))!.AsObject();
        edit(json);
        File.WriteAllText(card, json.ToJsonString());
    }
}
