using System.Globalization;
using System.Text;
using AdherencePipeline.Activity;
using AdherencePipeline.Adherence;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Sensors;
using AdherencePipeline.Signal;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AdherencePipeline.Nats.Tests;

/// <summary>A participant wearing a virtual Polar H10 that replays a real recording from <see cref="Start"/>.</summary>
/// <remarks>
/// Each wearer's strap has an address of its own, as real straps do. The address is not in any point, so the
/// replay's shared virtual address stores the same points; the message id holds site and participant, so a
/// shared address would not make two gateways' frames look like re-sends of each other either.
/// </remarks>
internal sealed record Wearer(string Site, string Participant, string Recording, DateTimeOffset Start)
{
    private IReadOnlyList<RawFrame>? _frames;

    /// <summary>
    /// The frames exactly as <c>adherence gateway --replay</c> publishes them: the recording calibrated to g,
    /// encoded by the virtual wearable, received at the start plus each notification's offset.
    /// </summary>
    public IReadOnlyList<RawFrame> Frames => _frames ??= Make();

    public string Key => $"{Site}.{Participant}";

    private List<RawFrame> Make()
    {
        var (calibrated, _) = RecordingCalibration.Calibrate(RecordingReader.Open(Recording)[0]);
        var wearable = new VirtualWearable(WorkerRig.PolarH10, RecordingReplay.ToSensorRecording(calibrated), new VirtualWearableOptions { DeviceAddress = "A0:9E:1A:00:00:" + Participant[^2..] });
        var startNs = Start.ToUnixTimeMilliseconds() * 1_000_000;
        return [.. wearable.Notifications.Select(n => new RawFrame(wearable.Options.DeviceAddress, n.Characteristic, startNs + n.Offset.Ticks * 100, n.Payload))];
    }
}

/// <summary>An InfluxDB endpoint that can be cut, as when the worker's process dies: what it has not sent is lost.</summary>
internal sealed class CuttableEndpoint(IInfluxWriteEndpoint inner) : IInfluxWriteEndpoint
{
    private volatile bool _cut;

    public string Description => inner.Description;

    public void Cut() => _cut = true;

    public Task<WriteOutcome> WriteAsync(ReadOnlyMemory<byte> lines, CancellationToken cancellationToken) =>
        _cut ? Task.FromResult(new WriteOutcome(WriteOutcomeKind.Retry, Message: "the process is dead")) : inner.WriteAsync(lines, cancellationToken);
}

/// <summary>Keeps a worker's log lines in memory, for the message of a failed assertion.</summary>
internal sealed class RecordingLogger(string name, System.Collections.Concurrent.ConcurrentQueue<string> lines) : Microsoft.Extensions.Logging.ILogger<FrameWorker>
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {name} {logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)}");
    }
}

/// <summary>One in-process worker with its own NATS connection and InfluxDB writer.</summary>
internal sealed class RunningWorker : IAsyncDisposable
{
    private readonly NatsConnection _connection;
    private readonly CuttableEndpoint _endpoint;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private bool _ended;

    public RunningWorker(NatsConnection connection, FrameWorker worker, InfluxLineWriter writer, CuttableEndpoint endpoint)
    {
        _connection = connection;
        Worker = worker;
        Writer = writer;
        _endpoint = endpoint;
        _run = Task.Run(() => worker.RunAsync(_stop.Token));
    }

    public FrameWorker Worker { get; }

    public InfluxLineWriter Writer { get; }

    public Task Run => _run;

    /// <summary>The stop sequence: participants handed over, leases released, every point written.</summary>
    public async Task StopAsync()
    {
        _ended = true;
        await _stop.CancelAsync();
        await _run;
        await Writer.FlushAsync();
        await Writer.DisposeAsync();
        await _connection.DisposeAsync();
    }

    /// <summary>
    /// Dies without its stop sequence: points not yet in InfluxDB are lost, the connection drops with a
    /// frame unacknowledged, leases and checkpoints are left as they were.
    /// </summary>
    public async Task KillAsync()
    {
        _ended = true;
        _endpoint.Cut();
        await _connection.DisposeAsync();
        await _stop.CancelAsync();
        try
        {
            await _run;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or NatsException or OperationCanceledException)
        {
            // What a dead process's last calls would have met.
        }

        await Writer.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_ended)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }
}

