using System.Net;
using System.Text.Json;
using AdherencePipeline.Nats;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Sensors;
using AdherencePipeline.Service.Monitoring;
using AdherencePipeline.Service.Tests.Commands;
using AdherencePipeline.Testing;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary>
/// The monitoring endpoints of <c>adherence run</c> with <c>Worker:Source=Nats</c> and <c>adherence status</c>
/// reading them: the service's host in this process, a real three-node cluster and a real influxd.
/// </summary>
public sealed class NatsWorkerMonitoringTests(InfluxServerFixture fixture) : IClassFixture<InfluxServerFixture>, IAsyncLifetime
{
    // A PMD data notification cut after its first byte: the decoder reports a truncated header.
    private static readonly byte[] TruncatedPmdFrame = [0x02];
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
    public async Task Metrics_DemoRecordingThreeBadFramesAndTwoForeignMessages_CountExactlyWhatWasProcessedAndStored()
    {
        var database = InfluxServer.NewDatabaseName("nats_metrics");
        var frames = NatsWorkerBench.Frames;
        var (accelerometerSamples, heartRateMeasurements) = NatsWorkerBench.DecodeAll(frames);
        await using var run = await NatsWorkerBench.RunAsync(Bench.Settings(_influx.Url, database, "worker-1"));
        using var http = new HttpClient();
        var gateway = Bench.Gateway();

        await NatsWorkerBench.PublishAsync(gateway, 0, frames.Count);
        var lastNs = frames[^1].ReceivedUnixNs;
        for (var i = 1; i <= 3; i++)
        {
            await gateway.EnqueueAsync(NatsWorkerBench.Participant, NatsWorkerBench.PolarH10.Id, new RawFrame(NatsWorkerBench.Strap, GattUuid.PmdData, lastNs + i * 1_000_000, TruncatedPmdFrame));
        }

        await gateway.FlushAsync();
        // Two messages on the participant's subject that are not frame envelopes at all.
        await using (var connection = new NatsConnection(new NatsClientOptions { Url = Bench.Cluster.Url, Name = "stranger" }.ToNatsOpts()))
        {
            var jetStream = new NatsJSContext(connection);
            foreach (var junk in new byte[][] { [1, 2, 3], [] })
            {
                (await jetStream.PublishAsync(FrameSubjects.Frames(NatsWorkerBench.Site, NatsWorkerBench.Participant), junk)).EnsureSuccess();
            }
        }

        var total = frames.Count + 3 + 2;
        await run.ProcessedAsync(total);
        var live = PrometheusText.Parse(await ScrapeAsync(http, run));

        Assert.Equal(total, Value(live, "adherence_nats_frames_processed_total"));
        Assert.Equal(2, Value(live, "adherence_nats_faulty_frames_total"));
        Assert.Equal(0, Value(live, "adherence_nats_frames_reprocessed_total"));
        Assert.Equal((1, 1), (Value(live, "adherence_nats_partitions_owned"), Value(live, "adherence_nats_partitions_taken_total")));
        Assert.Equal(frames.Count + 3, Value(live, "adherence_frames_total", ("model", "polar-h10")));
        Assert.Equal(accelerometerSamples, Value(live, "adherence_samples_total", ("model", "polar-h10"), ("sensor", "accelerometer")));
        Assert.Equal(heartRateMeasurements, Value(live, "adherence_samples_total", ("model", "polar-h10"), ("sensor", "heart_rate")));
        Assert.Equal(3, Value(live, "adherence_decode_faults_total", ("model", "polar-h10"), ("kind", "truncated")));
        Assert.Single(live, s => s.Name == "adherence_decode_faults_total");
        Assert.Single(live, s => s.Name == "adherence_nats_lag_seconds");
        Assert.Single(live, s => s.Name == "adherence_nats_heartbeat_age_seconds");
        // No BLE transport in this mode: none of its device gauges.
        Assert.DoesNotContain(live, s => s.Name.StartsWith("adherence_devices_", StringComparison.Ordinal));

        await run.CloseWearPeriodAsync();
        await run.StopAsync();
        var final = PrometheusText.Parse(run.Host.Services.GetRequiredService<MetricsExposition>().Scrape());
        var activity = await RowsAsync(database, PipelinePoints.Activity);
        var bouts = await RowsAsync(database, "bout");
        var sessions = await RowsAsync(database, "session");
        Assert.True(sessions >= 1 && bouts >= sessions, $"The demo should close a session and its bouts; stored {sessions} session(s), {bouts} bout(s).");
        Assert.Equal(1, Value(final, "adherence_nats_periods_closed_total"));
        Assert.Equal(activity, Value(final, "adherence_windows_classified_total", ("model", "polar-h10")));
        Assert.Equal(bouts, Value(final, "adherence_bouts_closed_total"));
        Assert.Equal(sessions, Value(final, "adherence_sessions_closed_total"));
        Assert.Equal(run.Worker.GetStatistics().Points, Value(final, "adherence_points_written_total"));
        Assert.Equal(0, Value(final, "adherence_spool_batches"));
        Assert.Equal(0, Value(final, "adherence_nats_partitions_owned"));
    }

