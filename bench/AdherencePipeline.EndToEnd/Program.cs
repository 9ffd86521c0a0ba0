using System.Diagnostics;
using System.Globalization;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;

// Usage:
//   writer [--points N] [--batch N] [--gzip false] [--url URL]
//     Writes N points (default 2,000,000) through InfluxLineWriter into a real InfluxDB — a private
//     influxd started here, or the server at --url — and reports points per second from the first
//     write until the server has acknowledged the last batch.
//   replay --recording PATH [--repeat N] [--url URL]
//     Replays a recording N times (default 3) through the virtual Polar H10, decoding, alignment,
//     filters, windows, features and storage into a real InfluxDB, and reports accelerometer samples
//     per second of wall time for each run (the first includes warm-up).
//   rescore --recording PATH [--hours 1,10,100] [--model PATH] [--store] [--url URL]
//     Archives the recording's decoded stream repeated to about each number of hours, then re-scores
//     each archive: read only, + analysis, + classification and sessions, + storage (with --store),
//     reporting accelerometer samples per second and the archive's size.
//   live --recording PATH [--wearables 10,100,1000] [--minutes 2] [--warmup-seconds 30] [--model PATH] [--url URL]
//     N virtual Polar H10 straps stream the recording in real time (each from its own place in it)
//     into the BlueZ transport's queue, and the worker's stages process it into a real InfluxDB;
//     reports CPU of this process and of influxd, memory per wearable and the latency from a frame's
//     notification to InfluxDB's acknowledgement of the points it produced. --minutes includes the warm-up.
//   classify --recording PATH [--windows 1000] [--repeat 20] [--model PATH]
//     The shipped model on the recording's complete windows: ML.NET's engine, ML.NET's batch and the
//     flattened trees, in microseconds of this process's CPU time per window.
//   nats [--gateways N] [--participants N] [--frames N] [--replicas N] [--rate FRAMES_PER_S] [--url URL]
//     Gateways publish PMD-sized frames through their spools to JetStream — a private three-node
//     nats-server cluster started here, or the servers at --url — and one consumer per participant
//     reads and acknowledges them; reports frames per second and gateway-to-worker latency. --rate
//     paces each gateway (frames/s) so latency is measured below saturation.
//   nats --workers N [--gateways N] [--participants N] [--recording PATH] [--rate FRAMES_PER_S] [--url URL]
//     The whole distributed path: gateways publish the virtual Polar H10's frames of a real recording
//     (default the demo) for every participant, N FrameWorkers share the participants by lease, run the
//     pipeline and write to a private influxd; reports frames per second until InfluxDB accepted every
//     point queued, and the latency from a gateway's enqueue to the worker's acknowledgement.
var arguments = args.ToList();
if (arguments.FirstOrDefault() == "rescore")
{
    return await RescoreBenchmark.RunAsync(Option("--recording") ?? "data/demo/hexoskin-subject001-excerpt.acc.csv.gz",
        [.. (Option("--hours") ?? "1,10").Split(',').Select(h => double.Parse(h, CultureInfo.InvariantCulture))],
        Option("--model") ?? "data/models/activity.zip", arguments.Contains("--store"), Option("--url"));
}

if (arguments.FirstOrDefault() == "classify")
{
    return ClassifyBenchmark.Run(Option("--recording") ?? "data/demo/hexoskin-subject001-excerpt.acc.csv.gz",
        int.Parse(Option("--windows") ?? "1000", CultureInfo.InvariantCulture), int.Parse(Option("--repeat") ?? "20", CultureInfo.InvariantCulture),
        Option("--model") ?? "data/models/activity.zip");
}

if (arguments.FirstOrDefault() == "live")
{
    return await LiveBenchmark.RunAsync(Option("--recording") ?? "data/demo/hexoskin-subject001-excerpt.acc.csv.gz",
        [.. (Option("--wearables") ?? "10,100,1000").Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture))],
        TimeSpan.FromMinutes(double.Parse(Option("--minutes") ?? "2", CultureInfo.InvariantCulture)),
        TimeSpan.FromSeconds(double.Parse(Option("--warmup-seconds") ?? "30", CultureInfo.InvariantCulture)),
        Option("--model") ?? "data/models/activity.zip", Option("--url"));
}

if (arguments.FirstOrDefault() == "nats" && Option("--workers") is { } workers)
{
    return await NatsWorkerBenchmark.RunAsync(int.Parse(Option("--gateways") ?? "2", CultureInfo.InvariantCulture),
        int.Parse(Option("--participants") ?? "5", CultureInfo.InvariantCulture), int.Parse(workers, CultureInfo.InvariantCulture),
        Option("--recording") ?? RepositoryRoot.Combine("data", "demo", "hexoskin-subject001-excerpt.acc.csv.gz"),
        Option("--rate") is { } rate ? double.Parse(rate, CultureInfo.InvariantCulture) : null, Option("--url"));
}

