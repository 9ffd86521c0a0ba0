using System.Globalization;
using AdherencePipeline.BlueZ;
using AdherencePipeline.Sensors;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;
using Microsoft.Extensions.Configuration;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary>What the worker tests share: a real dbus-daemon with the BlueZ-shaped service, a temp folder, the repository's files.</summary>
internal sealed class WorkerBench : IAsyncDisposable
{
    public const string Strap = "A0:9E:1A:00:00:02";
    public const string Stranger = "A0:9E:1A:99:99:99";

    private WorkerBench(DBusDaemon daemon, FakeBlueZ bluez, string folder)
    {
        Daemon = daemon;
        BlueZ = bluez;
        Folder = folder;
    }

    public DBusDaemon Daemon { get; }

    public FakeBlueZ BlueZ { get; }

    public string Folder { get; }

    public static string Repository { get; } = RepositoryRoot.Path;

    public static string DemoRecording => Path.Combine(Repository, "data", "demo", "hexoskin-subject001-excerpt.acc.csv.gz");

    public static FirmwareProfile PolarH10 { get; } = FirmwareProfileLoader.Load(Path.Combine(Repository, "firmware-profiles", "polar-h10.json"));

    public static async Task<WorkerBench> StartAsync()
    {
        var daemon = await DBusDaemon.StartAsync();
        var bluez = await FakeBlueZ.StartAsync(daemon.Address);
        return new WorkerBench(daemon, bluez, Directory.CreateTempSubdirectory("worker-").FullName);
    }

    public async ValueTask DisposeAsync()
    {
        BlueZ.Dispose();
        await Daemon.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }

    /// <summary>A Polar H10 as BlueZ shows it, with a battery level of 87 %.</summary>
    public void AddPolar(string address, short rssi = -58) =>
        BlueZ.AddDevice(address, "Polar H10 " + address[^5..].Replace(":", "", StringComparison.Ordinal), rssi, [GattUuid.HeartRateService, GattUuid.PmdService],
            new FakeCharacteristic(GattUuid.HeartRateService, GattUuid.HeartRateMeasurement, ["notify"]),
            new FakeCharacteristic(GattUuid.PmdService, GattUuid.PmdControlPoint, ["read", "write", "indicate"]),
            new FakeCharacteristic(GattUuid.PmdService, GattUuid.PmdData, ["notify"]),
            new FakeCharacteristic(GattUuid.FromShort(0x180F), GattUuid.FromShort(0x2A19), ["read", "notify"], [87]));

    /// <summary>A registry with P002 (as in the example registry) wearing <see cref="Strap"/> from <paramref name="from"/> (to <paramref name="to"/>).</summary>
    /// <summary>Where the service run against <paramref name="database"/> keeps its raw archive.</summary>
    public string ArchiveDirectory(string database) => Path.Combine(Folder, "archive-" + database);

    public string Registry(DateOnly from, DateOnly? to = null)
    {
        var until = to is { } end ? $", \"to\": \"{end.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}\"" : "";
        var path = Path.Combine(Folder, "participants.json");
        var date = from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        File.WriteAllText(path, $$"""
            {
              "arms": ["exercise", "usual_care"],
              "sites": ["oslo", "bergen"],
              "participants": [
                {
                  "id": "P002", "arm": "exercise", "site": "bergen",
                  "enrolment": { "start": "{{date}}" },
                  "timeZones": [ { "from": "{{date}}", "zone": "Europe/Oslo" } ],
                  "devices": [ { "address": "{{Strap}}", "profile": "polar-h10", "from": "{{date}}"{{until}} } ],
                  "ageYears": 61, "maxHeartRateBpm": 158, "restingHeartRateBpm": 71,
                  "prescriptions": [ { "from": "{{date}}", "sessionsPerWeek": 2, "minutesPerSession": 45, "targetZone": "moderate",
                    "countingClasses": ["walking", "stepper", "cross_trainer", "rowing"] } ]
                }
              ]
            }
            """);
        return path;
    }

