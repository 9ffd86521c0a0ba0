using System.Reactive.Linq;
using AdherencePipeline.BlueZ;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Sensors;
using AdherencePipeline.Service.Worker;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary>
/// <c>adherence run</c>'s host against a real dbus-daemon with a BlueZ-shaped service whose Polar H10
/// sends the virtual wearable's notifications of the demo recording, and a real influxd. Time is a
/// <see cref="FakeTimeProvider"/> set to each notification's due time, so frames arrive when the recording says.
/// </summary>
public sealed class AdherenceWorkerTests(InfluxServerFixture fixture) : WorkerBenchTests(fixture)
{
    private static readonly DateTimeOffset Start = new(2026, 3, 4, 17, 0, 0, TimeSpan.Zero);
    private static readonly string[] Measurements = ["motion", "heart_rate", "gap", "activity", "bout", "session", "adherence"];

    [Fact]
    public async Task Run_DemoRecordingThroughTheStrap_StoresExactlyWhatReplayStores()
    {
        Bench.AddPolar(WorkerBench.Strap);
        var replayDatabase = InfluxServer.NewDatabaseName("replay");
        var recording = await ReplayAsync(replayDatabase);
        var database = InfluxServer.NewDatabaseName("worker");
        var notifications = new VirtualWearable(WorkerBench.PolarH10, recording.SensorRecording).Notifications;

        var (sent, status) = await RunAsync(database, Start, async (time, transport) => await StreamAsync(time, transport, notifications, 0, notifications.Count));

        Assert.Equal(notifications.Count, sent);
        foreach (var measurement in Measurements)
        {
            var expected = await WorkerBench.RowsAsync(Server.Url, replayDatabase, measurement);
            var actual = await WorkerBench.RowsAsync(Server.Url, database, measurement);
            Assert.True(expected == actual, $"{measurement} differs from replay:\nreplay {Shorten(expected)}\nworker {Shorten(actual)}");
        }

        // Not vacuous: the replay stored a session, its week's adherence, and hundreds of seconds.
        Assert.Contains("\"session\"", await WorkerBench.RowsAsync(Server.Url, database, "session"), StringComparison.Ordinal);
        Assert.Contains("2026-W10", await WorkerBench.RowsAsync(Server.Url, database, "adherence"), StringComparison.Ordinal);
        Assert.Equal((false, (short?)-58, (byte?)87, (long)notifications.Count, 1, 0L), (status.Connected, status.RssiDbm, status.BatteryPercent, status.FramesReceived, status.Connections, status.FramesDropped));
        using var http = new HttpClient();
        var motion = await WorkerBench.Query(http, Server.Url, database).QueryAsync("SELECT COUNT(\"samples\") AS n FROM \"motion\"");
        Assert.InRange(Assert.Single(Assert.Single(motion).Rows).GetInt64("n"), 860, 870);
        var stored = await WorkerBench.Query(http, Server.Url, database).QueryAsync(
            "SELECT LAST(\"frames\") AS frames, LAST(\"connected\") AS connected, LAST(\"battery_pct\") AS battery, MAX(\"connections\") AS connections FROM \"device_status\" WHERE \"device\" = 'A0:9E:1A:00:00:02' AND \"participant\" = 'P002'");
        var row = Assert.Single(Assert.Single(stored).Rows);
        Assert.Equal((notifications.Count, false, 87L, 1L), (row.GetInt64("frames"), row.GetBoolean("connected"), row.GetInt64("battery"), row.GetInt64("connections")));

        // The service archived the raw stream on the way: re-scoring that archive with the same model
        // stores exactly what the service stored live.
        var rescored = InfluxServer.NewDatabaseName("rescored");
        var registry = Bench.Registry(DateOnly.FromDateTime(Start.UtcDateTime.AddDays(-2)));
        var config = Bench.ConfigFile(Bench.Settings(Server.Url, rescored, registry));
        var (exit, output, error) = await Commands.CliRunner.RunAsync("rescore", "--config", config, "--model", Path.Combine(WorkerBench.Repository, "data", "models", "activity.zip"),
            "--participant", "P002", "--archive", Bench.ArchiveDirectory(database), "--registry", registry, "--url", Server.Url.ToString(), "--database", rescored, "--create-database");
        Assert.True(exit == 0, output + error);
        foreach (var measurement in Measurements)
        {
            var live = await WorkerBench.RowsAsync(Server.Url, database, measurement);
            var again = await WorkerBench.RowsAsync(Server.Url, rescored, measurement);
            Assert.True(live == again, $"{measurement} re-scored from the service's archive differs:\nlive     {Shorten(live)}\nrescored {Shorten(again)}");
        }
    }

