using System.Collections.Concurrent;
using System.Globalization;
using AdherencePipeline.BlueZ;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Sensors;
using AdherencePipeline.Service.Worker;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary>
/// The service's host with a misbehaving device beside a good one, and a damaged model swapped in while it
/// runs; a real dbus-daemon with the BlueZ-shaped service and a real influxd, on a fake clock.
/// </summary>
public sealed class WorkerFaultTests : WorkerBenchTests
{
    private const string Bad = "A0:9E:1A:00:00:03";
    private const int Garbage = 2000;
    private static readonly DateTimeOffset Start = new(2026, 3, 4, 17, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Length = TimeSpan.FromSeconds(240);
    private static readonly string[] Measurements = ["motion", "heart_rate", "gap", "activity", "bout", "session", "adherence"];
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public WorkerFaultTests(InfluxServerFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
        : base(fixture) => _output = output;

    [Fact]
    public async Task Run_DeviceSendsGarbageFloodsTenfoldAndItsClockJumpsBack_CountsItAndLeavesTheOtherParticipantsPointsAsWithoutIt()
    {
        Bench.AddPolar(WorkerBench.Strap);
        Bench.AddPolar(Bad);
        var good = Plan(WorkerBench.Strap, Notifications(VirtualWearableOptions()), 1);
        var baseline = InfluxServer.NewDatabaseName("clean");
        var faulty = InfluxServer.NewDatabaseName("faulty");
        await RunAsync(baseline, good, (_, _, _) => Task.CompletedTask);

        // The bad strap: a burst of undecodable bytes, then every notification ten times over, and halfway
        // its clock starts again an hour earlier (as after a power cycle with a reset clock).
        var garbage = UndecodableGarbage();
        var normal = Notifications(VirtualWearableOptions());
        var reset = Notifications(VirtualWearableOptions() with { SensorClockStartNs = VirtualWearableOptions().SensorClockStartNs - 3_600_000_000_000 });
        var half = Length / 2;
        var bad = Plan(Bad, [.. normal.Where(n => n.Offset < half), .. reset.Where(n => n.Offset >= half)], 10);
        BleDeviceStatus? afterGarbage = null;
        (long DecodeFaults, long ClockResets) faultsAfterGarbage = default;
        var (transport, counters) = await RunAsync(faulty, [.. good, .. bad], async (time, transport, counters) =>
        {
            foreach (var (characteristic, payload) in garbage)
            {
                Bench.BlueZ.Notify(Bad, characteristic, payload);
            }

            await WorkerBench.WaitForFramesAsync(transport, Bad, Garbage);
            await Eventually.TrueAsync(() => Status(transport, Bad).Queued == 0, TimeSpan.FromSeconds(30), "the garbage to be processed");
            afterGarbage = Status(transport, Bad);
            faultsAfterGarbage = counters.Get(Bad);
        });

        foreach (var s in transport.GetStatus())
        {
            _output.WriteLine($"{s.DeviceAddress}: {s.FramesReceived} frames, {s.FramesDropped} dropped, queue peak {s.QueuedPeak} of a share of {transport.DeviceShare}, faults {counters.Get(s.DeviceAddress)}");
        }

        // Bounded memory: neither device ever held more than its share of the queue; a drop is counted, never silent.
        foreach (var device in new[] { WorkerBench.Strap, Bad })
        {
            Assert.InRange(Status(transport, device).QueuedPeak, 1, transport.DeviceShare);
        }

        Assert.Equal(transport.FramesDropped, Status(transport, Bad).FramesDropped);
        Assert.Equal(0, Status(transport, WorkerBench.Strap).FramesDropped);
        // Every garbage frame that was not dropped was decoded and counted as a fault.
        Assert.NotNull(afterGarbage);
        Assert.Equal(Garbage, afterGarbage.FramesReceived);
        Assert.Equal(Garbage - afterGarbage.FramesDropped, faultsAfterGarbage.DecodeFaults);
        Assert.Equal(Garbage + bad.Count, Status(transport, Bad).FramesReceived);
        Assert.True(counters.Get(Bad).ClockResets >= 1, "the clock jump was not seen");
        Assert.Equal((0L, 0L), counters.Get(WorkerBench.Strap));

        using var http = new HttpClient();
        var query = WorkerBench.Query(http, Server.Url, faulty);
        var status = Assert.Single(Assert.Single(await query.QueryAsync($"SELECT LAST(\"decode_faults\") AS faults, LAST(\"clock_resets\") AS resets, LAST(\"frames_dropped\") AS dropped, LAST(\"frames\") AS frames FROM \"device_status\" WHERE \"device\" = '{Bad}'")).Rows);
        Assert.Equal((counters.Get(Bad).DecodeFaults, counters.Get(Bad).ClockResets, Status(transport, Bad).FramesDropped, (long)Garbage + bad.Count),
            (status.GetInt64("faults"), status.GetInt64("resets"), status.GetInt64("dropped"), status.GetInt64("frames")));
        Assert.NotEmpty(Assert.Single(await query.QueryAsync("SELECT \"duration_s\" FROM \"gap\" WHERE \"participant\" = 'P003' AND \"reason\" = 'clock_reset'")).Rows);

        // The good participant's points are exactly those of the run without the bad strap.
        foreach (var measurement in Measurements)
        {
            var expected = await RowsAsync(baseline, measurement);
            var actual = await RowsAsync(faulty, measurement);
            Assert.True(expected == actual, $"P002's {measurement} differs:\nclean  {Shorten(expected)}\nfaulty {Shorten(actual)}");
        }

        Assert.Contains("\"motion\"", await RowsAsync(faulty, "motion"), StringComparison.Ordinal);
        Assert.Contains("\"activity\"", await RowsAsync(faulty, "activity"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_DamagedModelCopiedOverTheWatchedFile_IsRefusedByNameAndClassificationGoesOnWithTheOldModel()
    {
        Bench.AddPolar(WorkerBench.Strap);
        Bench.AddPolar(Bad);
        var models = Directory.CreateDirectory(Path.Combine(Bench.Folder, "models")).FullName;
        var model = Path.Combine(models, "activity.zip");
        File.Copy(Path.Combine(WorkerBench.Repository, "data", "models", "activity.zip"), model);
        File.Copy(Path.Combine(WorkerBench.Repository, "data", "models", "activity.card.json"), Path.Combine(models, "activity.card.json"));
        var version = Activity.ActivityModel.Load(model).Version;
        var database = InfluxServer.NewDatabaseName("swap");
        var log = new ConcurrentQueue<string>();
        var plan = Plan(WorkerBench.Strap, Notifications(VirtualWearableOptions()), 1);
        var swapAt = Start + Length / 2;

        await RunAsync(database, plan, (_, _, _) => Task.CompletedTask, log, ("Activity:ModelPath", model), async (time, step) =>
        {
            if (step == swapAt)
            {
                // Truncated, as a copy interrupted half-way would leave it.
                var bytes = await File.ReadAllBytesAsync(model);
                await File.WriteAllBytesAsync(model, bytes[..(bytes.Length / 2)]);
                await Eventually.TrueAsync(() => log.Any(l => l.Contains("cannot be used", StringComparison.Ordinal)), TimeSpan.FromSeconds(20), "the refusal");
            }
        });

        var refusal = log.First(l => l.Contains("cannot be used", StringComparison.Ordinal));
        Assert.Contains(model, refusal, StringComparison.Ordinal);
        Assert.Contains($"version {version} stays in use", refusal, StringComparison.Ordinal);
        using var http = new HttpClient();
        var query = WorkerBench.Query(http, Server.Url, database);
        var versions = await query.QueryAsync("SELECT COUNT(\"activity\") AS n FROM \"activity\" GROUP BY \"model_version\"");
        Assert.Equal([version], versions.Select(s => s.Tags["model_version"]));
        var afterSwap = await query.QueryAsync($"SELECT COUNT(\"activity\") AS n FROM \"activity\" WHERE time > {Point.ToTimestampNs(swapAt)}");
        Assert.True(Assert.Single(Assert.Single(afterSwap).Rows).GetInt64("n") > 40, "classification stopped after the swap");
    }

    private static VirtualWearableOptions VirtualWearableOptions() => new();

    private static BleDeviceStatus Status(BlueZTransport transport, string address) => transport.GetStatus().Single(s => s.DeviceAddress == address);

    private static IReadOnlyList<ScheduledNotification> Notifications(VirtualWearableOptions options)
    {
        var replay = new RecordingReplay(RecordingReader.Open(WorkerBench.DemoRecording)[0], new ReplayOptions { Participant = "P002", Profile = WorkerBench.PolarH10, Start = Start });
        return [.. new VirtualWearable(WorkerBench.PolarH10, replay.SensorRecording, options).Notifications.Where(n => n.Offset < Length)];
    }

    private static List<(DateTimeOffset Due, string Address, ScheduledNotification Notification)> Plan(string address, IEnumerable<ScheduledNotification> notifications, int times) =>
        [.. notifications.SelectMany(n => Enumerable.Repeat((Start + n.Offset, address, n), times))];

    /// <summary>Seeded random bytes on the heart-rate and PMD data characteristics, each one the strap's own decoder refuses.</summary>
    private static List<(Guid Characteristic, byte[] Payload)> UndecodableGarbage()
    {
        var random = new Random(20260304);
        var garbage = new List<(Guid, byte[])>(Garbage);
        while (garbage.Count < Garbage)
        {
            var characteristic = random.Next(2) == 0 ? GattUuid.HeartRateMeasurement : GattUuid.PmdData;
            var payload = new byte[random.Next(0, 40)];
            random.NextBytes(payload);
            using var decoder = new SensorDecoder(WorkerBench.PolarH10);
            if (!decoder.Decode(characteristic, payload, 0).IsSuccess)
            {
                garbage.Add((characteristic, payload));
            }
        }

        return garbage;
    }

    /// <summary>
    /// Runs the host on a fake clock with P002 on the good strap and P003 on <see cref="Bad"/>; sends the
    /// planned notifications at their due times, calls <paramref name="first"/> once both straps stream.
    /// </summary>
    private async Task<(BlueZTransport Transport, DeviceFaultCounters Counters)> RunAsync(
        string database,
        List<(DateTimeOffset Due, string Address, ScheduledNotification Notification)> plan,
        Func<FakeTimeProvider, BlueZTransport, DeviceFaultCounters, Task> first,
        ConcurrentQueue<string>? log = null,
        (string Key, string? Value)? setting = null,
        Func<FakeTimeProvider, DateTimeOffset, Task>? atStep = null)
    {
        var time = new FakeTimeProvider(Start - TimeSpan.FromSeconds(5));
        var overrides = new List<(string, string?)> { ("Ble:FrameChannelCapacity", "256") };
        if (setting is { } s)
        {
            overrides.Add(s);
        }

        var configuration = WorkerBench.Configuration(Bench.Settings(Server.Url, database, Registry(), [.. overrides]));
        var setup = WorkerSetup.Check(configuration, time.GetUtcNow(), out var problems);
        Assert.True(setup is not null, string.Join(Environment.NewLine, problems));
        using var host = WorkerHost.Build(configuration, setup, time, logging: b => b.AddProvider(new QueueLoggerProvider(log ?? new ConcurrentQueue<string>())));
        await host.StartAsync();
        var transport = host.Services.GetRequiredService<BlueZTransport>();
        var counters = host.Services.GetRequiredService<DeviceFaultCounters>();
        await Eventually.TrueAsync(() => Status(transport, WorkerBench.Strap).Connected && Status(transport, Bad).Connected, TimeSpan.FromSeconds(10), "both straps' connections");
        await first(time, transport, counters);
        var expected = transport.GetStatus().ToDictionary(s => s.DeviceAddress, s => s.FramesReceived, StringComparer.Ordinal);
        foreach (var step in plan.OrderBy(p => p.Due).GroupBy(p => p.Due))
        {
            if (step.Key > time.GetUtcNow())
            {
                time.SetUtcNow(step.Key);
            }

            if (atStep is not null)
            {
                await atStep(time, step.Key);
            }

            foreach (var (_, address, n) in step)
            {
                Bench.BlueZ.Notify(address, n.Characteristic, n.Payload);
                expected[address]++;
            }

            foreach (var (address, count) in expected)
            {
                await WorkerBench.WaitForFramesAsync(transport, address, count);
            }

            // The good strap's frames are processed before it sends again, as a real strap's come seconds apart.
            await Eventually.TrueAsync(() => Status(transport, WorkerBench.Strap).Queued == 0, TimeSpan.FromSeconds(10), "the good strap's frames to be processed");
        }

        await host.StopAsync();
        return (transport, counters);
    }

    private string Registry()
    {
        var path = Path.Combine(Bench.Folder, "participants-two.json");
        var date = DateOnly.FromDateTime(Start.UtcDateTime.AddDays(-2)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        File.WriteAllText(path, $$"""
            {
              "arms": ["exercise", "usual_care"],
              "sites": ["oslo", "bergen"],
              "participants": [
                {
                  "id": "P002", "arm": "exercise", "site": "bergen",
                  "enrolment": { "start": "{{date}}" },
                  "timeZones": [ { "from": "{{date}}", "zone": "Europe/Oslo" } ],
                  "devices": [ { "address": "{{WorkerBench.Strap}}", "profile": "polar-h10", "from": "{{date}}" } ],
                  "ageYears": 61, "maxHeartRateBpm": 158, "restingHeartRateBpm": 71,
                  "prescriptions": [ { "from": "{{date}}", "sessionsPerWeek": 2, "minutesPerSession": 45, "targetZone": "moderate",
                    "countingClasses": ["walking", "stepper", "cross_trainer", "rowing"] } ]
                },
                {
                  "id": "P003", "arm": "exercise", "site": "oslo",
                  "enrolment": { "start": "{{date}}" },
                  "timeZones": [ { "from": "{{date}}", "zone": "Europe/Oslo" } ],
                  "devices": [ { "address": "{{Bad}}", "profile": "polar-h10", "from": "{{date}}" } ],
                  "ageYears": 45, "maxHeartRateBpm": 175, "restingHeartRateBpm": 60,
                  "prescriptions": [ { "from": "{{date}}", "sessionsPerWeek": 3, "minutesPerSession": 30, "targetZone": "moderate",
                    "countingClasses": ["walking"] } ]
                }
              ]
            }
            """);
        return path;
    }

    /// <summary>P002's rows of <paramref name="measurement"/> as InfluxDB returns them (raw JSON), for exact comparison.</summary>
    private async Task<string> RowsAsync(string database, string measurement)
    {
        using var http = new HttpClient();
        var q = $"SELECT * FROM \"{measurement}\" WHERE \"participant\" = 'P002'";
        return await http.GetStringAsync(new Uri(Server.Url, $"query?db={Uri.EscapeDataString(database)}&epoch=ns&q={Uri.EscapeDataString(q)}"));
    }

    private static string Shorten(string json) => json.Length > 600 ? json[..600] + "…" : json;
}