if (arguments.FirstOrDefault() == "nats")
{
    return await NatsBenchmark.RunAsync(int.Parse(Option("--gateways") ?? "2", CultureInfo.InvariantCulture),
        int.Parse(Option("--participants") ?? "10", CultureInfo.InvariantCulture), int.Parse(Option("--frames") ?? "2000", CultureInfo.InvariantCulture),
        int.Parse(Option("--replicas") ?? "3", CultureInfo.InvariantCulture),
        Option("--rate") is { } rate ? double.Parse(rate, CultureInfo.InvariantCulture) : null, Option("--url"));
}

if (arguments.FirstOrDefault() == "replay")
{
    return await ReplayBenchmark.RunAsync(Option("--recording") ?? "data/demo/hexoskin-subject001-excerpt.acc.csv.gz",
        int.Parse(Option("--repeat") ?? "3", CultureInfo.InvariantCulture), Option("--url"));
}

if (arguments.FirstOrDefault() != "writer")
{
    Console.Error.WriteLine("usage: writer [--points N] [--batch N] [--gzip false] [--url URL] | replay --recording PATH [--repeat N] [--url URL] | rescore --recording PATH [--hours 1,10,100] [--model PATH] [--store] [--url URL] | classify --recording PATH [--windows N] [--repeat N] | live --recording PATH [--wearables 10,100,1000] [--minutes 2] [--warmup-seconds 30] [--url URL] | nats [--workers N] [--gateways N] [--participants N] [--frames N] [--replicas N] [--rate N] [--url URL]");
    return 2;
}

var points = int.Parse(Option("--points") ?? "2000000", CultureInfo.InvariantCulture);
var batch = int.Parse(Option("--batch") ?? "5000", CultureInfo.InvariantCulture);
var url = Option("--url");

InfluxServer? server = null;
if (url is null)
{
    server = await InfluxServer.StartAsync();
    url = server.Url.ToString();
}

var spool = Directory.CreateTempSubdirectory("writer-bench-").FullName;
try
{
    using var http = new HttpClient();
    var connection = new InfluxConnectionOptions { Url = new Uri(url), Database = $"bench_{Guid.NewGuid():N}", CreateDatabase = true, Gzip = Option("--gzip") != "false" };
    var query = new InfluxQueryClient(http, connection);
    var (version, _) = await query.PingAsync();
    await query.ExecuteAsync($"CREATE DATABASE {InfluxQL.Identifier(connection.Database)}");

    // Points shaped like the pipeline's per-second summaries: 100 participants, 4 fields.
    var prepared = new Point[points];
    var start = 1_790_000_000_000_000_000L;
    for (var i = 0; i < points; i++)
    {
        prepared[i] = Point.For("motion")
            .Tag("participant", string.Create(CultureInfo.InvariantCulture, $"P{i % 100:D3}"))
            .Tag("device_model", "polar-h10")
            .Field("enmo_mg", 12.5 + i % 1000 * 0.01)
            .Field("samples", 50L)
            .Field("worn", true)
            .Field("hr_bpm", 60.0 + i % 120)
            .At(start + i / 100 * 1_000_000_000L);
    }

    var options = new InfluxWriterOptions { BatchSize = batch, SpoolDirectory = spool, FlushInterval = TimeSpan.FromSeconds(1) };
    var watch = Stopwatch.StartNew();
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    InfluxWriterStatistics stats;
    await using (var writer = new InfluxLineWriter(new InfluxV1WriteEndpoint(http, connection), options))
    {
        foreach (var point in prepared)
        {
            await writer.WriteAsync(point);
        }

        await writer.FlushAsync();
        stats = writer.GetStatistics();
    }

    watch.Stop();
    var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
    var stored = (await query.QueryAsync("SELECT COUNT(\"enmo_mg\") AS n FROM \"motion\"")).Single().Rows.Single().GetInt64("n");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"InfluxDB {version}: {points:N0} points in batches of {batch:N0}: {watch.Elapsed.TotalSeconds:0.00} s, {points / watch.Elapsed.TotalSeconds:N0} points/s; writer CPU {cpuUsed.TotalSeconds:0.00} s; {stats.BatchesAccepted} batches, {stats.FailedAttempts} retries; {stored:N0} points read back"));
    return stored == points ? 0 : 1;
}
finally
{
    Directory.Delete(spool, recursive: true);
    if (server is not null)
    {
        await server.DisposeAsync();
    }
}

string? Option(string name)
{
    var i = arguments.IndexOf(name);
    return i >= 0 && i + 1 < arguments.Count ? arguments[i + 1] : null;
}