/// <summary>
/// Gateways, workers and the single-machine reference for the worker tests: a unique pair of sites,
/// lease and checkpoint buckets of their own, the registry of the wearers, and the InfluxDB
/// database that <c>adherence replay</c> of the same recordings fills.
/// </summary>
internal sealed class WorkerRig : IAsyncDisposable
{
    public static readonly string[] Measurements = ["motion", "heart_rate", "gap", "activity", "bout", "session", "adherence"];
    private static int _rigs;
    private readonly NatsClusterFixture _nats;
    private readonly InfluxServer _influx;
    private readonly HttpClient _http = new();
    private readonly List<RunningWorker> _workers = [];
    private readonly List<FramePublisher> _gateways = [];
    private readonly List<NatsConnection> _connections = [];

    public WorkerRig(NatsClusterFixture nats, InfluxServer influx)
    {
        _nats = nats;
        _influx = influx;
        var id = $"w{Interlocked.Increment(ref _rigs)}x{Environment.ProcessId % 1000}";
        SiteA = id + "a";
        SiteB = id + "b";
        Folder = Directory.CreateTempSubdirectory("adherence-workers-").FullName;
        var start = new DateTimeOffset(2026, 3, 4, 17, 0, 0, TimeSpan.Zero);
        Wearers =
        [
            new Wearer(SiteA, "P001", DemoRecording, start),
            new Wearer(SiteA, "P002", Path.Combine(Repository, "..", "shared", "data", "chest-accel-casale", "participant13.csv.gz"), start.AddHours(2)),
            new Wearer(SiteB, "P003", DemoRecording, start.AddDays(1)),
        ];
        Participants = ParticipantRegistryLoader.Load(WriteRegistry()).Participants;
        LeaseOptions = new ParticipantLeaseOptions { Bucket = "leases_" + id, Ttl = TimeSpan.FromSeconds(4) };
        CheckpointBucket = "checkpoints_" + id;
        Database = InfluxServer.NewDatabaseName("workers");
    }

    public static string Repository { get; } = RepositoryRoot.Path;

    public static string DemoRecording { get; } = Path.Combine(Repository, "data", "demo", "hexoskin-subject001-excerpt.acc.csv.gz");

    public static IReadOnlyList<FirmwareProfile> Profiles { get; } = FirmwareProfileLoader.LoadDirectory(Path.Combine(Repository, "firmware-profiles"), out _);

    public static FirmwareProfile PolarH10 { get; } = Profiles.Single(p => p.Id == "polar-h10");

    public static ActivityModel Model => LazyModel.Value;

    public string SiteA { get; }

    public string SiteB { get; }

    public string Folder { get; }

    public IReadOnlyList<Wearer> Wearers { get; }

    public IReadOnlyList<Participant> Participants { get; }

    public ParticipantLeaseOptions LeaseOptions { get; }

    public string CheckpointBucket { get; }

    public string Database { get; }

    /// <summary>What the workers logged, for the message of a failed assertion.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Log { get; } = new();

    /// <summary>The clock of every worker's <see cref="FrameWorkerOptions.IdleClose"/>: wear periods close only when a test says so.</summary>
    public FakeTimeProvider IdleClock { get; } = new(new DateTimeOffset(2026, 3, 10, 0, 0, 0, TimeSpan.Zero));

    public static ParticipantFrameConsumerOptions ConsumerOptions { get; } = new() { AckWait = TimeSpan.FromSeconds(2), PullExpires = TimeSpan.FromSeconds(1) };

    private static Lazy<ActivityModel> LazyModel { get; } = new(() => ActivityModel.Load(Path.Combine(Repository, "data", "models", "activity.zip")));

    /// <summary>A gateway of <paramref name="site"/>, connected to <paramref name="url"/> (default: the whole cluster).</summary>
    public FramePublisher Gateway(string site, string? url = null)
    {
        var connection = new NatsConnection(new NatsClientOptions { Url = url ?? _nats.Cluster.Url, Name = "gateway-" + site, RequestTimeout = TimeSpan.FromSeconds(5) }.ToNatsOpts());
        _connections.Add(connection);
        var gateway = new FramePublisher(new NatsJSContext(connection), new FramePublisherOptions
        {
            Site = site,
            SpoolDirectory = Path.Combine(Folder, "frame-spool-" + site + _gateways.Count),
            PublishTimeout = TimeSpan.FromSeconds(2),
            InitialRetryDelay = TimeSpan.FromMilliseconds(50),
            MaxRetryDelay = TimeSpan.FromSeconds(1),
        });
        _gateways.Add(gateway);
        return gateway;
    }

    /// <summary>Publishes the wearer's frames <paramref name="from"/> (inclusive) <paramref name="to"/> (exclusive) through <paramref name="gateway"/>.</summary>
    public static async Task PublishAsync(FramePublisher gateway, Wearer wearer, int from, int to)
    {
        var frames = wearer.Frames;
        for (var i = from; i < to; i++)
        {
            await gateway.EnqueueAsync(wearer.Participant, PolarH10.Id, frames[i]);
        }
    }

