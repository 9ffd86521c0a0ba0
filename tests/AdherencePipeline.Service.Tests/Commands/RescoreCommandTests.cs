using AdherencePipeline.Archive;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;

namespace AdherencePipeline.Service.Tests.Commands;

public sealed class RescoreCommandTests : IClassFixture<InfluxServerFixture>, IDisposable
{
    private static readonly string[] Measurements = ["motion", "heart_rate", "gap", "activity", "bout", "session", "adherence"];
    private readonly InfluxServer _server;
    private readonly string _directory = Directory.CreateTempSubdirectory("rescore-cli-").FullName;

    public RescoreCommandTests(InfluxServerFixture fixture) => _server = fixture.Server;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Repository { get; } = RepositoryRoot.Path;

    private static string Registry => Path.Combine(Repository, "data", "participants.example.json");

    private static string ShippedModel => Path.Combine(Repository, "data", "models", "activity.zip");

    private string ArchiveRoot => Path.Combine(_directory, "archive");

    [Fact]
    public async Task Rescore_ArchiveOfAReplayWithTheSameModel_StoresIdenticalPoints()
    {
        var replayed = await ReplayWithArchiveAsync();
        var rescored = InfluxServer.NewDatabaseName("rescored");

        var (exit, output, error) = await CliRunner.RunAsync("rescore", "--model", ShippedModel, "--participant", "P002", "--archive", ArchiveRoot,
            "--registry", Registry, "--url", _server.Url.ToString(), "--database", rescored, "--create-database", "--config", Config());

        Assert.True(exit == 0, error);
        Assert.Contains("0 dead-lettered", output, StringComparison.Ordinal);
        foreach (var measurement in Measurements)
        {
            var before = await RowsAsync(replayed, measurement);
            Assert.True(measurement == "gap" || before.Count > 0, $"the replay stored no {measurement} points");
            Assert.Equal(before, await RowsAsync(rescored, measurement));
        }
    }

    [Fact]
    public async Task Rescore_WithAnotherModel_AddsItsVersionAndKeepsTheEarlierOneQueryable()
    {
        var database = await ReplayWithArchiveAsync();
        var shipped = Activity.ActivityModel.Load(ShippedModel);
        var otherPath = Path.Combine(_directory, "other", "activity.zip");
        var other = shipped.Save(otherPath, shipped.Card.TrainingFiles, shipped.Card.CrossValidation);
        Assert.NotEqual(shipped.Version, other.ModelVersion);

        var (exit, output, error) = await CliRunner.RunAsync("rescore", "--model", otherPath, "--all", "--archive", ArchiveRoot,
            "--registry", Registry, "--url", _server.Url.ToString(), "--database", database, "--config", Config());

        Assert.True(exit == 0, error);
        Assert.Contains($"model_version={other.ModelVersion}", output, StringComparison.Ordinal);
        foreach (var measurement in new[] { "activity", "bout", "session", "adherence" })
        {
            var versions = await RowsAsync(database, measurement, $"SELECT COUNT(*) FROM \"{measurement}\" GROUP BY \"model_version\"");
            Assert.Equal(2, versions.Count);
        }

        var common = new[] { "--participant", "P002", "--format", "csv", "--url", _server.Url.ToString(), "--database", database };
        var old = await CliRunner.RunAsync(["query", "sessions", "--model-version", shipped.Version, .. common]);
        var fresh = await CliRunner.RunAsync(["query", "sessions", "--model-version", other.ModelVersion, .. common]);
        var both = await CliRunner.RunAsync(["query", "sessions", "--model-version", ModelVersions.All, .. common]);
        Assert.Contains(shipped.Version, Assert.Single(old.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)), StringComparison.Ordinal);
        Assert.Contains(other.ModelVersion, Assert.Single(fresh.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)), StringComparison.Ordinal);
        Assert.Equal(2, both.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1);
    }

    [Fact]
    public async Task Rescore_DamagedBlock_ReportsFileAndOffsetAndScoresTheRest()
    {
        await ReplayWithArchiveAsync();
        var path = Directory.GetFiles(Path.Combine(ArchiveRoot, "P002"), "*" + ArchiveFormat.Extension).Single();
        var bytes = File.ReadAllBytes(path);
        var block = ArchiveFileReader.Blocks(bytes, path, _ => { }).Skip(3).First();
        bytes[block.Offset + block.Length - 1] ^= 0xFF;
        File.WriteAllBytes(path, bytes);

        var (exit, output, error) = await CliRunner.RunAsync("rescore", "--model", ShippedModel, "--participant", "P002", "--archive", ArchiveRoot,
            "--url", _server.Url.ToString(), "--database", InfluxServer.NewDatabaseName("damaged"), "--create-database", "--config", Config());

        Assert.Equal(3, exit);
        Assert.Contains($"{path}: offset {block.Offset}: corrupt block", error, StringComparison.Ordinal);
        Assert.Matches(@"P002: [\d,]+ samples, [\d,]+ windows classified", output);
    }

    [Fact]
    public async Task Rescore_NeitherParticipantNorAll_IsRefused()
    {
        var (exit, _, error) = await CliRunner.RunAsync("rescore", "--model", ShippedModel, "--archive", ArchiveRoot);

        Assert.NotEqual(0, exit);
        Assert.Contains("--participant ID or --all", error, StringComparison.Ordinal);
    }

    private async Task<string> ReplayWithArchiveAsync()
    {
        var database = InfluxServer.NewDatabaseName("replayed");
        var (exit, output, error) = await CliRunner.RunAsync("replay", "--recording", Path.Combine(Repository, "data", "demo", "hexoskin-subject001-excerpt.acc.csv.gz"),
            "--participant", "P002", "--registry", Registry, "--start", "2026-03-04T17:00:00Z", "--archive", ArchiveRoot,
            "--url", _server.Url.ToString(), "--database", database, "--create-database", "--config", Config());
        Assert.True(exit == 0, error);
        Assert.Matches(@"archive\s+[\d,]+ records in \d+ blocks", output);
        return database;
    }

    private async Task<List<string>> RowsAsync(string database, string measurement, string? query = null)
    {
        using var http = new HttpClient();
        var client = new InfluxQueryClient(http, new InfluxConnectionOptions { Url = _server.Url, Database = database });
        var series = await client.QueryAsync(query ?? $"SELECT * FROM \"{measurement}\" ORDER BY time");
        return [.. series.SelectMany(s => s.Rows.Select(r => string.Join(",", s.Tags.OrderBy(t => t.Key, StringComparer.Ordinal)) + " " + r))];
    }

    private string Config()
    {
        var path = Path.Combine(_directory, "config.json");
        var spool = Path.Combine(_directory, "spool").Replace("\\", "\\\\", StringComparison.Ordinal);
        File.WriteAllText(path, $$"""{ "Influx": { "Writer": { "SpoolDirectory": "{{spool}}" } } }""");
        return path;
    }
}