    [Fact]
    public async Task Run_StrapDropsOutMidSession_RecordsOneGapAndKeepsEverySecondOfBothConnectedPeriods()
    {
        Bench.AddPolar(WorkerBench.Strap);
        var database = InfluxServer.NewDatabaseName("dropout");
        var notifications = Notifications();
        var drop = notifications.Count * 2 / 5;
        var outage = TimeSpan.FromSeconds(30);
        DateTimeOffset dropAt = default, resumedAt = default;

        await RunAsync(database, Start, async (time, transport) =>
        {
            var sent = await StreamAsync(time, transport, notifications, 0, drop);
            dropAt = time.GetUtcNow();
            Bench.BlueZ.DropLink(WorkerBench.Strap);
            await Eventually.TrueAsync(() => !Status(transport).Connected, TimeSpan.FromSeconds(10), "the disconnect");
            // The reconnect waits on the fake clock; its timer may be armed only after the disconnect is seen,
            // so the clock moves a second at a time until the strap is back, then to the end of the outage.
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (Status(transport) is not { Connected: true, Connections: 2 })
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "The strap did not reconnect.");
                if (time.GetUtcNow() < dropAt + outage)
                {
                    time.Advance(TimeSpan.FromSeconds(1));
                }

                await Task.Delay(20);
            }

            if (time.GetUtcNow() < dropAt + outage)
            {
                time.SetUtcNow(dropAt + outage);
            }
            resumedAt = time.GetUtcNow();
            var resume = Enumerable.Range(drop, notifications.Count - drop).First(i => Start + notifications[i].Offset >= resumedAt);
            return sent + await StreamAsync(time, transport, notifications, resume, notifications.Count);
        });

        using var http = new HttpClient();
        var query = WorkerBench.Query(http, Server.Url, database);
        var gap = Assert.Single(Assert.Single(await query.QueryAsync("SELECT \"duration_s\", \"reason\" FROM \"gap\"")).Rows);
        Assert.Equal("disconnected", gap.GetString("reason"));
        Assert.InRange(gap.TimestampNs, Point.ToTimestampNs(dropAt) - 1_000_000_000, Point.ToTimestampNs(dropAt));
        Assert.InRange(gap.GetDouble("duration_s"), outage.TotalSeconds - 1, outage.TotalSeconds + 2);
        var seconds = (await query.QueryAsync("SELECT \"samples\" FROM \"motion\"")).Single().Rows.Select(r => r.TimestampNs / 1_000_000_000).ToHashSet();
        var end = Start + notifications[^1].Offset;
        foreach (var (from, to) in new[] { (Start, dropAt), (resumedAt, end) })
        {
            // Every whole second inside a connected period is stored; the seconds at its edges may be partial.
            for (var s = from.ToUnixTimeSeconds() + 1; s < to.ToUnixTimeSeconds() - 1; s++)
            {
                Assert.True(seconds.Contains(s), $"motion second {DateTimeOffset.FromUnixTimeSeconds(s):u} is missing");
            }
        }

        Assert.DoesNotContain(seconds, s => s > dropAt.ToUnixTimeSeconds() + 1 && s < resumedAt.ToUnixTimeSeconds() - 1);
        var heartRateAfter = await query.QueryAsync($"SELECT COUNT(\"hr_bpm\") AS n FROM \"heart_rate\" WHERE time >= {Point.ToTimestampNs(resumedAt)}");
        Assert.InRange(Assert.Single(Assert.Single(heartRateAfter).Rows).GetInt64("n"), (long)(end - resumedAt).TotalSeconds - 5, (long)(end - resumedAt).TotalSeconds + 1);
    }

    [Fact]
    public async Task Run_ControlPointWritesRefusedAndAStrangerNearby_RetriesWithBackoffAndIgnoresTheStranger()
    {
        Bench.AddPolar(WorkerBench.Strap);
        Bench.AddPolar(WorkerBench.Stranger, rssi: -40);
        Bench.BlueZ.RefuseWrites(WorkerBench.Strap, 2);
        var database = InfluxServer.NewDatabaseName("refused");
        var notifications = Notifications();

        await RunAsync(database, Start, async (time, transport) =>
        {
            // The first two start sequences are refused; the back-off runs on the fake clock. The wait the
            // transport chose is read from its event, not from the clock: the clock keeps moving while the
            // real D-Bus round trips of the reconnect take their (load-dependent) time.
            var failures = new System.Collections.Concurrent.ConcurrentQueue<BleDeviceAttemptFailed>();
            using var watch = transport.Events.OfType<BleDeviceAttemptFailed>().Subscribe(failures.Enqueue);
            await Eventually.TrueAsync(() => Bench.BlueZ.Writes.Count(w => w.Refused) == 1, TimeSpan.FromSeconds(10), "the first refused write");
            await AdvanceUntilAsync(time, () => Bench.BlueZ.Writes.Count(w => w.Refused) == 2, "the second refused write");
            var secondAt = time.GetUtcNow();
            await Eventually.TrueAsync(() => failures.Any(f => f.TimestampUnixNs >= Point.ToTimestampNs(secondAt - TimeSpan.FromMilliseconds(500))), TimeSpan.FromSeconds(10), "the second refusal's event");
            var retryIn = failures.Last().RetryIn;
            Assert.InRange(retryIn, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
            var connects = Bench.BlueZ.ConnectCalls(WorkerBench.Strap);
            await AdvanceUntilAsync(time, () => Bench.BlueZ.ConnectCalls(WorkerBench.Strap) > connects || Bench.BlueZ.Writes.Count(w => w.Address == WorkerBench.Strap) > 2, "the retry after the back-off");
            Assert.True(time.GetUtcNow() - secondAt >= retryIn - TimeSpan.FromMilliseconds(100), $"retried after {time.GetUtcNow() - secondAt}, before the back-off of {retryIn}");
            await AdvanceUntilAsync(time, () => Status(transport).Connected, "the connection after the retries");
            Assert.Equal(1, transport.IgnoredDevices);
            var from = Enumerable.Range(0, notifications.Count).First(i => Start + notifications[i].Offset >= time.GetUtcNow());
            return await StreamAsync(time, transport, notifications, from, Math.Min(notifications.Count, from + 200));
        }, connectFirst: false);

        // Two refused start writes, the accepted start sequence, then the stop sequence when the service stops.
        var writes = Bench.BlueZ.Writes.Where(w => w.Address == WorkerBench.Strap).ToList();
        Assert.Equal([true, true, false, false], writes.Take(4).Select(w => w.Refused));
        Assert.Equal(WorkerBench.PolarH10.Stop.Select(w => w.Value.ToArray()), writes.Skip(4).Select(w => w.Value));
        Assert.DoesNotContain(Bench.BlueZ.Writes, w => w.Address == WorkerBench.Stranger);
        Assert.Equal(0, Bench.BlueZ.ConnectCalls(WorkerBench.Stranger));
        using var http = new HttpClient();
        var devices = await WorkerBench.Query(http, Server.Url, database).QueryAsync("SHOW TAG VALUES FROM \"device_status\" WITH KEY = \"device\"");
        Assert.Equal([WorkerBench.Strap], Assert.Single(devices).Rows.Select(r => r.GetString("value")));
        Assert.NotEmpty(Assert.Single(await WorkerBench.Query(http, Server.Url, database).QueryAsync("SELECT \"hr_bpm\" FROM \"heart_rate\"")).Rows);
    }

    [Fact]
    public async Task Run_RestartedTheNextDay_WeekCountsTheSessionsOfBothDays()
    {
        Bench.AddPolar(WorkerBench.Strap);
        var database = InfluxServer.NewDatabaseName("restart");
        var notifications = Notifications();

        await RunAsync(database, Start, async (time, transport) => await StreamAsync(time, transport, notifications, 0, notifications.Count));
        var nextDay = Start.AddDays(1);
        await RunAsync(database, nextDay, async (time, transport) => await StreamAsync(time, transport, notifications, 0, notifications.Count, start: nextDay));

        using var http = new HttpClient();
        var weeks = await WorkerBench.Query(http, Server.Url, database).QueryAsync("SELECT \"label\", \"sessions_done\" FROM \"adherence\" WHERE \"period\" = 'week'");
        var week = Assert.Single(Assert.Single(weeks).Rows);
        Assert.Equal(("2026-W10", 2L), (week.GetString("label"), week.GetInt64("sessions_done")));
        var sessions = await WorkerBench.Query(http, Server.Url, database).QueryAsync("SELECT \"local_date\" FROM \"session\"");
        Assert.Equal(["2026-03-04", "2026-03-05"], Assert.Single(sessions).Rows.Select(r => r.GetString("local_date")));
    }

    /// <summary>Moves the fake clock on in 100 ms steps until <paramref name="condition"/> holds (a back-off timer may be armed late).</summary>
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> condition, string what)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"Waited 10 s for {what}.");
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(20);
        }
    }

    private static BleDeviceStatus Status(BlueZTransport transport) => transport.GetStatus().Single(s => s.DeviceAddress == WorkerBench.Strap);

    private static IReadOnlyList<ScheduledNotification> Notifications()
    {
        var replay = new RecordingReplay(RecordingReader.Open(WorkerBench.DemoRecording)[0], new ReplayOptions { Participant = "P002", Profile = WorkerBench.PolarH10, Start = Start });
        return new VirtualWearable(WorkerBench.PolarH10, replay.SensorRecording).Notifications;
    }

    /// <summary>Runs the service's host on a fake clock starting at <paramref name="day"/>, drives it with <paramref name="drive"/>, stops it; returns frames sent and the strap's last status.</summary>
    private async Task<(int Sent, BleDeviceStatus Status)> RunAsync(string database, DateTimeOffset day, Func<FakeTimeProvider, BlueZTransport, Task<int>> drive, bool connectFirst = true)
    {
        var time = new FakeTimeProvider(day - TimeSpan.FromSeconds(5));
        var configuration = WorkerBench.Configuration(Bench.Settings(Server.Url, database, Bench.Registry(DateOnly.FromDateTime(Start.UtcDateTime.AddDays(-2)))));
        var setup = WorkerSetup.Check(configuration, time.GetUtcNow(), out var problems);
        Assert.True(setup is not null, string.Join(Environment.NewLine, problems));
        using var host = WorkerHost.Build(configuration, setup, time, logging: _ => { });
        await host.StartAsync();
        var transport = host.Services.GetRequiredService<BlueZTransport>();
        if (connectFirst)
        {
            await Eventually.TrueAsync(() => Status(transport).Connected, TimeSpan.FromSeconds(10), "the strap's connection");
        }

        var sent = await drive(time, transport);
        await host.StopAsync();
        return (sent, Status(transport));
    }

    /// <summary>Sends notifications [from, to) at their due times on the fake clock, each batch once the previous one has arrived.</summary>
    private async Task<int> StreamAsync(FakeTimeProvider time, BlueZTransport transport, IReadOnlyList<ScheduledNotification> notifications, int from, int to, DateTimeOffset? start = null)
    {
        var origin = start ?? Start;
        var received = Status(transport).FramesReceived;
        for (var i = from; i < to;)
        {
            var due = origin + notifications[i].Offset;
            if (due > time.GetUtcNow())
            {
                time.SetUtcNow(due);
            }

            var batch = 0;
            for (; i < to && origin + notifications[i].Offset == due; i++, batch++)
            {
                Bench.BlueZ.Notify(WorkerBench.Strap, notifications[i].Characteristic, notifications[i].Payload);
            }

            received += batch;
            await WorkerBench.WaitForFramesAsync(transport, WorkerBench.Strap, received);
        }

        return to - from;
    }

    private async Task<RecordingReplay> ReplayAsync(string database)
    {
        var registry = Adherence.ParticipantRegistryLoader.Load(Bench.Registry(DateOnly.FromDateTime(Start.UtcDateTime.AddDays(-2))));
        var replay = new RecordingReplay(RecordingReader.Open(WorkerBench.DemoRecording)[0], new ReplayOptions
        {
            Participant = "P002",
            Profile = WorkerBench.PolarH10,
            Start = Start,
            Model = Activity.ActivityModel.Load(Path.Combine(WorkerBench.Repository, "data", "models", "activity.zip")),
            Registration = registry.Get("P002"),
        });
        using var http = new HttpClient();
        var connection = new InfluxConnectionOptions { Url = Server.Url, Database = database, CreateDatabase = true };
        await using (var writer = new InfluxLineWriter(new InfluxV1WriteEndpoint(http, connection), new InfluxWriterOptions { SpoolDirectory = Path.Combine(Bench.Folder, "spool-replay") }))
        {
            await replay.RunAsync(events => events.Store(writer));
            await writer.FlushAsync();
        }

        return replay;
    }

    private static string Shorten(string json) => json.Length > 600 ? json[..600] + "…" : json;
}