    /// <summary>The service's settings for this bench, with <paramref name="overrides"/> on top.</summary>
    public Dictionary<string, string?> Settings(Uri influx, string database, string registry, params (string Key, string? Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Ble:BusAddress"] = Daemon.Address,
            ["Ble:ReconnectInitialDelay"] = "00:00:01",
            ["Ble:ReconnectMaxDelay"] = "00:00:04",
            ["Ble:StopTimeout"] = "00:00:05",
            ["Influx:Url"] = influx.ToString(),
            ["Influx:Database"] = database,
            ["Influx:CreateDatabase"] = "true",
            ["Influx:Writer:SpoolDirectory"] = Path.Combine(Folder, "spool-" + database),
            ["Influx:Writer:FlushInterval"] = "00:00:00.200",
            ["Participants:Registry"] = registry,
            ["Sensors:ProfilesDirectory"] = Path.Combine(Repository, "firmware-profiles"),
            ["Activity:ModelPath"] = Path.Combine(Repository, "data", "models", "activity.zip"),
            ["Worker:StatusInterval"] = "00:01:00",
            // A free port for /healthz, /readyz and /metrics, so hosts in parallel tests never collide.
            ["Monitoring:Urls"] = "http://127.0.0.1:0",
            ["Worker:StateDirectory"] = Path.Combine(Folder, "state-" + database),
            ["Archive:Directory"] = ArchiveDirectory(database),
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    public static IConfigurationRoot Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    /// <summary>Completes once the transport has received <paramref name="count"/> frames of the device (the fake sends asynchronously).</summary>
    public static async Task WaitForFramesAsync(BlueZTransport transport, string address, long count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (transport.GetStatus().Single(s => s.DeviceAddress == address).FramesReceived < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The transport received {transport.GetStatus().Single(s => s.DeviceAddress == address).FramesReceived} of {count} frames.");
            }

            await Task.Yield();
        }
    }

    /// <summary>Every row of <paramref name="measurement"/> as InfluxDB returns it (raw JSON), for exact comparison.</summary>
    public static async Task<string> RowsAsync(Uri influx, string database, string measurement)
    {
        using var http = new HttpClient();
        var url = new Uri(influx, $"query?db={Uri.EscapeDataString(database)}&epoch=ns&q={Uri.EscapeDataString($"SELECT * FROM \"{measurement}\"")}");
        return await http.GetStringAsync(url);
    }

    public static InfluxQueryClient Query(HttpClient http, Uri influx, string database) =>
        new(http, new InfluxConnectionOptions { Url = influx, Database = database });

    /// <summary>Writes <paramref name="settings"/> as the nested JSON file an operator would write; returns its path.</summary>
    public string ConfigFile(Dictionary<string, string?> settings) => ConfigFile(Folder, settings);

    /// <summary>Writes <paramref name="settings"/> as the nested JSON file an operator would write, in <paramref name="folder"/>; returns its path.</summary>
    public static string ConfigFile(string folder, Dictionary<string, string?> settings)
    {
        var root = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in settings)
        {
            var parts = key.Split(':');
            var node = root;
            foreach (var part in parts[..^1])
            {
                if (!node.TryGetValue(part, out var child) || child is not Dictionary<string, object?> dictionary)
                {
                    dictionary = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                    node[part] = dictionary;
                }

                node = dictionary;
            }

            node[parts[^1]] = value;
        }

        var path = Path.Combine(folder, $"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(root));
        return path;
    }

    /// <summary>Starts the real <c>adherence</c> executable with <paramref name="args"/>, collecting its output lines in <see cref="ServiceProcess.Log"/>.</summary>
    public static ServiceProcess StartService(params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // The service's own output folder: the test folder's copy resolves its dependencies against the test's deps file.
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        info.ArgumentList.Add(Path.Combine(Repository, "src", "AdherencePipeline.Service", "bin", framework.Parent!.Name, framework.Name, "adherence.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return new ServiceProcess(System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start."));
    }

    /// <summary>A running <c>adherence</c> process and what it printed.</summary>
    internal sealed class ServiceProcess : IDisposable
    {
        public ServiceProcess(System.Diagnostics.Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => Log.Enqueue(e.Data ?? "");
            process.ErrorDataReceived += (_, e) => Log.Enqueue(e.Data ?? "");
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public System.Diagnostics.Process Process { get; }

        public System.Collections.Concurrent.ConcurrentQueue<string> Log { get; } = new();

        public string Output => string.Join(Environment.NewLine, Log);

        public bool Logged(string text) => Log.Any(l => l.Contains(text, StringComparison.Ordinal));

        /// <summary>Sends <paramref name="signal"/> (e.g. <c>KILL</c>, <c>TERM</c>) with kill(1), as an operator or systemd would.</summary>
        public async Task SignalAsync(string signal)
        {
            using var kill = System.Diagnostics.Process.Start("kill", ["-" + signal, Process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        /// <summary>Waits for the exit, at most <paramref name="timeout"/>; returns the exit code.</summary>
        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await Process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The service did not exit within {timeout.TotalSeconds:0} s:{Environment.NewLine}{Output}");
            }

            return Process.ExitCode;
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill();
                Process.WaitForExit();
            }

            Process.Dispose();
        }
    }
}
