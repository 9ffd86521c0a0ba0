using AdherencePipeline.Activity;
using AdherencePipeline.Archive;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary>
/// <c>adherence run</c> with <c>Worker:Source=Nats</c> has what the BLE mode has: a watched model file and the raw archive.
/// The service's host in this process, a real three-node cluster and a real influxd.
/// </summary>
public sealed class NatsWorkerHostTests(InfluxServerFixture fixture) : IClassFixture<InfluxServerFixture>, IAsyncLifetime
{
    private static readonly string[] Measurements = ["motion", "heart_rate", "gap", "activity", "bout", "session", "adherence"];
    private readonly InfluxServer _influx = fixture.Server;
    private NatsWorkerBench? _bench;

    private NatsWorkerBench Bench => _bench!;

    public async Task InitializeAsync() => _bench = await NatsWorkerBench.StartAsync();

    public async Task DisposeAsync()
    {
        if (_bench is not null)
        {
            await _bench.DisposeAsync();
        }
    }

    [Fact]
    public async Task Run_NewModelCopiedOverTheWatchedFile_ClassifiesTheLaterWindowsWithItsVersion()
    {
        var model = Bench.CopyShippedModel();
        var old = ActivityModel.Load(model).Version;
        var database = InfluxServer.NewDatabaseName("nats_swap");
        await using var run = await NatsWorkerBench.RunAsync(Bench.Settings(_influx.Url, database, "worker-1", ("Activity:ModelPath", model)));
        var gateway = Bench.Gateway();
        var half = NatsWorkerBench.Frames.Count / 2;
        await NatsWorkerBench.PublishAsync(gateway, 0, half);
        await run.ProcessedAsync(half);

        // The shipped model saved again: the same trees in a file (and so a version) of its own, written as
        // `adherence model train` writes one (model, then card, each moved in whole).
        var replacement = ActivityModel.Load(model).Save(model, [], null).ModelVersion;
        var models = run.Host.Services.GetRequiredService<ActivityModelSource>();
        await NatsWorkerBench.EventuallyAsync(() => Task.FromResult(models.Current.Version == replacement), "the new model to be swapped in", () => run.LogText);
        await NatsWorkerBench.PublishAsync(gateway, half, NatsWorkerBench.Frames.Count);
        await run.ProcessedAsync(NatsWorkerBench.Frames.Count);
        await run.CloseWearPeriodAsync();
        await run.StopAsync();

        Assert.NotEqual(old, replacement);
        Assert.Contains(run.Log, l => l.Contains($"swapped: version {old} replaced by {replacement}", StringComparison.Ordinal));
        using var http = new HttpClient();
        var query = new InfluxQueryClient(http, new InfluxConnectionOptions { Url = _influx.Url, Database = database });
        var first = await query.QueryAsync("SELECT FIRST(\"activity\") AS a FROM \"activity\" GROUP BY \"model_version\"");
        var last = await query.QueryAsync("SELECT LAST(\"activity\") AS a FROM \"activity\" GROUP BY \"model_version\"");
        var counts = await query.QueryAsync("SELECT COUNT(\"activity\") AS n FROM \"activity\" GROUP BY \"model_version\"");
        Assert.Equal(new[] { old, replacement }.Order(StringComparer.Ordinal), counts.Select(s => s.Tags["model_version"]).Order(StringComparer.Ordinal));
        Assert.All(counts, s => Assert.True(Assert.Single(s.Rows).GetInt64("n") > 40, $"{s.Tags["model_version"]} classified only {s.Rows[0].GetInt64("n")} window(s)"));
        // Every window before the swap was classified by the old model, every one after it by the new.
        var oldLast = Assert.Single(last.Single(s => s.Tags["model_version"] == old).Rows).TimestampNs;
        var newFirst = Assert.Single(first.Single(s => s.Tags["model_version"] == replacement).Rows).TimestampNs;
        Assert.True(oldLast < newFirst, $"the old model's last window ({oldLast}) is not before the new model's first ({newFirst})");
    }

