using System.Net;
using System.Text.Json;
using AdherencePipeline.BlueZ;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Sensors;
using AdherencePipeline.Service.Monitoring;
using AdherencePipeline.Service.Tests.Commands;
using AdherencePipeline.Service.Worker;
using AdherencePipeline.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary>
/// The monitoring endpoints of <c>adherence run</c> (<c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>) and
/// <c>adherence status</c>, against the service's host with a real dbus-daemon, the BlueZ-shaped service and
/// a real influxd of this class's own (one test stops it), on a fake clock as in <see cref="AdherenceWorkerTests"/>.
/// </summary>
public sealed class WorkerMonitoringTests(InfluxServerFixture fixture) : WorkerBenchTests(fixture)
{
    private static readonly DateTimeOffset Start = new(2026, 3, 4, 17, 0, 0, TimeSpan.Zero);

    // A PMD data notification cut after its first byte: the decoder reports a truncated header.
    private static readonly byte[] TruncatedPmdFrame = [0x02];

    [Fact]
    public async Task Metrics_DemoRecordingAndThreeBadFramesStreamed_CountExactlyWhatWasSentAndStored()
    {
        Bench.AddPolar(WorkerBench.Strap);
        var database = InfluxServer.NewDatabaseName("metrics");
        var notifications = Notifications();
        var (accelerometerSamples, heartRateMeasurements) = DecodeAll(notifications);
        await using var run = await StartAsync(database);
        using var http = new HttpClient();

        var sent = await StreamAsync(run, notifications);
        for (var i = 0; i < 3; i++)
        {
            Bench.BlueZ.Notify(WorkerBench.Strap, GattUuid.PmdData, TruncatedPmdFrame);
        }

        sent += 3;
        await WorkerBench.WaitForFramesAsync(run.Transport, WorkerBench.Strap, sent);
        // The transport has them; decoding follows on the pipeline's own thread.
        var live = await EventuallyScrapeAsync(http, run.Metrics, s => Value(s, "adherence_frames_total", ("model", "polar-h10")) == sent);

        Assert.Equal(accelerometerSamples, Value(live, "adherence_samples_total", ("model", "polar-h10"), ("sensor", "accelerometer")));
        Assert.Equal(heartRateMeasurements, Value(live, "adherence_samples_total", ("model", "polar-h10"), ("sensor", "heart_rate")));
        Assert.Equal(3, Value(live, "adherence_decode_faults_total", ("model", "polar-h10"), ("kind", "truncated")));
        Assert.Single(live, s => s.Name == "adherence_decode_faults_total");
        Assert.Equal(1, Value(live, "adherence_devices_connected", ("model", "polar-h10")));
        Assert.Equal(1, Value(live, "adherence_devices_bound", ("model", "polar-h10")));
        Assert.Equal(1, Value(live, "adherence_device_connections_total", ("model", "polar-h10")));
        Assert.Equal(0, Value(live, "adherence_frames_dropped_total"));

        await run.StopAsync();
        // Stopping closed the last window, bout and session and flushed them; the exposition still reads them.
        var final = PrometheusText.Parse(run.Host.Services.GetRequiredService<MetricsExposition>().Scrape());
        var worker = run.Host.Services.GetRequiredService<AdherenceWorker>();
        var activity = await RowsAsync(database, PipelinePoints.Activity);
        var bouts = await RowsAsync(database, "bout");
        var sessions = await RowsAsync(database, "session");
        Assert.True(sessions >= 1 && bouts >= sessions, $"The demo should close a session and its bouts; stored {sessions} session(s), {bouts} bout(s).");
        Assert.Equal(activity, Value(final, "adherence_windows_classified_total", ("model", "polar-h10")));
        Assert.Equal(bouts, Value(final, "adherence_bouts_closed_total"));
        Assert.Equal(sessions, Value(final, "adherence_sessions_closed_total"));
        Assert.Equal(worker.Points, Value(final, "adherence_points_written_total"));
        Assert.Equal(0, Value(final, "adherence_points_dead_lettered_total"));
        Assert.Equal(0, Value(final, "adherence_spool_batches"));
        Assert.Equal(0, Value(final, "adherence_devices_connected", ("model", "polar-h10")));
        // Every write request was measured, each in one bucket; none failed.
        var writes = Value(final, "adherence_influx_write_duration_seconds_count", ("outcome", "accepted"));
        Assert.True(writes >= 1, "no write request was measured");
        Assert.Equal(writes, Value(final, "adherence_influx_write_duration_seconds_bucket", ("outcome", "accepted"), ("le", "+Inf")));
        Assert.Equal(writes, Value(final, "adherence_influx_write_duration_seconds_count"));
    }

