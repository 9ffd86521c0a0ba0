using System.Diagnostics;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Sensors;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary>
/// The real <c>adherence run</c> process killed with SIGKILL in the middle of a session and started again
/// while the strap streams on: the session continues as one, flagged recovered, and nothing is doubled.
/// The strap streams the demo recording (a minute of walking, a 22-s pause, walking) in real time, so this
/// test takes about two and a half minutes: bouts and sessions are shortened by configuration to fit.
/// </summary>
public sealed class CrashRecoveryTests(InfluxServerFixture fixture) : WorkerBenchTests(fixture)
{
    /// <summary>Where in the demo recording the strap starts (walking) and stops (still walking).</summary>
    private static readonly TimeSpan From = TimeSpan.FromSeconds(195), To = TimeSpan.FromSeconds(320);

    [Fact]
    public async Task Run_KilledMidSessionAndRestartedWhileTheStrapStreamsOn_StoresOneRecoveredSessionAndNoDoubledBout()
    {
        Bench.AddPolar(WorkerBench.Strap);
        var database = InfluxServer.NewDatabaseName("sigkill");
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var settings = Bench.Settings(Server.Url, database, Bench.Registry(today.AddDays(-1)),
            ("Logging:LogLevel:Default", "Information"), ("Worker:StatusInterval", "00:00:01"),
            ("Worker:Bouts:MinimumBout", "00:00:10"), ("Worker:Bouts:MaximumInterruption", "00:00:05"), ("Worker:Bouts:MaximumSessionGap", "00:01:00"));
        var config = Bench.ConfigFile(settings);
        var notifications = Notifications().Where(n => n.Offset >= From && n.Offset < To).ToList();
        using var http = new HttpClient();
        var query = WorkerBench.Query(http, Server.Url, database);

        using var first = WorkerBench.StartService("run", "--config", config);
        await WaitForStreamingAsync(first);
        var strap = Task.Run(() => StreamAsync(notifications));
        WorkerBench.ServiceProcess? second = null;
        try
        {
            // Once the first bout (the walk before the pause) is stored, and the next walk has gone on a while, kill.
            await Eventually.TrueAsync(() => Count(query, "bout").Result > 0, TimeSpan.FromSeconds(110), $"the first bout to be stored{Environment.NewLine}{first.Output}");
            await Eventually.TrueAsync(() => strap.IsCompleted || Sent >= notifications.FindIndex(n => n.Offset >= TimeSpan.FromSeconds(292)), TimeSpan.FromSeconds(40), "the second walk");
            Assert.Equal(0, await Count(query, "session"));
            await first.SignalAsync("KILL");
            Assert.Equal(137, await first.WaitForExitAsync(TimeSpan.FromSeconds(10)));
            var boutsBefore = await RowsAsync(query, "SELECT \"end_ns\" FROM \"bout\"");

            second = WorkerBench.StartService("run", "--config", config);
            await WaitForStreamingAsync(second);
            Assert.True(second.Logged("journalled window(s) are replayed"), second.Output);
            await strap;
            // As BlueZ does, the killed client's notifications stopped: what the strap sent meanwhile was lost,
            // and the new process subscribed again.
            Assert.True(Bench.BlueZ.NotificationsDroppedNotNotifying > 0);
            Assert.Equal(2, Bench.BlueZ.StartNotifyCalls.Count(c => c.Characteristic == GattUuid.PmdData));
            // The strap has stopped sending; once the service's per-second status stops counting new frames
            // it has them all (its stop processes whatever is still queued).
            await WaitForFramesToSettleAsync(query);
            await second.SignalAsync("TERM");
            Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, second.Output);

            var sessions = await RowsAsync(query, "SELECT \"bouts\", \"end_ns\", \"quality\", \"recovered\", \"target_min\", \"local_date\" FROM \"session\"");
            var session = Assert.Single(sessions);
            Assert.True(session.GetBoolean("recovered"), second.Output);
            Assert.Contains("recovered", session.GetString("quality"), StringComparison.Ordinal);
            Assert.Contains("closed_at_shutdown", session.GetString("quality"), StringComparison.Ordinal);
            var bouts = await RowsAsync(query, "SELECT \"end_ns\" FROM \"bout\"");
            // The bout stored before the kill was written again with the same key, not beside itself.
            Assert.Contains(boutsBefore, b => bouts.Any(a => a.TimestampNs == b.TimestampNs && a.GetInt64("end_ns") == b.GetInt64("end_ns")));
            for (var i = 1; i < bouts.Count; i++)
            {
                Assert.True(bouts[i].TimestampNs >= bouts[i - 1].GetInt64("end_ns"), $"bouts overlap: {bouts[i - 1].TimestampNs}–{bouts[i - 1].GetInt64("end_ns")} and {bouts[i].TimestampNs}");
            }

            Assert.Equal(bouts.Count, session.GetInt64("bouts"));
            Assert.True(bouts.Count >= 2, "the walk before the pause and the walk through the kill are separate bouts");
            Assert.Equal(session.TimestampNs, bouts[0].TimestampNs);
            Assert.Equal(session.GetInt64("end_ns"), bouts[^1].GetInt64("end_ns"));
            // The session spans the kill: it ends after the second process started streaming.
            Assert.True(session.GetInt64("end_ns") > Point.ToTimestampNs(DateTimeOffset.UtcNow) - (long)(To - From).TotalSeconds * 1_000_000_000L);
            var week = Assert.Single(await RowsAsync(query, "SELECT \"sessions_done\", \"target_min\" FROM \"adherence\" WHERE \"period\" = 'week'"));
            Assert.Equal(1, week.GetInt64("sessions_done"));
            Assert.Equal(session.GetDouble("target_min"), week.GetDouble("target_min"), 6);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            var frames = await RowsAsync(query, "SELECT LAST(\"frames\") AS frames FROM \"device_status\"");
            var activity = await RowsAsync(query, "SELECT \"activity_smoothed\" FROM \"activity\"");
            throw new TimeoutException($"(sent {Sent}, lost {Bench.BlueZ.NotificationsDroppedNotNotifying}, stored frames {(frames.Count > 0 ? frames[0].GetInt64("frames") : 0)}, " +
                $"activity {string.Join(" ", activity.Select(a => a.GetString("activity_smoothed")))}) {ex.Message}{Environment.NewLine}first:{Environment.NewLine}{first.Output}{Environment.NewLine}second:{Environment.NewLine}{second?.Output}", ex);
        }
        finally
        {
            second?.Dispose();
        }
    }

    private int _sent;

    private int Sent => Volatile.Read(ref _sent);

    /// <summary>The strap streams in real time whoever listens; while no service runs, its notifications are lost as in the air.</summary>
    private async Task StreamAsync(List<ScheduledNotification> notifications)
    {
        var started = Stopwatch.StartNew();
        var origin = notifications[0].Offset;
        for (var i = 0; i < notifications.Count; i++)
        {
            var wait = notifications[i].Offset - origin - started.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            Bench.BlueZ.Notify(WorkerBench.Strap, notifications[i].Characteristic, notifications[i].Payload);
            Volatile.Write(ref _sent, i + 1);
        }
    }

    private static async Task WaitForStreamingAsync(WorkerBench.ServiceProcess service)
    {
        await Eventually.TrueAsync(() => service.Logged("streaming, connection 1") || service.Process.HasExited, TimeSpan.FromSeconds(60), $"the strap streaming{Environment.NewLine}{service.Output}");
        Assert.False(service.Process.HasExited, service.Output);
    }

    /// <summary>Completes when two <c>device_status</c> points (written every second) a little apart count the same frames.</summary>
    private static async Task WaitForFramesToSettleAsync(InfluxQueryClient query)
    {
        var watch = Stopwatch.StartNew();
        var last = -1L;
        while (true)
        {
            var rows = await RowsAsync(query, "SELECT LAST(\"frames\") AS frames FROM \"device_status\"");
            var frames = rows.Count == 0 ? 0 : rows[0].GetInt64("frames");
            if (frames > 0 && frames == last)
            {
                return;
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("The service's frame count did not settle within 30 s.");
            }

            last = frames;
            await Task.Delay(TimeSpan.FromSeconds(2.5));
        }
    }

    private static async Task<long> Count(InfluxQueryClient query, string measurement) =>
        (await RowsAsync(query, $"SELECT COUNT(\"end_ns\") AS n FROM \"{measurement}\"")) is [var row] ? row.GetInt64("n") : 0;

    private static async Task<IReadOnlyList<InfluxRow>> RowsAsync(InfluxQueryClient query, string text)
    {
        try
        {
            return [.. (await query.QueryAsync(text)).SelectMany(s => s.Rows)];
        }
        catch (InfluxQueryException)
        {
            // The database does not exist before the first write.
            return [];
        }
    }

    private static IReadOnlyList<ScheduledNotification> Notifications()
    {
        var replay = new RecordingReplay(RecordingReader.Open(WorkerBench.DemoRecording)[0], new ReplayOptions { Participant = "P002", Profile = WorkerBench.PolarH10, Start = DateTimeOffset.UnixEpoch });
        return new VirtualWearable(WorkerBench.PolarH10, replay.SensorRecording).Notifications;
    }
}