    public RunningWorker StartWorker(string name)
    {
        var connection = new NatsConnection(new NatsClientOptions { Url = _nats.Cluster.Url, Name = name, RequestTimeout = TimeSpan.FromSeconds(5) }.ToNatsOpts());
        var endpoint = new CuttableEndpoint(new InfluxV1WriteEndpoint(_http, new InfluxConnectionOptions { Url = _influx.Url, Database = Database, CreateDatabase = true }));
        var writer = new InfluxLineWriter(endpoint, new InfluxWriterOptions
        {
            SpoolDirectory = Path.Combine(Folder, "spool-" + name),
            FlushInterval = TimeSpan.FromMilliseconds(100),
            InitialRetryDelay = TimeSpan.FromMilliseconds(50),
            MaxRetryDelay = TimeSpan.FromMilliseconds(500),
            ShutdownTimeout = TimeSpan.Zero,
        });
        var query = new InfluxQueryClient(_http, new InfluxConnectionOptions { Url = _influx.Url, Database = Database });
        var worker = new FrameWorker(new NatsJSContext(connection), new FrameWorkerSetup
        {
            Participants = Participants,
            Profiles = Profiles,
            Model = () => Model,
            Writer = writer,
            StoredSessions = (participant, from, until, cancellationToken) => AdherencePipeline.Adherence.StoredSessions.ReadAsync(query, participant, from, until, cancellationToken),
            StreamName = _nats.Stream.Name,
            CheckpointBucket = CheckpointBucket,
            Worker = new FrameWorkerOptions { Name = name },
            Leases = LeaseOptions,
            Consumer = ConsumerOptions,
        }, IdleClock, new RecordingLogger(name, Log));
        var running = new RunningWorker(connection, worker, writer, endpoint);
        _workers.Add(running);
        return running;
    }

    /// <summary>Completes when every wearer's consumer has acknowledged every frame published so far.</summary>
    public async Task WaitUntilProcessedAsync(TimeSpan patience)
    {
        await using var connection = _nats.Connect("observer");
        var jetStream = new NatsJSContext(connection);
        var deadline = DateTime.UtcNow + patience;
        foreach (var wearer in Wearers)
        {
            while (true)
            {
                try
                {
                    var consumer = await jetStream.GetConsumerAsync(_nats.Stream.Name, FrameSubjects.ConsumerName(wearer.Site, wearer.Participant));
                    if (consumer.Info is { NumPending: 0, NumAckPending: 0 } && consumer.Info.AckFloor.StreamSeq > 0)
                    {
                        break;
                    }
                }
                catch (NatsJSApiException)
                {
                    // Not created by a worker yet.
                }
                catch (NatsException)
                {
                    // A node restarting.
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{wearer.Key}: frames still unacknowledged after {patience.TotalSeconds:0} s. Workers' log:\n{string.Join("\n", Log)}");
                }

                await Task.Delay(50);
            }
        }
    }

    /// <summary>
    /// Lets the workers' idle clock pass <see cref="FrameWorkerOptions.IdleClose"/> until every wearer's
    /// wear period closed, then waits for every point to be in InfluxDB. Returns the periods closed.
    /// </summary>
    public async Task<long> CloseWearPeriodsAsync(IReadOnlyList<RunningWorker> workers, TimeSpan patience)
    {
        await Eventually.TrueAsync(
            () =>
            {
                IdleClock.Advance(new FrameWorkerOptions().IdleClose);
                return workers.Sum(w => w.Worker.GetStatistics().PeriodsClosed) >= Wearers.Count;
            },
            patience,
            "every wear period to close");
        foreach (var worker in workers)
        {
            await worker.Writer.FlushAsync();
        }

        return _workers.Sum(w => w.Worker.GetStatistics().PeriodsClosed);
    }

    /// <summary>Replays every wearer's recording on one machine, as <c>adherence replay</c> does, into a database of its own.</summary>
    public async Task<string> ReplayAsync()
    {
        var database = InfluxServer.NewDatabaseName("replay");
        var connection = new InfluxConnectionOptions { Url = _influx.Url, Database = database, CreateDatabase = true };
        await using var writer = new InfluxLineWriter(new InfluxV1WriteEndpoint(_http, connection), new InfluxWriterOptions { SpoolDirectory = Path.Combine(Folder, "spool-replay") });
        foreach (var wearer in Wearers)
        {
            var replay = new RecordingReplay(RecordingReader.Open(wearer.Recording)[0], new ReplayOptions
            {
                Participant = wearer.Participant,
                Profile = PolarH10,
                Start = wearer.Start,
                Model = Model,
                Registration = Participants.Single(p => p.Id == wearer.Participant),
            });
            await replay.RunAsync(events => events.Store(writer));
        }

        await writer.FlushAsync();
        return database;
    }