    [Fact]
    public async Task Readyz_InfluxdStoppedThenRestarted_Is503NamingInfluxdbThen200_AndStatusExitsOneThenZero()
    {
        Bench.AddPolar(WorkerBench.Strap);
        var database = InfluxServer.NewDatabaseName("ready");
        await using var run = await StartAsync(database);
        using var http = new HttpClient();

        var (liveStatus, live) = await GetAsync(http, new Uri(run.Address, "/healthz"));
        var (readyStatus, ready) = await GetAsync(http, new Uri(run.Address, "/readyz"));
        var (readyExit, readyOutput, _) = await CliRunner.RunAsync("status", "--url", run.Address.ToString(), "--interval", "0");

        await Server.KillAsync();
        var (downStatus, down) = await GetAsync(http, new Uri(run.Address, "/readyz"));
        var (downLiveStatus, _) = await GetAsync(http, new Uri(run.Address, "/healthz"));
        var (downExit, downOutput, _) = await CliRunner.RunAsync("status", "--url", run.Address.ToString(), "--interval", "0");

        await Server.StartAgainAsync();
        var back = await EventuallyReadyAsync(http, new Uri(run.Address, "/readyz"));
        var (backExit, backOutput, _) = await CliRunner.RunAsync("status", "--url", run.Address.ToString());
        await run.StopAsync();

        Assert.Equal((HttpStatusCode.OK, "healthy"), (liveStatus, Check(live, "worker")));
        Assert.Equal(HttpStatusCode.OK, readyStatus);
        Assert.Equal(["worker", "influxdb", "spool", "model", "ble_adapter"], ready.RootElement.GetProperty("checks").EnumerateObject().Select(c => c.Name));
        Assert.All(ready.RootElement.GetProperty("checks").EnumerateObject(), c => Assert.Equal("healthy", c.Value.GetProperty("status").GetString()));
        Assert.Equal("/org/bluez/hci0 powered", Detail(ready, "ble_adapter"));
        Assert.Equal(0, readyExit);
        Assert.StartsWith($"adherence run at {run.Address}: ready\n", readyOutput, StringComparison.Ordinal);
        Assert.Contains("\ndevices:        1 of 1 bound connected (polar-h10 1/1)\n", readyOutput, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, downStatus);
        Assert.Equal("unhealthy", down.RootElement.GetProperty("status").GetString());
        Assert.Equal("unhealthy", Check(down, "influxdb"));
        Assert.Contains("ping failed", Detail(down, "influxdb"), StringComparison.Ordinal);
        Assert.Equal(("healthy", "healthy", "healthy", "healthy"), (Check(down, "worker"), Check(down, "spool"), Check(down, "model"), Check(down, "ble_adapter")));
        Assert.Equal(HttpStatusCode.OK, downLiveStatus);
        Assert.Equal(1, downExit);
        Assert.StartsWith($"adherence run at {run.Address}: NOT READY\n", downOutput, StringComparison.Ordinal);
        Assert.Contains("\n  influxdb     unhealthy  ", downOutput, StringComparison.Ordinal);

        Assert.Equal("healthy", Check(back, "influxdb"));
        Assert.Equal(0, backExit);
        Assert.Contains("\nframes:         0 decoded, 0.0 frames/s over the last ", backOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_MonitoringPortTaken_FailsNamingMonitoringUrls()
    {
        Bench.AddPolar(WorkerBench.Strap);
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var urls = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";
        var time = new FakeTimeProvider(Start);
        var configuration = WorkerBench.Configuration(Bench.Settings(Server.Url, InfluxServer.NewDatabaseName("taken"), Bench.Registry(DateOnly.FromDateTime(Start.UtcDateTime.AddDays(-2))),
            ("Monitoring:Urls", urls)));
        var setup = WorkerSetup.Check(configuration, time.GetUtcNow(), out var problems);
        Assert.True(setup is not null, string.Join(Environment.NewLine, problems));
        using var host = WorkerHost.Build(configuration, setup, time, logging: _ => { });

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.StartsWith($"Monitoring:Urls: cannot listen on {urls}: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_NothingListening_ExitsTwoAndSaysSo()
    {
        var nobody = new Uri($"http://127.0.0.1:{FreePort()}/");

        var (exit, output, error) = await CliRunner.RunAsync("status", "--url", nobody.ToString(), "--interval", "0");

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.StartsWith($"error: the service's monitoring endpoint at {nobody} cannot be read: ", error, StringComparison.Ordinal);
    }

    private static string? Check(JsonDocument report, string name) => report.RootElement.GetProperty("checks").GetProperty(name).GetProperty("status").GetString();

    private static string? Detail(JsonDocument report, string name) => report.RootElement.GetProperty("checks").GetProperty(name).GetProperty("detail").GetString();

    private static async Task<(HttpStatusCode Status, JsonDocument Body)> GetAsync(HttpClient http, Uri url)
    {
        using var response = await http.GetAsync(url);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()));
    }

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    private static double Value(IReadOnlyList<PrometheusSample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

    private static async Task<IReadOnlyList<PrometheusSample>> EventuallyScrapeAsync(HttpClient http, Uri metrics, Func<IReadOnlyList<PrometheusSample>, bool> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var response = await http.GetAsync(metrics);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(PrometheusText.ContentType, response.Content.Headers.ContentType?.ToString());
            var text = await response.Content.ReadAsStringAsync();
            var samples = PrometheusText.Parse(text);
            if (condition(samples))
            {
                return samples;
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException($"/metrics did not reach the expected counts within 20 s:\n{text}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Asks <paramref name="readyz"/> until it answers 200 (the server takes a moment to come back), within 30 s.</summary>
    private static async Task<JsonDocument> EventuallyReadyAsync(HttpClient http, Uri readyz)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var (status, body) = await GetAsync(http, readyz);
            if (status == HttpStatusCode.OK)
            {
                return body;
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"/readyz did not answer 200 within 30 s after influxd restarted: {body.RootElement}");
            }

            body.Dispose();
            await Task.Delay(100);
        }
    }

    private async Task<long> RowsAsync(string database, string measurement)
    {
        using var http = new HttpClient();
        var series = await WorkerBench.Query(http, Server.Url, database).QueryAsync($"SELECT * FROM \"{measurement}\"");
        return series.Sum(s => s.Rows.Count);
    }

    /// <summary>Accelerometer samples and heart-rate measurements in <paramref name="notifications"/>, decoded as the worker decodes them.</summary>
    private static (long Accelerometer, long HeartRate) DecodeAll(IReadOnlyList<ScheduledNotification> notifications)
    {
        using var decoder = new DeviceDecoder(WorkerBench.PolarH10, WorkerBench.Strap);
        var output = new List<DeviceData>();
        long accelerometer = 0, heartRate = 0;
        foreach (var n in notifications)
        {
            output.Clear();
            decoder.Decode(new RawFrame(WorkerBench.Strap, n.Characteristic, n.Offset.Ticks * 100, n.Payload), output);
            accelerometer += output.OfType<AccelerationData>().Sum(a => a.TimestampsNs.Length);
            heartRate += output.OfType<HeartRateData>().Count();
        }

        Assert.Equal(0, decoder.Faults);
        return (accelerometer, heartRate);
    }

    private static IReadOnlyList<ScheduledNotification> Notifications()
    {
        var replay = new RecordingReplay(RecordingReader.Open(WorkerBench.DemoRecording)[0], new ReplayOptions { Participant = "P002", Profile = WorkerBench.PolarH10, Start = Start });
        return new VirtualWearable(WorkerBench.PolarH10, replay.SensorRecording).Notifications;
    }

    /// <summary>Starts the service's host on a fake clock and waits for the strap's connection.</summary>
    private async Task<Run> StartAsync(string database)
    {
        var time = new FakeTimeProvider(Start - TimeSpan.FromSeconds(5));
        var configuration = WorkerBench.Configuration(Bench.Settings(Server.Url, database, Bench.Registry(DateOnly.FromDateTime(Start.UtcDateTime.AddDays(-2))),
            ("Influx:Writer:MaxRetryDelay", "00:00:01")));
        var setup = WorkerSetup.Check(configuration, time.GetUtcNow(), out var problems);
        Assert.True(setup is not null, string.Join(Environment.NewLine, problems));
        var host = WorkerHost.Build(configuration, setup, time, logging: _ => { });
        await host.StartAsync();
        var transport = host.Services.GetRequiredService<BlueZTransport>();
        await Eventually.TrueAsync(() => transport.GetStatus().Single().Connected, TimeSpan.FromSeconds(10), "the strap's connection");
        var address = host.Services.GetRequiredService<MonitoringServer>().Addresses[0];
        return new Run(host, transport, time, address);
    }

    /// <summary>Sends the notifications at their due times on the fake clock, each batch once the previous one has arrived.</summary>
    private async Task<long> StreamAsync(Run run, IReadOnlyList<ScheduledNotification> notifications)
    {
        long received = 0;
        for (var i = 0; i < notifications.Count;)
        {
            var due = Start + notifications[i].Offset;
            if (due > run.Time.GetUtcNow())
            {
                run.Time.SetUtcNow(due);
            }

            for (; i < notifications.Count && Start + notifications[i].Offset == due; i++, received++)
            {
                Bench.BlueZ.Notify(WorkerBench.Strap, notifications[i].Characteristic, notifications[i].Payload);
            }

            await WorkerBench.WaitForFramesAsync(run.Transport, WorkerBench.Strap, received);
        }

        return received;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record Run(IHost Host, BlueZTransport Transport, FakeTimeProvider Time, Uri Address) : IAsyncDisposable
    {
        private bool _stopped;

        public Uri Metrics => new(Address, "/metrics");

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
}
