using System.Diagnostics;
using System.Globalization;
using AdherencePipeline.Activity;
using AdherencePipeline.Archive;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Sensors;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;

/// <summary>
/// Re-scoring from the raw archive: a real recording is replayed once with the archive on, its
/// decoded stream repeated back to back into archives of about 1, 10, 100 hours, and each archive is
/// re-scored — read only, analysed, classified, and optionally stored in a real InfluxDB.
/// </summary>
internal static class RescoreBenchmark
{
    private static readonly DateTimeOffset Start = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);

    public static async Task<int> RunAsync(string recordingPath, IReadOnlyList<double> hours, string modelPath, bool store, string? url)
    {
        var repository = RepositoryRoot.Path;
        var recording = RecordingReader.Open(recordingPath).Single();
        var profile = FirmwareProfileLoader.Load(Path.Combine(repository, "firmware-profiles", "polar-h10.json"));
        var model = ActivityModel.Load(Path.IsPathRooted(modelPath) ? modelPath : Path.Combine(repository, modelPath));
        var root = Directory.CreateTempSubdirectory("rescore-bench-").FullName;
        InfluxServer? server = null;
        try
        {
            // The decoded stream exactly as the pipeline saw it, from a replay with the archive on.
            var seed = Path.Combine(root, "seed");
            using (var seedWriter = new ParticipantArchiveWriter(seed, "B000"))
            {
                await new RecordingReplay(recording, new ReplayOptions { Participant = "B000", Profile = profile, Start = Start, Archive = seedWriter }).RunAsync(events => events);
            }

            var decoded = ParticipantArchive.Read(seed, "B000", issue => throw new InvalidDataException(issue.ToString())).ToList();
            var span = SpanNs(decoded) + 60_000_000_000L;
            if (store && url is null)
            {
                server = await InfluxServer.StartAsync();
                url = server.Url.ToString();
            }

            using var http = new HttpClient();
            foreach (var wanted in hours)
            {
                var copies = Math.Max(1, (int)Math.Round(wanted * 3600e9 / span));
                var participant = string.Create(CultureInfo.InvariantCulture, $"B{copies:D3}");
                var archiveRoot = Path.Combine(root, participant);
                var build = Stopwatch.StartNew();
                using (var writer = new ParticipantArchiveWriter(archiveRoot, participant, new ParticipantArchiveOptions { SyncEachBlock = false }))
                {
                    for (var copy = 0; copy < copies; copy++)
                    {
                        foreach (var data in decoded)
                        {
                            writer.Append(Shift(data, copy * span));
                        }
                    }
                }

                build.Stop();
                var bytes = Directory.GetFiles(Path.Combine(archiveRoot, participant)).Sum(f => new FileInfo(f).Length);
                var dataHours = copies * span / 3600e9;

                // Stage by stage: archive read alone, + analysis, + classification/bouts/sessions, + storage.
                var readCpu = Cpu();
                var (readSamples, readTime) = Time(() =>
                {
                    long n = 0;
                    foreach (var data in ParticipantArchive.Read(archiveRoot, participant, issue => throw new InvalidDataException(issue.ToString())))
                    {
                        n += data is AccelerationData a ? a.TimestampsNs.Length : 0;
                    }

                    return n;
                });
                readCpu = Cpu() - readCpu;
                var analysedCpu = Cpu();
                var analysed = await RescoreAsync(archiveRoot, participant, model, events => events, analyseOnly: true);
                analysedCpu = Cpu() - analysedCpu;
                var scoredCpu = Cpu();
                var scored = await RescoreAsync(archiveRoot, participant, model, events => events, analyseOnly: false);
                scoredCpu = Cpu() - scoredCpu;
                string stored = "";
                if (store)
                {
                    var connection = new InfluxConnectionOptions { Url = new Uri(url!), Database = $"bench_{Guid.NewGuid():N}", CreateDatabase = true };
                    var spool = Path.Combine(root, "spool-" + participant);
                    var watch = Stopwatch.StartNew();
                    var storedCpu = Cpu();
                    RescoreSummary summary;
                    await using (var influx = new InfluxLineWriter(new InfluxV1WriteEndpoint(http, connection), new InfluxWriterOptions { SpoolDirectory = spool }))
                    {
                        summary = await ArchiveRescore.RunAsync(archiveRoot, new RescoreOptions { Participant = participant, Model = model }, events => events.Store(influx), issue => throw new InvalidDataException(issue.ToString()));
                        await influx.FlushAsync();
                    }

                    watch.Stop();
                    storedCpu = Cpu() - storedCpu;
                    stored = string.Create(CultureInfo.InvariantCulture, $"; + storage {summary.Points:N0} points until stored {watch.Elapsed.TotalSeconds:0.00} s = {summary.AccelerometerSamples / watch.Elapsed.TotalSeconds:N0} samples/s (CPU {storedCpu:0.00} s = {summary.AccelerometerSamples / storedCpu:N0} samples per CPU-second)");
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{dataHours:0.0} h ({copies} x {recording.SubjectId}): {readSamples:N0} samples, archive {bytes / 1e6:0.00} MB = {(double)bytes / readSamples:0.00} B/sample, {bytes / 1e6 / dataHours:0.00} MB/h (written in {build.Elapsed.TotalSeconds:0.0} s); " +
                    $"read {readTime.TotalSeconds:0.00} s = {readSamples / readTime.TotalSeconds:N0} samples/s (CPU {readSamples / readCpu:N0}/s); + analysis {analysed.Seconds:0.00} s = {readSamples / analysed.Seconds:N0} samples/s (CPU {readSamples / analysedCpu:N0}/s); " +
                    $"+ classification {scored.Seconds:0.00} s = {readSamples / scored.Seconds:N0} samples/s (CPU {readSamples / scoredCpu:N0}/s) ({scored.Classified:N0} windows){stored}; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:0} MB; " +
                    $"load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
                Directory.Delete(archiveRoot, recursive: true);
            }

            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }

    private static async Task<(double Seconds, long Classified)> RescoreAsync(string root, string participant, ActivityModel model, Func<IObservable<PipelineEvent>, IObservable<PipelineEvent>> store, bool analyseOnly)
    {
        if (!analyseOnly)
        {
            var summary = await ArchiveRescore.RunAsync(root, new RescoreOptions { Participant = participant, Model = model }, store, issue => throw new InvalidDataException(issue.ToString()));
            return (summary.WallTime.TotalSeconds, summary.Classified);
        }

        var watch = Stopwatch.StartNew();
        long events = 0;
        var source = ParticipantArchive.Read(root, participant, issue => throw new InvalidDataException(issue.ToString()));
        using (System.Reactive.Linq.Observable.Create<DeviceData>(observer =>
        {
            foreach (var data in source)
            {
                observer.OnNext(data);
            }

            observer.OnCompleted();
            return System.Reactive.Disposables.Disposable.Empty;
        }).Score(new ParticipantContext(participant), null, (ActivityModel?)null, null).Subscribe(_ => events++))
        {
        }

        return (watch.Elapsed.TotalSeconds, 0);
    }

    /// <summary>CPU seconds (user + system) used by this process so far, all threads.</summary>
    private static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    private static (long Samples, TimeSpan Time) Time(Func<long> action)
    {
        var watch = Stopwatch.StartNew();
        var result = action();
        return (result, watch.Elapsed);
    }

    private static long SpanNs(List<DeviceData> decoded)
    {
        long first = long.MaxValue, last = long.MinValue;
        foreach (var data in decoded)
        {
            if (data is AccelerationData { TimestampsNs.Length: > 0 } a)
            {
                first = Math.Min(first, a.TimestampsNs[0]);
                last = Math.Max(last, a.TimestampsNs[^1]);
            }
        }

        return last - first;
    }

    private static DeviceData Shift(DeviceData data, long byNs)
    {
        if (byNs == 0)
        {
            return data;
        }

        switch (data)
        {
            case AccelerationData a:
                var t = new long[a.TimestampsNs.Length];
                for (var i = 0; i < t.Length; i++)
                {
                    t[i] = a.TimestampsNs[i] + byNs;
                }

                return a with { TimestampsNs = t };
            case HeartRateData h:
                return h with { TimestampNs = h.TimestampNs + byNs };
            case DeviceDisconnected d:
                return d with { LastDataNs = d.LastDataNs + byNs, DisconnectedNs = d.DisconnectedNs + byNs };
            case DeviceFault f:
                return f with { ReceivedNs = f.ReceivedNs + byNs };
            default:
                return data;
        }
    }
}
