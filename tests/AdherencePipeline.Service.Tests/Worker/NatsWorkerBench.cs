using System.Collections.Concurrent;
using System.Globalization;
using AdherencePipeline.Nats;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Sensors;
using AdherencePipeline.Service.Monitoring;
using AdherencePipeline.Service.Worker;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary>
/// <c>adherence run</c> with <c>Worker:Source=Nats</c> in this process: the service's own host, a real
/// three-node cluster with the frame stream, and a gateway's <see cref="FramePublisher"/> publishing the demo
/// recording as a virtual Polar H10 worn by P001 of site oslo. The idle clock is fake, so a wear period
/// closes only when a test says so.
/// </summary>
internal sealed class NatsWorkerBench : IAsyncDisposable
{
    public const string Site = "oslo";
    public const string Participant = "P001";
    public const string Strap = "A0:9E:1A:00:00:01";
    public static readonly DateTimeOffset Start = new(2026, 3, 4, 17, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly List<NatsConnection> _connections = [];
    private readonly List<FramePublisher> _gateways = [];

    private NatsWorkerBench(NatsCluster cluster, string folder)
    {
        Cluster = cluster;
        Folder = folder;
    }

    public NatsCluster Cluster { get; }

    public string Folder { get; }

    /// <summary>The strap's frames as <c>adherence gateway --replay</c> publishes them: received from <see cref="Start"/> on.</summary>
    public static IReadOnlyList<RawFrame> Frames => LazyFrames.Value;

    public static FirmwareProfile PolarH10 => WorkerBench.PolarH10;

    private static Lazy<List<RawFrame>> LazyFrames { get; } = new(MakeFrames);

    public static async Task<NatsWorkerBench> StartAsync()
    {
        var cluster = await NatsCluster.StartAsync();
        var bench = new NatsWorkerBench(cluster, Directory.CreateTempSubdirectory("nats-host-").FullName);
        await using var connection = new NatsConnection(new NatsClientOptions { Url = cluster.Url, Name = "provision" }.ToNatsOpts());
        var jetStream = new NatsJSContext(connection);
        // The cluster elects its JetStream meta leader a moment after the nodes are ready: retry until it has.
        await EventuallyAsync(async () =>
        {
            try
            {
                await FrameStreamProvisioning.EnsureAsync(jetStream, new FrameStreamOptions());
                return true;
            }
            catch (NatsException)
            {
                return false;
            }
        }, "the frame stream to be created");
        return bench;
    }

    /// <summary>The settings of a NATS worker named <paramref name="worker"/> with this bench's registry, with <paramref name="overrides"/> on top.</summary>
    public Dictionary<string, string?> Settings(Uri influx, string database, string worker, params (string Key, string? Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Worker:Source"] = "Nats",
            ["Nats:Url"] = Cluster.Url,
            ["Nats:Worker:Name"] = worker,
            ["Nats:Leases:Ttl"] = "00:00:04",
            ["Nats:Consumer:AckWait"] = "00:00:02",
            ["Nats:Consumer:PullExpires"] = "00:00:01",
            ["Influx:Url"] = influx.ToString(),
            ["Influx:Database"] = database,
            ["Influx:CreateDatabase"] = "true",
            ["Influx:Writer:SpoolDirectory"] = Path.Combine(Folder, "spool-" + worker),
            ["Influx:Writer:FlushInterval"] = "00:00:00.200",
            ["Participants:Registry"] = Registry(),
            ["Sensors:ProfilesDirectory"] = Path.Combine(RepositoryRoot.Path, "firmware-profiles"),
            ["Activity:ModelPath"] = Path.Combine(RepositoryRoot.Path, "data", "models", "activity.zip"),
            ["Worker:StopTimeout"] = "00:00:20",
            // A free port for /healthz, /readyz and /metrics, so hosts in parallel tests never collide.
            ["Monitoring:Urls"] = "http://127.0.0.1:0",
            ["Archive:Directory"] = Path.Combine(Folder, "archive-" + worker),
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Copies the shipped model and its card into a folder of this bench, so a test may replace them; returns the model's path.</summary>
    public string CopyShippedModel()
    {
        var models = Directory.CreateDirectory(Path.Combine(Folder, "models")).FullName;
        var model = Path.Combine(models, "activity.zip");
        File.Copy(Path.Combine(RepositoryRoot.Path, "data", "models", "activity.zip"), model, overwrite: true);
        File.Copy(Path.Combine(RepositoryRoot.Path, "data", "models", "activity.card.json"), Path.Combine(models, "activity.card.json"), overwrite: true);
        return model;
    }

    /// <summary>Builds and starts the service's host for <paramref name="settings"/>, its idle clock fake; every log line goes to the run's <see cref="NatsWorkerRun.Log"/>.</summary>
    public static async Task<NatsWorkerRun> RunAsync(Dictionary<string, string?> settings)
    {
        var time = new FakeTimeProvider(Start);
        var configuration = WorkerBench.Configuration(settings);
        var setup = WorkerSetup.Check(configuration, time.GetUtcNow(), out var problems);
        Assert.True(setup is not null, string.Join(Environment.NewLine, problems));
        var log = new ConcurrentQueue<string>();
        var host = WorkerHost.Build(configuration, setup, time, logging: b => b.AddProvider(new QueueLoggerProvider(log, LogLevel.Information)));
        await host.StartAsync();
        return new NatsWorkerRun(host, time, log);
    }

    /// <summary>A gateway of <see cref="Site"/> connected to the whole cluster.</summary>
    public FramePublisher Gateway()
    {
        var connection = new NatsConnection(new NatsClientOptions { Url = Cluster.Url, Name = "gateway-" + _gateways.Count, RequestTimeout = TimeSpan.FromSeconds(5) }.ToNatsOpts());
        _connections.Add(connection);
        var gateway = new FramePublisher(new NatsJSContext(connection), new FramePublisherOptions
        {
            Site = Site,
            SpoolDirectory = Path.Combine(Folder, "frame-spool-" + _gateways.Count),
            PublishTimeout = TimeSpan.FromSeconds(2),
            InitialRetryDelay = TimeSpan.FromMilliseconds(50),
            MaxRetryDelay = TimeSpan.FromSeconds(1),
        });
        _gateways.Add(gateway);
        return gateway;
    }

    /// <summary>Publishes <see cref="Frames"/> [<paramref name="from"/>, <paramref name="to"/>) through <paramref name="gateway"/> and waits until the stream holds them.</summary>
    public static async Task PublishAsync(FramePublisher gateway, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            await gateway.EnqueueAsync(Participant, PolarH10.Id, Frames[i]);
        }

        await gateway.FlushAsync();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (a background worker makes it true), within the bench's patience.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, Func<string>? context = null)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > Patience)
            {
                throw new TimeoutException($"Waited {Patience.TotalSeconds:0} s for {what}.\n{context?.Invoke()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Accelerometer samples and heart-rate measurements in <paramref name="frames"/>, decoded as the worker decodes them.</summary>
    public static (long Accelerometer, long HeartRate) DecodeAll(IReadOnlyList<RawFrame> frames)
    {
        using var decoder = new DeviceDecoder(PolarH10, Strap);
        var output = new List<DeviceData>();
        long accelerometer = 0, heartRate = 0;
        foreach (var frame in frames)
        {
            output.Clear();
            decoder.Decode(frame, output);
            accelerometer += output.OfType<AccelerationData>().Sum(a => a.TimestampsNs.Length);
            heartRate += output.OfType<HeartRateData>().Count();
        }

        Assert.Equal(0, decoder.Faults);
        return (accelerometer, heartRate);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }

        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        await Cluster.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    private static List<RawFrame> MakeFrames()
    {
        var (calibrated, _) = RecordingCalibration.Calibrate(RecordingReader.Open(WorkerBench.DemoRecording)[0]);
        var wearable = new VirtualWearable(PolarH10, RecordingReplay.ToSensorRecording(calibrated), new VirtualWearableOptions { DeviceAddress = Strap });
        var startNs = Start.ToUnixTimeMilliseconds() * 1_000_000;
        return [.. wearable.Notifications.Select(n => new RawFrame(Strap, n.Characteristic, startNs + n.Offset.Ticks * 100, n.Payload))];
    }

    private string Registry()
    {
        var path = Path.Combine(Folder, "participants.json");
        var from = (Start - TimeSpan.FromDays(2)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        File.WriteAllText(path, $$"""
            {
              "arms": ["exercise", "usual_care"],
              "sites": ["{{Site}}"],
              "participants": [
                {
                  "id": "{{Participant}}", "arm": "exercise", "site": "{{Site}}",
                  "enrolment": { "start": "{{from}}" },
                  "timeZones": [ { "from": "{{from}}", "zone": "Europe/Oslo" } ],
                  "devices": [ { "address": "{{Strap}}", "profile": "polar-h10", "from": "{{from}}" } ],
                  "ageYears": 61, "maxHeartRateBpm": 158, "restingHeartRateBpm": 71,
                  "prescriptions": [ { "from": "{{from}}", "sessionsPerWeek": 2, "minutesPerSession": 45, "targetZone": "moderate",
                    "countingClasses": ["walking", "stepper", "cross_trainer", "rowing"] } ]
                }
              ]
            }
            """);
        return path;
    }
}

/// <summary>A started NATS-mode host of <see cref="NatsWorkerBench"/>.</summary>
internal sealed class NatsWorkerRun(IHost host, FakeTimeProvider time, ConcurrentQueue<string> log) : IAsyncDisposable
{
    private bool _stopped;

    public IHost Host { get; } = host;

    /// <summary>The idle clock of the worker.</summary>
    public FakeTimeProvider Time { get; } = time;

    public ConcurrentQueue<string> Log { get; } = log;

    public FrameWorker Worker => Host.Services.GetRequiredService<NatsFrameWorkerService>().Worker!;

    /// <summary>The monitoring listener's address (a free port).</summary>
    public Uri Address => Host.Services.GetRequiredService<MonitoringServer>().Addresses[0];

    public string LogText => string.Join(Environment.NewLine, Log.TakeLast(100));

    /// <summary>Waits until the worker has processed and acknowledged <paramref name="frames"/> frames.</summary>
    public Task ProcessedAsync(long frames) =>
        NatsWorkerBench.EventuallyAsync(() => Task.FromResult(Worker.GetStatistics().FramesProcessed >= frames), $"{frames} frames to be processed", () => LogText);

    /// <summary>Lets the idle clock pass <see cref="FrameWorkerOptions.IdleClose"/> until the open wear period closed.</summary>
    public Task CloseWearPeriodAsync(long periods = 1) =>
        NatsWorkerBench.EventuallyAsync(() =>
        {
            Time.Advance(new FrameWorkerOptions().IdleClose);
            return Task.FromResult(Worker.GetStatistics().PeriodsClosed >= periods);
        }, "the wear period to close", () => LogText);

    /// <summary>The host's stop sequence: participants handed over, every point flushed.</summary>
    public async Task StopAsync()
    {
        _stopped = true;
        await Host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await StopAsync();
        }

        Host.Dispose();
    }
}
