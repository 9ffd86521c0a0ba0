using System.Diagnostics;
using System.Globalization;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Sensors;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;

/// <summary>The whole path, bytes to stored points, on a real recording and a real InfluxDB.</summary>
internal static class ReplayBenchmark
{
    public static async Task<int> RunAsync(string recordingPath, int repeat, string? url)
    {
        var recording = RecordingReader.Open(recordingPath).Single();
        var profile = FirmwareProfileLoader.Load(Path.Combine(RepositoryRoot.Path, "firmware-profiles", "polar-h10.json"));
        InfluxServer? server = null;
        if (url is null)
        {
            server = await InfluxServer.StartAsync();
            url = server.Url.ToString();
        }

        var spool = Directory.CreateTempSubdirectory("replay-bench-").FullName;
        try
        {
            using var http = new HttpClient();
            for (var run = 1; run <= repeat; run++)
            {
                var connection = new InfluxConnectionOptions { Url = new Uri(url), Database = $"bench_{Guid.NewGuid():N}", CreateDatabase = true };
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                ReplaySummary summary;
                await using (var writer = new InfluxLineWriter(new InfluxV1WriteEndpoint(http, connection), new InfluxWriterOptions { SpoolDirectory = spool }))
                {
                    var replay = new RecordingReplay(recording, new ReplayOptions { Participant = "B001", Profile = profile, Start = new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero) });
                    summary = await replay.RunAsync(events => Environment.GetEnvironmentVariable("BENCH_NO_STORE") == "1" ? events : events.Store(writer));
                    await writer.FlushAsync();
                }

                watch.Stop();
                var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"run {run}: {summary.DataDuration:hh\\:mm\\:ss} of data, {summary.AccelerometerSamples:N0} samples, {summary.Frames:N0} frames, {summary.Windows:N0} windows, {summary.Points:N0} points; pipeline {summary.WallTime.TotalSeconds:0.000} s = {summary.SamplesPerSecond:N0} samples/s; until stored {watch.Elapsed.TotalSeconds:0.000} s = {summary.AccelerometerSamples / watch.Elapsed.TotalSeconds:N0} samples/s; process CPU {cpuUsed.TotalSeconds:0.00} s"));
            }

            return 0;
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }
}
