using AdherencePipeline.Activity;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary>
/// <c>adherence run</c> with <c>Worker:Source=Nats</c> has what the BLE mode has: a watched model file.
/// The service's host in this process, a real three-node cluster and a real influxd.
/// </summary>
public sealed class NatsWorkerHostTests(InfluxServerFixture fixture) : IClassFixture<InfluxServerFixture>, IAsyncLifetime
{
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
}