    [Fact]
    public async Task Readyz_EveryNatsNodeKilledThenRestarted_Is503NamingNatsThen200_AndStatusExitsOneThenZero()
    {
        var database = InfluxServer.NewDatabaseName("nats_ready");
        await using var run = await NatsWorkerBench.RunAsync(Bench.Settings(_influx.Url, database, "worker-1"));
        using var http = new HttpClient();
        var readyz = new Uri(run.Address, "/readyz");

        var ready = await EventuallyAsync(http, readyz, HttpStatusCode.OK, run);
        await NatsWorkerBench.EventuallyAsync(() => Task.FromResult(run.Worker.Owned.Count == 1), "the worker to take P001", () => run.LogText);
        var (readyExit, readyOutput, _) = await CliRunner.RunAsync("status", "--url", run.Address.ToString(), "--interval", "0");

        await Bench.Cluster.KillAllAsync();
        var down = await EventuallyAsync(http, readyz, HttpStatusCode.ServiceUnavailable, run);
        var (downExit, downOutput, _) = await CliRunner.RunAsync("status", "--url", run.Address.ToString(), "--interval", "0");

        await Bench.Cluster.RestartAllAsync();
        var back = await EventuallyAsync(http, readyz, HttpStatusCode.OK, run);
        await run.StopAsync();

        Assert.Equal(["worker", "influxdb", "spool", "model", "nats"], ready.RootElement.GetProperty("checks").EnumerateObject().Select(c => c.Name));
        Assert.All(ready.RootElement.GetProperty("checks").EnumerateObject(), c => Assert.Equal("healthy", c.Value.GetProperty("status").GetString()));
        Assert.StartsWith("connected to n", Detail(ready, "nats"), StringComparison.Ordinal);
        Assert.StartsWith("worker-1: ", Detail(ready, "worker"), StringComparison.Ordinal);
        Assert.Equal(0, readyExit);
        Assert.StartsWith($"adherence run at {run.Address}: ready\n", readyOutput, StringComparison.Ordinal);
        Assert.Contains("\nparticipants:   1 owned, 1 taken since start; ", readyOutput, StringComparison.Ordinal);

        Assert.Equal("unhealthy", Check(down, "nats"));
        Assert.Contains("reconnecting", Detail(down, "nats"), StringComparison.Ordinal);
        Assert.Equal(("healthy", "healthy", "healthy"), (Check(down, "influxdb"), Check(down, "spool"), Check(down, "model")));
        Assert.Equal(1, downExit);
        Assert.StartsWith($"adherence run at {run.Address}: NOT READY\n", downOutput, StringComparison.Ordinal);
        Assert.Contains("\n  nats         unhealthy  ", downOutput, StringComparison.Ordinal);

        Assert.Equal(("healthy", "healthy"), (Check(back, "nats"), Check(back, "worker")));
    }

    private static string? Check(JsonDocument report, string name) => report.RootElement.GetProperty("checks").GetProperty(name).GetProperty("status").GetString();

    private static string Detail(JsonDocument report, string name) => report.RootElement.GetProperty("checks").GetProperty(name).GetProperty("detail").GetString() ?? "";

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    private static double Value(IReadOnlyList<PrometheusSample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

    private static async Task<string> ScrapeAsync(HttpClient http, NatsWorkerRun run)
    {
        using var response = await http.GetAsync(new Uri(run.Address, "/metrics"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(PrometheusText.ContentType, response.Content.Headers.ContentType?.ToString());
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Asks <paramref name="readyz"/> until it answers <paramref name="status"/> (the worker notices a cluster going and coming on its own time).</summary>
    private static async Task<JsonDocument> EventuallyAsync(HttpClient http, Uri readyz, HttpStatusCode status, NatsWorkerRun run)
    {
        JsonDocument? body = null;
        await NatsWorkerBench.EventuallyAsync(
            async () =>
            {
                body?.Dispose();
                using var response = await http.GetAsync(readyz);
                Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
                body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                return response.StatusCode == status;
            },
            $"/readyz to answer {(int)status}",
            () => $"{body?.RootElement}\n{run.LogText}");
        return body!;
    }

    private async Task<long> RowsAsync(string database, string measurement)
    {
        using var http = new HttpClient();
        var series = await WorkerBench.Query(http, _influx.Url, database).QueryAsync($"SELECT * FROM \"{measurement}\"");
        return series.Sum(s => s.Rows.Count);
    }
}