    [Fact]
    public async Task Run_TruncatedModelCopiedOverTheWatchedFile_IsRefusedAndClassificationGoesOnWithTheOldModel()
    {
        var model = Bench.CopyShippedModel();
        var version = ActivityModel.Load(model).Version;
        var database = InfluxServer.NewDatabaseName("nats_refuse");
        await using var run = await NatsWorkerBench.RunAsync(Bench.Settings(_influx.Url, database, "worker-1", ("Activity:ModelPath", model)));
        var gateway = Bench.Gateway();
        var half = NatsWorkerBench.Frames.Count / 2;
        await NatsWorkerBench.PublishAsync(gateway, 0, half);
        await run.ProcessedAsync(half);
        var swapAtNs = NatsWorkerBench.Frames[half].ReceivedUnixNs;

        // Truncated, as a copy interrupted half-way would leave it.
        var bytes = await File.ReadAllBytesAsync(model);
        await File.WriteAllBytesAsync(model, bytes[..(bytes.Length / 2)]);
        await NatsWorkerBench.EventuallyAsync(() => Task.FromResult(run.Log.Any(l => l.Contains("cannot be used", StringComparison.Ordinal))), "the refusal", () => run.LogText);
        await NatsWorkerBench.PublishAsync(gateway, half, NatsWorkerBench.Frames.Count);
        await run.ProcessedAsync(NatsWorkerBench.Frames.Count);
        await run.CloseWearPeriodAsync();
        await run.StopAsync();

        var refusal = run.Log.First(l => l.Contains("cannot be used", StringComparison.Ordinal));
        Assert.Contains(model, refusal, StringComparison.Ordinal);
        Assert.Contains($"version {version} stays in use", refusal, StringComparison.Ordinal);
        using var http = new HttpClient();
        var query = new InfluxQueryClient(http, new InfluxConnectionOptions { Url = _influx.Url, Database = database });
        var versions = await query.QueryAsync("SELECT COUNT(\"activity\") AS n FROM \"activity\" GROUP BY \"model_version\"");
        Assert.Equal([version], versions.Select(s => s.Tags["model_version"]));
        var afterSwap = await query.QueryAsync($"SELECT COUNT(\"activity\") AS n FROM \"activity\" WHERE time > {swapAtNs}");
        Assert.True(Assert.Single(Assert.Single(afterSwap).Rows).GetInt64("n") > 40, "classification stopped after the refusal");
    }

    [Fact]
    public async Task Run_WorkerRestartedMidSession_ArchivesEverySampleOnceAndTheRescoredArchiveStoresWhatWasStoredLive()
    {
        var database = InfluxServer.NewDatabaseName("nats_archive");
        var settings = Bench.Settings(_influx.Url, database, "worker-1");
        var archive = settings["Archive:Directory"]!;
        var frames = NatsWorkerBench.Frames;
        var half = frames.Count / 2;
        var gateway = Bench.Gateway();
        await using (var first = await NatsWorkerBench.RunAsync(settings))
        {
            await NatsWorkerBench.PublishAsync(gateway, 0, half);
            await first.ProcessedAsync(half);
            // Mid-session: the stop hands the participant over with its wear period open.
            await first.StopAsync();
        }

        // The same worker, on the same archive, takes the participant again: it re-processes the first half
        // from the restart point (the wear period's first frame), then goes on with the second.
        await using var second = await NatsWorkerBench.RunAsync(settings);
        await NatsWorkerBench.PublishAsync(gateway, half, frames.Count);
        await second.ProcessedAsync(frames.Count - half);
        await second.CloseWearPeriodAsync();
        await second.StopAsync();

        Assert.Equal(half, second.Worker.GetStatistics().FramesReprocessed);
        var issues = new List<ArchiveIssue>();
        var archived = ParticipantArchive.Read(archive, NatsWorkerBench.Participant, issues.Add).ToList();
        Assert.Empty(issues);
        var (accelerometer, heartRate) = NatsWorkerBench.DecodeAll(frames);
        Assert.Equal(accelerometer, archived.OfType<AccelerationData>().Sum(a => a.TimestampsNs.Length));
        Assert.Equal(heartRate, archived.OfType<HeartRateData>().Count());
        var times = archived.OfType<AccelerationData>().SelectMany(a => a.TimestampsNs).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal(times.Count, times.Distinct().Count());

        // Re-scoring that archive with the same model stores exactly what the workers stored live.
        var rescored = InfluxServer.NewDatabaseName("nats_rescored");
        var config = WorkerBench.ConfigFile(Bench.Folder, Bench.Settings(_influx.Url, rescored, "rescore"));
        var (exit, output, error) = await Commands.CliRunner.RunAsync("rescore", "--config", config, "--model", Path.Combine(RepositoryRoot.Path, "data", "models", "activity.zip"),
            "--participant", NatsWorkerBench.Participant, "--archive", archive, "--registry", settings["Participants:Registry"]!, "--url", _influx.Url.ToString(), "--database", rescored, "--create-database");
        Assert.True(exit == 0, output + error);
        foreach (var measurement in Measurements)
        {
            var live = await WorkerBench.RowsAsync(_influx.Url, database, measurement);
            var again = await WorkerBench.RowsAsync(_influx.Url, rescored, measurement);
            Assert.True(live == again, $"{measurement} re-scored from the worker's archive differs:\nlive     {Shorten(live)}\nrescored {Shorten(again)}");
        }

        Assert.Contains("\"session\"", await WorkerBench.RowsAsync(_influx.Url, database, "session"), StringComparison.Ordinal);
    }

    private static string Shorten(string json) => json.Length > 600 ? json[..600] + "…" : json;
}
