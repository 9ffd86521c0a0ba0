using System.Diagnostics;
using System.Text.Json;
using AdherencePipeline.Service.Tests.Commands;
using AdherencePipeline.Testing;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary><c>adherence run</c> as a user meets it: its start-up checks, and the real process stopped by SIGTERM.</summary>
public sealed class RunCommandTests(InfluxServerFixture fixture) : WorkerBenchTests(fixture)
{
    [Fact]
    public async Task Run_BrokenSettings_NamesEveryProblemAndExitsOneBeforeStarting()
    {
        var settings = Bench.Settings(Server.Url, "unused", Path.Combine(Bench.Folder, "missing-participants.json"),
            ("Ble:ReconnectInitialDelay", "00:00:05"),
            ("Ble:ReconnectMaxDelay", "00:00:01"),
            ("Ble:FrameChannelCapacity", "3"),
            ("Worker:StatusInterval", "soon"),
            ("Influx:Writer:BatchSize", "0"),
            ("Activity:ModelPath", Path.Combine(Bench.Folder, "no-model.zip")));

        var (exit, output, error) = await CliRunner.RunAsync("run", "--config", ConfigFile(settings));

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Contains("adherence run cannot start; 6 problem(s):", error, StringComparison.Ordinal);
        Assert.Contains("Ble:ReconnectMaxDelay: must be at least ReconnectInitialDelay (00:00:05), was 00:00:01.", error, StringComparison.Ordinal);
        Assert.Contains("Ble:FrameChannelCapacity:", error, StringComparison.Ordinal);
        Assert.Contains("'Worker:StatusInterval'", error, StringComparison.Ordinal);
        Assert.Contains("Influx:Writer:BatchSize:", error, StringComparison.Ordinal);
        Assert.Contains($"Activity:ModelPath: the activity model '{Path.Combine(Bench.Folder, "no-model.zip")}' does not exist.", error, StringComparison.Ordinal);
        Assert.Contains($"Participants:Registry: the participant registry '{Path.Combine(Bench.Folder, "missing-participants.json")}' does not exist.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NoDeviceBoundToday_SaysSoAndExitsOne()
    {
        // The strap was P002's until yesterday.
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var registry = Bench.Registry(today.AddDays(-30), today.AddDays(-1));
        var settings = Bench.Settings(Server.Url, "unused", registry);

        var (exit, _, error) = await CliRunner.RunAsync("run", "--config", ConfigFile(settings));

        Assert.Equal(1, exit);
        Assert.Contains($"{registry}: no device is bound to an enrolled participant on {DateTime.UtcNow:yyyy-MM-dd} (UTC)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RealProcessGetsSigterm_StoresEverythingReceivedAndExitsZero()
    {
        Bench.AddPolar(WorkerBench.Strap);
        var database = InfluxServer.NewDatabaseName("sigterm");
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var web = new Uri($"http://127.0.0.1:{FreePort()}");
        const string token = "run-test-researcher-token-0123456789";
        var settings = Bench.Settings(Server.Url, database, Bench.Registry(today.AddDays(-1)), ("Logging:LogLevel:Default", "Information"), ("Worker:StatusInterval", "00:00:01"),
            ("Web:Enabled", "true"), ("Web:Urls", web.ToString()), ("Web:ResearcherTokens:0", AdherencePipeline.Service.Web.WebSecrets.HashToken(token)));
        var notifications = new Sensors.VirtualWearable(WorkerBench.PolarH10, Recording(seconds: 8)).Notifications;

        using var process = Start("run", "--config", ConfigFile(settings));
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => log.Enqueue(e.Data ?? "");
        process.ErrorDataReceived += (_, e) => log.Enqueue(e.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient();
        var query = WorkerBench.Query(http, Server.Url, database);
        try
        {
            await StreamThenTerminateAsync(process, log, query, notifications, async () =>
            {
                // The same process serves the API: refused without a token, answered with one.
                using var anonymous = await http.GetAsync(new Uri(web, "/api/participants"));
                Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(web, "/api/participants"));
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
                using var researcher = await http.SendAsync(request);
                Assert.Equal(System.Net.HttpStatusCode.OK, researcher.StatusCode);
                Assert.Contains("P002", await researcher.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            });
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            throw new TimeoutException($"{ex.Message}{Environment.NewLine}{string.Join(Environment.NewLine, log)}", ex);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        Assert.True(process.ExitCode == 0, string.Join(Environment.NewLine, log));
        var status = Assert.Single(Assert.Single(await query.QueryAsync("SELECT LAST(\"frames\") AS frames, LAST(\"connected\") AS connected, LAST(\"frames_dropped\") AS dropped FROM \"device_status\"")).Rows);
        Assert.Equal(((long)notifications.Count, false, 0L), (status.GetInt64("frames"), status.GetBoolean("connected"), status.GetInt64("dropped")));
        // The last, open second and window were closed at the stop and stored with the rest.
        var motion = Assert.Single(Assert.Single(await query.QueryAsync("SELECT COUNT(\"samples\") AS n FROM \"motion\"")).Rows).GetInt64("n");
        var heartRate = Assert.Single(Assert.Single(await query.QueryAsync("SELECT COUNT(\"hr_bpm\") AS n FROM \"heart_rate\"")).Rows).GetInt64("n");
        Assert.InRange(motion, 8, 10);
        Assert.InRange(heartRate, 7, 9);
        Assert.Contains(log, l => l.Contains("Worker stopped", StringComparison.Ordinal));
    }

    /// <summary>The strap streams in real time, as it would; once the service has received it all, SIGTERM.</summary>
    private async Task StreamThenTerminateAsync(Process process, System.Collections.Concurrent.ConcurrentQueue<string> log, AdherencePipeline.Storage.InfluxQueryClient query, IReadOnlyList<Sensors.ScheduledNotification> notifications, Func<Task> whileStreaming)
    {
        await Eventually.TrueAsync(() => log.Any(l => l.Contains("streaming, connection 1", StringComparison.Ordinal)) || process.HasExited, TimeSpan.FromSeconds(30), "the strap streaming");
        if (process.HasExited)
        {
            throw new TimeoutException($"The service exited with {process.ExitCode} before streaming.");
        }

        var started = Stopwatch.StartNew();
        foreach (var n in notifications)
        {
            var wait = n.Offset - started.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            Bench.BlueZ.Notify(WorkerBench.Strap, n.Characteristic, n.Payload);
        }

        await whileStreaming();
        // Received in full once the periodic status says so; the last second and window are still open.
        await WaitForStoredFramesAsync(query, notifications.Count);
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>Completes once a device_status point (written every second) counts <paramref name="count"/> frames.</summary>
    private static async Task WaitForStoredFramesAsync(AdherencePipeline.Storage.InfluxQueryClient query, long count)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var series = await query.QueryAsync("SELECT LAST(\"frames\") AS frames FROM \"device_status\"");
                if (series.Count > 0 && series[0].Rows.Count > 0 && series[0].Rows[0].GetInt64("frames") == count)
                {
                    return;
                }
            }
            catch (AdherencePipeline.Storage.InfluxQueryException)
            {
                // The database does not exist before the first write.
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"No device_status point counted {count} frames within 30 s.");
            }

            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Sensors.SensorRecording Recording(int seconds)
    {
        const double rateHz = 50;
        var n = (int)(seconds * rateHz);
        var x = new double[n];
        var y = new double[n];
        var z = new double[n];
        for (var i = 0; i < n; i++)
        {
            // Walking-like motion on top of gravity.
            x[i] = 0.3 * Math.Sin(2 * Math.PI * 1.8 * i / rateHz);
            y[i] = 0.1 * Math.Cos(2 * Math.PI * 0.9 * i / rateHz);
            z[i] = 1.0 + 0.2 * Math.Sin(2 * Math.PI * 1.8 * i / rateHz);
        }

        var heartRate = Enumerable.Range(0, seconds).Select(s => new Sensors.HeartRatePoint(s * 1_000_000_000L, 90 + s)).ToList();
        return new Sensors.SensorRecording(rateHz, x, y, z, heartRate, seconds * 1_000_000_000L);
    }

    private string ConfigFile(Dictionary<string, string?> settings)
    {
        // Nested JSON from the flat keys, as an operator would write it.
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

        var path = Path.Combine(Bench.Folder, $"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(root));
        return path;
    }

    private static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // The service's own output folder: the test folder's copy resolves its dependencies against the test's deps file.
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        info.ArgumentList.Add(Path.Combine(WorkerBench.Repository, "src", "AdherencePipeline.Service", "bin", framework.Parent!.Name, framework.Name, "adherence.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
    }
}