    /// <summary>Every row of <paramref name="measurement"/> (raw JSON, nanosecond times), for exact comparison.</summary>
    public async Task<string> RowsAsync(string database, string measurement)
    {
        var url = new Uri(_influx.Url, $"query?db={Uri.EscapeDataString(database)}&epoch=ns&q={Uri.EscapeDataString($"SELECT * FROM \"{measurement}\"")}");
        return await _http.GetStringAsync(url);
    }

    /// <summary>Asserts that the workers stored exactly what the single-machine replay stored, measurement by measurement.</summary>
    public async Task AssertSameAsReplayAsync(string replayDatabase)
    {
        foreach (var measurement in Measurements)
        {
            var expected = await RowsAsync(replayDatabase, measurement);
            var actual = await RowsAsync(Database, measurement);
            Assert.True(expected == actual, $"{measurement} differs from replay:\n{Difference(expected, actual)}\nworkers' log:\n{string.Join("\n", Log)}");
        }

        // Not vacuous: sessions, adherence and hundreds of seconds for the participants.
        var sessions = await RowsAsync(Database, "session");
        Assert.Contains("\"P001\"", sessions, StringComparison.Ordinal);
        Assert.Contains("\"P003\"", sessions, StringComparison.Ordinal);
        Assert.Contains("\"P002\"", await RowsAsync(Database, "motion"), StringComparison.Ordinal);
    }

    /// <summary>The times (Unix ns) of the replay's session rows of <paramref name="participant"/>: start and end_ns.</summary>
    public async Task<IReadOnlyList<(long StartNs, long EndNs)>> SessionsAsync(string database, string participant)
    {
        var query = new InfluxQueryClient(_http, new InfluxConnectionOptions { Url = _influx.Url, Database = database });
        var series = await query.QueryAsync("SELECT \"end_ns\" FROM \"session\" WHERE \"participant\" = $p", new Dictionary<string, object?> { ["p"] = participant });
        return [.. series.SelectMany(s => s.Rows).Select(r => (r.TimestampNs, r.GetInt64("end_ns")))];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }

        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }

        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        _http.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    // Which rows only one side has: the first few of each, and how many.
    private static string Difference(string expected, string actual)
    {
        static List<string> Rows(string json)
        {
            using var document = System.Text.Json.JsonDocument.Parse(json);
            var result = document.RootElement.GetProperty("results")[0];
            if (!result.TryGetProperty("series", out var series))
            {
                return [];
            }

            var columns = string.Join(",", series[0].GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
            return [.. series[0].GetProperty("values").EnumerateArray().Select(v => columns + "=" + v.GetRawText())];
        }

        var replay = Rows(expected);
        var workers = Rows(actual);
        var missing = replay.Except(workers).ToList();
        var extra = workers.Except(replay).ToList();
        return $"replay {replay.Count} rows, workers {workers.Count}; {missing.Count} only in replay, e.g.\n  {string.Join("\n  ", missing.Take(3))}\n{extra.Count} only in workers, e.g.\n  {string.Join("\n  ", extra.Take(3))}";
    }

    private string WriteRegistry()
    {
        var from = (Wearers.Min(w => w.Start) - TimeSpan.FromDays(2)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var participants = new StringBuilder();
        foreach (var (wearer, i) in Wearers.Select((w, i) => (w, i)))
        {
            participants.Append(i > 0 ? ",\n" : "").Append(CultureInfo.InvariantCulture, $$"""
                {
                  "id": "{{wearer.Participant}}", "arm": "exercise", "site": "{{wearer.Site}}",
                  "enrolment": { "start": "{{from}}" },
                  "timeZones": [ { "from": "{{from}}", "zone": "Europe/Oslo" } ],
                  "devices": [ { "address": "A0:9E:1A:00:00:{{wearer.Participant[^2..]}}", "profile": "polar-h10", "from": "{{from}}" } ],
                  "ageYears": 61, "maxHeartRateBpm": 158, "restingHeartRateBpm": 71,
                  "prescriptions": [ { "from": "{{from}}", "sessionsPerWeek": 2, "minutesPerSession": 45, "targetZone": "moderate",
                    "countingClasses": ["walking", "stepper", "cross_trainer", "rowing"] } ]
                }
                """);
        }

        var path = Path.Combine(Folder, "participants.json");
        File.WriteAllText(path, $$"""
            {
              "arms": ["exercise", "usual_care"],
              "sites": ["{{SiteA}}", "{{SiteB}}"],
              "participants": [
            {{participants}}
              ]
            }
            """);
        return path;
    }
}
