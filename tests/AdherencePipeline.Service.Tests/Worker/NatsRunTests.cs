using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using AdherencePipeline.Nats;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary>
/// The distributed mode as an operator runs it: real <c>adherence gateway --replay</c> and
/// <c>adherence run --source nats</c> processes, a three-node cluster and influxd. One worker is
/// SIGKILLed mid-session; the other takes its participant over and InfluxDB ends up holding exactly what
/// <c>adherence replay</c> of the same recordings stores.
/// </summary>
public sealed class NatsRunTests : IClassFixture<InfluxServerFixture>, IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 3, 4, 17, 0, 0, TimeSpan.Zero);
    private static readonly string[] Measurements = ["motion", "heart_rate", "gap", "activity", "bout", "session", "adherence"];
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(150);
    private readonly InfluxServer _influx;
    private readonly string _folder = Directory.CreateTempSubdirectory("nats-run-").FullName;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly List<Process> _processes = [];
    private NatsCluster? _cluster;

    public NatsRunTests(InfluxServerFixture fixture) => _influx = fixture.Server;

    private NatsCluster Cluster => _cluster!;

    public async Task InitializeAsync() => _cluster = await NatsCluster.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.Dispose();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task RunSourceNats_WorkerSigkilledMidSession_TheOtherTakesOverAndStoresWhatReplayStores()
    {
        (string Site, string Participant, DateTimeOffset Start)[] wearers = [("oslo", "P001", Start), ("bergen", "P002", Start.AddDays(1))];
        var registry = WriteRegistry(wearers);
        var expected = await ReplayAsync(registry, wearers);
        var database = InfluxServer.NewDatabaseName("nats_run");
        await ProvisionAsync();

        var workers = new[] { StartWorker("worker-1", registry, database), StartWorker("worker-2", registry, database) };
        await using var connection = new NatsConnection(new NatsClientOptions { Url = Cluster.Url, Name = "observer" }.ToNatsOpts());
        var jetStream = new NatsJSContext(connection);
        await WaitAsync(async () => await OwnersAsync(jetStream, wearers) is [{ } a, { } b] && a != b, "each worker to hold one participant");

        var gateways = wearers.Select(w => Launch("gateway-" + w.Site, ["gateway", "--replay", Demo, "--participant", w.Participant, "--site", w.Site, "--speed", "40",
            "--start", w.Start.ToString("O", CultureInfo.InvariantCulture), "--nats-url", Cluster.Url], ("Nats__Publisher__SpoolDirectory", Path.Combine(_folder, "spool-" + w.Site)))).ToList();
        // Mid-session: about half of P001's 2,067 frames acknowledged (the replay's session spans the middle).
        await WaitAsync(async () => await AcknowledgedAsync(jetStream, wearers[0]) >= 1_000, "half of P001's frames");
        var victimName = (await OwnersAsync(jetStream, wearers))[0];
        var victim = workers.Single(w => w.Name == victimName).Process;
        victim.Kill();
        await victim.WaitForExitAsync();

        foreach (var gateway in gateways)
        {
            await gateway.Process.WaitForExitAsync().WaitAsync(Patience);
            Assert.True(gateway.Process.ExitCode == 0, Log());
        }

        // The survivor rebuilds the open session from the restart point, goes on, and closes it after IdleClose.
        await WaitAsync(async () => await SameAsync(expected, database), "the workers' points to equal the replay's");
        var survivor = workers.Single(w => w.Name != victimName).Process;
        using (var term = Process.Start("kill", ["-TERM", survivor.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        await survivor.WaitForExitAsync().WaitAsync(Patience);
        Assert.True(survivor.ExitCode == 0, Log());
        Assert.Contains(_log, l => l.Contains("taken over; the open wear period rebuilt", StringComparison.Ordinal) && l.Contains("oslo.P001", StringComparison.Ordinal));
        var sessions = await RowsAsync(database, "session");
        Assert.Contains("\"P001\"", sessions, StringComparison.Ordinal);
        Assert.Contains("\"P002\"", sessions, StringComparison.Ordinal);
    }

    private static string Demo => Path.Combine(RepositoryRoot.Path, "data", "demo", "hexoskin-subject001-excerpt.acc.csv.gz");

    private (string Name, Process Process) StartWorker(string name, string registry, string database) => (name, Launch(name, ["run", "--source", "nats"],
        ("Nats__Url", Cluster.Url),
        ("Nats__Worker__Name", name),
        ("Nats__Worker__IdleClose", "00:00:05"),
        ("Nats__Leases__Ttl", "00:00:04"),
        ("Nats__Consumer__AckWait", "00:00:02"),
        ("Nats__Consumer__PullExpires", "00:00:01"),
        ("Participants__Registry", registry),
        ("Influx__Url", _influx.Url.ToString()),
        ("Influx__Database", database),
        ("Influx__CreateDatabase", "true"),
        ("Influx__Writer__SpoolDirectory", Path.Combine(_folder, "influx-spool-" + name)),
        ("Archive__Directory", Path.Combine(_folder, "archive-" + name)),
        // Two workers on one machine: each needs a monitoring port of its own.
        ("Monitoring__Urls", "http://127.0.0.1:0"),
        ("Influx__Writer__FlushInterval", "00:00:00.200"),
        ("Worker__StopTimeout", "00:00:20")).Process);

    private (string Name, Process Process) Launch(string name, string[] args, params (string Key, string Value)[] settings)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        info.ArgumentList.Add(Path.Combine(RepositoryRoot.Path, "src", "AdherencePipeline.Service", "bin", framework.Parent!.Name, framework.Name, "adherence.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (key, value) in settings)
        {
            info.Environment["ADHERENCE_" + key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        process.OutputDataReceived += (_, e) => _log.Enqueue($"{name}: {e.Data}");
        process.ErrorDataReceived += (_, e) => _log.Enqueue($"{name}: {e.Data}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return (name, process);
    }

    private async Task ProvisionAsync()
    {
        await using var connection = new NatsConnection(new NatsClientOptions { Url = Cluster.Url, Name = "provision" }.ToNatsOpts());
        var jetStream = new NatsJSContext(connection);
        await WaitAsync(async () =>
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
        }, "the stream to be created");
    }

    private static async Task<string?[]> OwnersAsync(NatsJSContext jetStream, (string Site, string Participant, DateTimeOffset Start)[] wearers)
    {
        var owners = new string?[wearers.Length];
        try
        {
            var store = await new NatsKVContext(jetStream).GetStoreAsync(new ParticipantLeaseOptions().Bucket);
            for (var i = 0; i < wearers.Length; i++)
            {
                try
                {
                    var entry = await store.GetEntryAsync<string>($"{wearers[i].Site}.{wearers[i].Participant}");
                    owners[i] = entry.Value;
                }
                catch (NatsKVException)
                {
                    // Not held.
                }
            }
        }
        catch (NatsException)
        {
            // The bucket is not there yet.
        }

        return owners;
    }

    private static async Task<ulong> AcknowledgedAsync(NatsJSContext jetStream, (string Site, string Participant, DateTimeOffset Start) wearer)
    {
        try
        {
            return (await jetStream.GetConsumerAsync(new FrameStreamOptions().Name, FrameSubjects.ConsumerName(wearer.Site, wearer.Participant))).Info.AckFloor.ConsumerSeq;
        }
        catch (NatsException)
        {
            // Not there yet, or the cluster is busy electing the consumer's leader: asked again.
            return 0;
        }
    }

    private async Task<bool> SameAsync(string expected, string database)
    {
        foreach (var measurement in Measurements)
        {
            if (await RowsAsync(expected, measurement) != await RowsAsync(database, measurement))
            {
                return false;
            }
        }

        return true;
    }

    private async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > Patience)
            {
                throw new TimeoutException($"Waited {Patience.TotalSeconds:0} s for {what}.\n{Log()}");
            }

            await Task.Delay(200);
        }
    }

    private string Log() => string.Join(Environment.NewLine, _log.TakeLast(200));

    private async Task<string> RowsAsync(string database, string measurement)
    {
        using var http = new HttpClient();
        var url = new Uri(_influx.Url, $"query?db={Uri.EscapeDataString(database)}&epoch=ns&q={Uri.EscapeDataString($"SELECT * FROM \"{measurement}\"")}");
        return await http.GetStringAsync(url);
    }

    private async Task<string> ReplayAsync(string registryPath, (string Site, string Participant, DateTimeOffset Start)[] wearers)
    {
        var registry = Adherence.ParticipantRegistryLoader.Load(registryPath);
        var database = InfluxServer.NewDatabaseName("replay");
        using var http = new HttpClient();
        var connection = new InfluxConnectionOptions { Url = _influx.Url, Database = database, CreateDatabase = true };
        await using var writer = new InfluxLineWriter(new InfluxV1WriteEndpoint(http, connection), new InfluxWriterOptions { SpoolDirectory = Path.Combine(_folder, "spool-replay") });
        foreach (var wearer in wearers)
        {
            var replay = new RecordingReplay(RecordingReader.Open(Demo)[0], new ReplayOptions
            {
                Participant = wearer.Participant,
                Profile = WorkerBench.PolarH10,
                Start = wearer.Start,
                Model = Activity.ActivityModel.Load(Path.Combine(RepositoryRoot.Path, "data", "models", "activity.zip")),
                Registration = registry.Get(wearer.Participant),
            });
            await replay.RunAsync(events => events.Store(writer));
        }

        await writer.FlushAsync();
        return database;
    }

    private string WriteRegistry((string Site, string Participant, DateTimeOffset Start)[] wearers)
    {
        var from = Start.AddDays(-2).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var participants = string.Join(",\n", wearers.Select(w => $$"""
            {
              "id": "{{w.Participant}}", "arm": "exercise", "site": "{{w.Site}}",
              "enrolment": { "start": "{{from}}" },
              "timeZones": [ { "from": "{{from}}", "zone": "Europe/Oslo" } ],
              "devices": [ { "address": "A0:9E:1A:00:00:{{w.Participant[^2..]}}", "profile": "polar-h10", "from": "{{from}}" } ],
              "ageYears": 61, "maxHeartRateBpm": 158, "restingHeartRateBpm": 71,
              "prescriptions": [ { "from": "{{from}}", "sessionsPerWeek": 2, "minutesPerSession": 45, "targetZone": "moderate",
                "countingClasses": ["walking", "stepper", "cross_trainer", "rowing"] } ]
            }
            """));
        var path = Path.Combine(_folder, "participants.json");
        File.WriteAllText(path, $$"""
            {
              "arms": ["exercise", "usual_care"],
              "sites": [{{string.Join(", ", wearers.Select(w => $"\"{w.Site}\""))}}],
              "participants": [
            {{participants}}
              ]
            }
            """);
        return path;
    }
}
