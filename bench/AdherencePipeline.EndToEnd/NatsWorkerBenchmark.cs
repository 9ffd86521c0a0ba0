using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using AdherencePipeline.Activity;
using AdherencePipeline.Adherence;
using AdherencePipeline.Nats;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Sensors;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;

/// <summary>
/// Gateway → NATS → worker → InfluxDB: gateways publish the virtual Polar H10's frames of a real recording
/// for every participant, <c>FrameWorker</c>s (each with its own connection and writer) share the
/// participants, run the whole pipeline and write to a real influxd. Reports frames per second until every
/// frame was processed and every point queued so far was accepted by InfluxDB, and the latency from a
/// gateway's enqueue to the worker's acknowledgement (frame decoded, analysed, classified, its points queued).
/// </summary>
internal static class NatsWorkerBenchmark
{
    public static async Task<int> RunAsync(int gateways, int participantsPerGateway, int workers, string recordingPath, double? ratePerGateway, string? url)
    {
        NatsCluster? cluster = null;
        if (url is null)
        {
            cluster = await NatsCluster.StartAsync();
            url = cluster.Url;
        }

        await using var influx = await InfluxServer.StartAsync();
        var root = Directory.CreateTempSubdirectory("nats-worker-bench-").FullName;
        using var http = new HttpClient();
        try
        {
            var run = Guid.NewGuid().ToString("N")[..6];
            var stream = new FrameStreamOptions { Name = $"BENCH_{run}", Replicas = 3 };
            await using var connection = new NatsConnection(new NatsClientOptions { Url = url, Name = "bench" }.ToNatsOpts());
            var jetStream = new NatsJSContext(connection);
            await ProvisionAsync(jetStream, stream);

            var profiles = FirmwareProfileLoader.LoadDirectory(RepositoryRoot.Combine("firmware-profiles"), out _);
            var polar = profiles.Single(p => p.Id == "polar-h10");
            var model = ActivityModel.Load(RepositoryRoot.Combine("data", "models", "activity.zip"));
            var (calibrated, _) = RecordingCalibration.Calibrate(RecordingReader.Open(recordingPath)[0]);
            var notifications = new VirtualWearable(polar, RecordingReplay.ToSensorRecording(calibrated)).Notifications;
            var sites = Enumerable.Range(0, gateways).Select(g => $"bench{run}g{g}").ToArray();
            var start = new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
            var registry = ParticipantRegistryLoader.Load(WriteRegistry(root, sites, participantsPerGateway, start));
            var database = "bench_" + run;
            var enqueued = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
            var latenciesMs = new ConcurrentBag<double>();
            long processed = 0;

            var running = new List<(FrameWorker Worker, InfluxLineWriter Writer, NatsConnection Connection, Task Run)>();
            using var stop = new CancellationTokenSource();
            for (var w = 0; w < workers; w++)
            {
                var workerConnection = new NatsConnection(new NatsClientOptions { Url = url, Name = $"worker-{w}" }.ToNatsOpts());
                var writer = new InfluxLineWriter(
                    new InfluxV1WriteEndpoint(http, new InfluxConnectionOptions { Url = influx.Url, Database = database, CreateDatabase = true }),
                    new InfluxWriterOptions { SpoolDirectory = Path.Combine(root, $"spool-{w}") });
                var query = new InfluxQueryClient(http, new InfluxConnectionOptions { Url = influx.Url, Database = database });
                var worker = new FrameWorker(new NatsJSContext(workerConnection), new FrameWorkerSetup
                {
                    Participants = registry.Participants,
                    Profiles = profiles,
                    Model = () => model,
                    Writer = writer,
                    StoredSessions = (p, from, until, ct) => AdherencePipeline.Adherence.StoredSessions.ReadAsync(query, p, from, until, ct),
                    StreamName = stream.Name,
                    CheckpointBucket = $"bench_checkpoints_{run}",
                    Worker = new FrameWorkerOptions { Name = $"worker-{w}" },
                    Leases = new ParticipantLeaseOptions { Bucket = $"bench_leases_{run}", Ttl = TimeSpan.FromSeconds(6) },
                    Processed = frame =>
                    {
                        if (enqueued.TryRemove(Key(frame.Envelope.Site, frame.Envelope.Participant, frame.Frame), out var at))
                        {
                            latenciesMs.Add(Stopwatch.GetElapsedTime(at).TotalMilliseconds);
                        }

                        Interlocked.Increment(ref processed);
                    },
                }, logger: new WarningLogger($"worker-{w}"));
                running.Add((worker, writer, workerConnection, Task.Run(() => worker.RunAsync(stop.Token))));
            }

            // Every participant owned before the clock starts, so the figure is not the lease hand-out.
            var total = (long)sites.Length * participantsPerGateway * notifications.Count;
            var owners = Stopwatch.StartNew();
            while (running.Sum(r => r.Worker.Owned.Count) < sites.Length * participantsPerGateway || (workers > 1 && running.Any(r => r.Worker.Owned.Count == 0)))
            {
                if (owners.Elapsed > TimeSpan.FromMinutes(2))
                {
                    throw new TimeoutException("The workers did not share the participants within 2 minutes.");
                }

                await Task.Delay(100);
            }

            var watch = Stopwatch.StartNew();
            var startNs = start.ToUnixTimeMilliseconds() * 1_000_000;
            var publishers = sites.Select((site, g) => Task.Run(async () =>
            {
                await using var publisher = new FramePublisher(jetStream, new FramePublisherOptions { Site = site, SpoolDirectory = Path.Combine(root, site) });
                var started = Stopwatch.GetTimestamp();
                for (var f = 0; f < notifications.Count; f++)
                {
                    if (ratePerGateway is { } rate && TimeSpan.FromSeconds(f * participantsPerGateway / rate) - Stopwatch.GetElapsedTime(started) is { } due && due > TimeSpan.Zero)
                    {
                        await Task.Delay(due);
                    }

                    var n = notifications[f];
                    for (var p = 0; p < participantsPerGateway; p++)
                    {
                        var frame = new RawFrame($"A0:9E:1A:00:{p / 256:X2}:{p % 256:X2}", n.Characteristic, startNs + n.Offset.Ticks * 100, n.Payload);
                        var participant = Participant((g * participantsPerGateway) + p);
                        enqueued[Key(site, participant, frame)] = Stopwatch.GetTimestamp();
                        await publisher.EnqueueAsync(participant, polar.Id, frame);
                    }
                }

                await publisher.FlushAsync();
                return publisher.GetStatistics();
            })).ToArray();
            var publishing = await Task.WhenAll(publishers);
            var published = watch.Elapsed;
            if (publishing.Sum(s => s.FramesStored) is var storedFrames && storedFrames != total)
            {
                // Frames the stream did not store never reach a worker: say so instead of waiting for them.
                throw new InvalidOperationException($"JetStream stored {storedFrames:N0} of {total:N0} frames ({publishing.Sum(s => s.FramesDuplicate):N0} acknowledged as duplicates of other frames' message ids).");
            }

            while (Interlocked.Read(ref processed) < total)
            {
                if (watch.Elapsed > TimeSpan.FromMinutes(10))
                {
                    throw new TimeoutException($"{Interlocked.Read(ref processed):N0} of {total:N0} frames processed after 10 minutes.");
                }

                await Task.Delay(20);
            }

            var processedAt = watch.Elapsed;
            await Task.WhenAll(running.Select(r => r.Writer.FlushAsync()));
            var stored = watch.Elapsed;
            var points = running.Sum(r => r.Writer.GetStatistics().LinesAccepted);
            var all = latenciesMs.Order().ToArray();
            var c = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(c, $"{gateways} gateway(s) x {participantsPerGateway} participant(s) x {notifications.Count:N0} frames ({Path.GetFileName(recordingPath)} through the virtual Polar H10), {workers} worker(s), R3, {(ratePerGateway is { } r ? $"paced at {r:N0} frames/s per gateway" : "as fast as possible")}, {(cluster is null ? url : "private 3-node cluster")}, private influxd"));
            Console.WriteLine(string.Create(c, $"  published   {total:N0} frames in {published.TotalSeconds:0.00} s"));
            Console.WriteLine(string.Create(c, $"  processed   {total:N0} frames by {workers} worker(s) at {processedAt.TotalSeconds:0.00} s; InfluxDB had every point queued ({points:N0}) at {stored.TotalSeconds:0.00} s: {total / stored.TotalSeconds:N0} frames/s gateway -> InfluxDB"));
            Console.WriteLine(string.Create(c, $"  shares      {string.Join(", ", running.Select(r => $"{r.Worker.Name} {r.Worker.GetStatistics().FramesProcessed:N0} frames"))}"));
            Console.WriteLine(string.Create(c, $"  latency     gateway enqueue -> worker ack (points queued): p50 {Percentile(all, 0.5):0.0} ms, p95 {Percentile(all, 0.95):0.0} ms, p99 {Percentile(all, 0.99):0.0} ms"));

            await stop.CancelAsync();
            foreach (var (_, writer, workerConnection, task) in running)
            {
                await task;
                await writer.DisposeAsync();
                await workerConnection.DisposeAsync();
            }

            await jetStream.DeleteStreamAsync(stream.Name);
            return 0;
        }
        finally
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }

            Directory.Delete(root, recursive: true);
        }
    }

    // A participant's frames differ in receive time or characteristic.
    private static string Key(string site, string participant, RawFrame frame) => string.Create(CultureInfo.InvariantCulture, $"{site}.{participant}/{frame.ReceivedUnixNs}/{frame.Characteristic}");

    private static string Participant(int index) => string.Create(CultureInfo.InvariantCulture, $"P{index:D3}");

    private static async Task ProvisionAsync(INatsJSContext jetStream, FrameStreamOptions stream)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                await FrameStreamProvisioning.EnsureAsync(jetStream, stream, deadline.Token);
                return;
            }
            catch (NatsException) when (!deadline.IsCancellationRequested)
            {
                await Task.Delay(100, deadline.Token);
            }
        }
    }

    private static string WriteRegistry(string root, string[] sites, int participantsPerGateway, DateTimeOffset start)
    {
        var from = start.AddDays(-2).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var participants = sites.SelectMany((site, g) => Enumerable.Range(0, participantsPerGateway).Select(p => $$"""
            { "id": "{{Participant((g * participantsPerGateway) + p)}}", "arm": "exercise", "site": "{{site}}", "enrolment": { "start": "{{from}}" },
              "timeZones": [ { "from": "{{from}}", "zone": "Europe/Oslo" } ], "ageYears": 50, "restingHeartRateBpm": 65,
              "prescriptions": [ { "from": "{{from}}", "sessionsPerWeek": 3, "minutesPerSession": 30, "targetZone": "moderate", "countingClasses": ["walking"] } ] }
            """));
        var path = Path.Combine(root, "participants.json");
        File.WriteAllText(path, $$"""{ "arms": ["exercise"], "sites": [{{string.Join(",", sites.Select(s => $"\"{s}\""))}}], "participants": [{{string.Join(",", participants)}}] }""");
        return path;
    }

    private static double Percentile(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
}

/// <summary>The workers' warnings and errors on standard error, so a stalled run says why.</summary>
internal sealed class WarningLogger(string name) : Microsoft.Extensions.Logging.ILogger<FrameWorker>
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Warning;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {name} {logLevel}: {formatter(state, exception)} {exception?.Message}");
        }
    }
}
