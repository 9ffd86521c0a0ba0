using AdherencePipeline.Nats;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Sensors;
using AdherencePipeline.Service.Commands;
using AdherencePipeline.Service.Monitoring;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary>
/// <c>device_status</c> in the distributed mode: <c>adherence gateway</c> on a real dbus-daemon with the
/// BlueZ-shaped service publishes its strap's status beside the frames, and the NATS worker that owns the
/// participant writes the points the BLE mode writes; a real three-node cluster and a real influxd.
/// </summary>
public sealed class NatsDeviceStatusTests(InfluxServerFixture fixture) : WorkerBenchTests(fixture)
{
    private const int Notifications = 200;
    private static readonly DateTimeOffset Start = new(2026, 3, 4, 17, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Gateway_StrapConnectsStreamsAndGatewayStops_OwnerWritesTheDeviceStatusTheBleModeWrites()
    {
        await using var nats = await NatsWorkerBench.StartAsync();
        var registry = Bench.Registry(DateOnly.FromDateTime(Start.UtcDateTime.AddDays(-2)));
        var database = InfluxServer.NewDatabaseName("nats_status");
        await using var run = await NatsWorkerBench.RunAsync(nats.Settings(Server.Url, database, "worker-1", ("Participants:Registry", registry)));
        var exposition = run.Host.Services.GetRequiredService<MetricsExposition>();
        Bench.AddPolar(WorkerBench.Strap);
        var settings = new GatewayCommand.GatewaySettings(
            new NatsClientOptions { Url = nats.Cluster.Url },
            new FramePublisherOptions { Site = "bergen", SpoolDirectory = Path.Combine(Bench.Folder, "frame-spool") },
            new FrameStreamOptions(),
            ProvisionStream: false,
            Replay: null,
            registry,
            Path.Combine(RepositoryRoot.Path, "firmware-profiles"),
            WorkerBench.Configuration(Bench.Settings(Server.Url, database, registry)));
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        var gateway = Task.Run(() => GatewayCommand.RunAsync(settings, output, error, stop.Token));
        using var http = new HttpClient();
        var query = WorkerBench.Query(http, Server.Url, database);

        // Connected: the gateway says so before the strap streams.
        await NatsWorkerBench.EventuallyAsync(async () => await CountAsync(query, "connected = true") > 0, "the connected status to be written", () => run.LogText + error);
        foreach (var n in DemoNotifications().Take(Notifications))
        {
            Bench.BlueZ.Notify(WorkerBench.Strap, n.Characteristic, n.Payload);
        }

        await NatsWorkerBench.EventuallyAsync(() => Task.FromResult(Frames(exposition) == Notifications), "the worker to decode every frame", () => run.LogText + error);
        await stop.CancelAsync();
        Assert.Equal(GatewayCommand.Exit.Ok, await gateway);
        // Stopped: the gateway's last word on the strap is disconnected, with its final counts.
        await NatsWorkerBench.EventuallyAsync(async () => await CountAsync(query, "connected = false") > 0, "the disconnected status to be written", () => run.LogText + error);
        await run.StopAsync();

        var stored = await query.QueryAsync(
            "SELECT LAST(\"frames\") AS frames, LAST(\"connected\") AS connected, LAST(\"battery_pct\") AS battery, MAX(\"connections\") AS connections, LAST(\"frames_dropped\") AS dropped, LAST(\"decode_faults\") AS faults " +
            $"FROM \"device_status\" WHERE \"device\" = '{WorkerBench.Strap}' AND \"participant\" = 'P002' AND \"device_model\" = 'polar-h10'");
        var row = Assert.Single(Assert.Single(stored).Rows);
        Assert.Equal(((long)Notifications, false, 87L, 1L, 0L, 0L), (row.GetInt64("frames"), row.GetBoolean("connected"), row.GetInt64("battery"), row.GetInt64("connections"), row.GetInt64("dropped"), row.GetInt64("faults")));
        var connected = await query.QueryAsync($"SELECT \"rssi_dbm\" FROM \"device_status\" WHERE \"device\" = '{WorkerBench.Strap}' AND \"connected\" = true");
        Assert.Contains(Assert.Single(connected).Rows, r => r.GetInt64("rssi_dbm") == -58);
        // Status frames are not sensor data: the frames decoded are exactly the strap's notifications, none faulty.
        Assert.Equal(Notifications, Frames(exposition));
        Assert.Equal(0, run.Worker.GetStatistics().FaultyFrames);
    }

    private static double Frames(MetricsExposition exposition) =>
        PrometheusText.Parse(exposition.Scrape()).Where(s => s.Name == "adherence_frames_total").Sum(s => s.Value);

    private static async Task<long> CountAsync(InfluxQueryClient query, string condition)
    {
        try
        {
            var series = await query.QueryAsync($"SELECT COUNT(\"frames\") AS n FROM \"device_status\" WHERE {condition}");
            return series.SelectMany(s => s.Rows).Sum(r => r.GetInt64("n"));
        }
        catch (InfluxQueryException)
        {
            // The writer creates the database with its first write.
            return 0;
        }
    }

    private static IReadOnlyList<ScheduledNotification> DemoNotifications()
    {
        var replay = new RecordingReplay(RecordingReader.Open(WorkerBench.DemoRecording)[0], new ReplayOptions { Participant = "P002", Profile = WorkerBench.PolarH10, Start = Start });
        return new VirtualWearable(WorkerBench.PolarH10, replay.SensorRecording).Notifications;
    }
}
