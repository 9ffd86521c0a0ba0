using System.Diagnostics;
using System.Globalization;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using AdherencePipeline.Activity;
using AdherencePipeline.Archive;
using AdherencePipeline.BlueZ;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Sensors;
using AdherencePipeline.Service.Worker;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;

/// <summary>
/// N virtual Polar H10 straps streaming in real time into the worker's pipeline: frames are queued
/// in the BlueZ transport's own queue (its per-device share and reader), as a D-Bus notification
/// would queue them; from there on everything is the worker's composition — the shared published
/// queue, <c>DecodeDevice</c> per device, <c>ParticipantPipeline.Process</c> with the shipped model,
/// <c>Store</c> into an <see cref="InfluxLineWriter"/> with the worker's default settings (batches of
/// 5,000, 1-s flush interval, spool with fsync) and a real influxd. Each strap's decoded stream is
/// also archived (block-sealed and fsynced every 10 s), as <c>adherence run</c> does by default.
/// D-Bus and BlueZ are not exercised.
/// </summary>
internal static class LiveBenchmark
{
    public static async Task<int> RunAsync(string recordingPath, IReadOnlyList<int> wearables, TimeSpan duration, TimeSpan warmUp, string modelPath, string? url)
    {
        var repository = RepositoryRoot.Path;
        var profile = FirmwareProfileLoader.Load(Path.Combine(repository, "firmware-profiles", "polar-h10.json"));
        var model = ActivityModel.Load(Path.IsPathRooted(modelPath) ? modelPath : Path.Combine(repository, modelPath));
        var recording = RecordingCalibration.Calibrate(RecordingReader.Open(recordingPath).Single()).Recording;
        var plan = VirtualWearable.Plan(profile, RecordingReplay.ToSensorRecording(recording), new VirtualWearableOptions());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{recording.SubjectId}: {plan.Count:N0} notifications over {plan[^1].Offset.TotalMinutes:0} min; model {model.Version} ({model.Evaluator}); {Environment.ProcessorCount} cores"));
        InfluxServer? server = null;
        if (url is null)
        {
            server = await InfluxServer.StartAsync();
            url = server.Url.ToString();
        }

        try
        {
            foreach (var n in wearables)
            {
                await RunOnceAsync(n, plan, profile, model, new Uri(url), duration, warmUp);
            }

            return 0;
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }

    private static async Task RunOnceAsync(int n, IReadOnlyList<ScheduledNotification> plan, FirmwareProfile profile, ActivityModel model, Uri url, TimeSpan duration, TimeSpan warmUp)
    {
        var spool = Directory.CreateTempSubdirectory("live-bench-").FullName;
        var archiveRoot = Directory.CreateTempSubdirectory("live-bench-archive-").FullName;
        var archives = new List<ParticipantArchiveWriter>();
        using var http = new HttpClient();
        var connection = new InfluxConnectionOptions { Url = url, Database = $"bench_{Guid.NewGuid():N}", CreateDatabase = true };
        var writerOptions = new InfluxWriterOptions { SpoolDirectory = spool };
        var self = Process.GetCurrentProcess();
        var influxd = FindChild("influxd");
        var (heapBefore, workingSetBefore) = Memory(self);
        try
        {
            await using var writer = new InfluxLineWriter(new InfluxV1WriteEndpoint(http, connection), writerOptions);
            var addresses = Enumerable.Range(0, n).Select(i => string.Create(CultureInfo.InvariantCulture, $"02:00:00:00:{i / 256:X2}:{i % 256:X2}")).ToArray();
            await using var transport = new BlueZTransport(new BlueZOptions(), [profile], addresses.ToDictionary(a => a, _ => profile.Id, StringComparer.Ordinal));

            // The origin of every stored point: the notification time of the frame whose processing
            // emitted it (the pipeline runs synchronously on the transport's reader, frame by frame).
            long currentFrameNs = 0, written = 0;
            var latency = new LatencyProbe(writer);
            var data = transport.Data.Do(item => currentFrameNs = item.IsFrame ? item.Frame.ReceivedUnixNs : currentFrameNs).Publish();
            var pipelines = new List<Task>();
            for (var i = 0; i < n; i++)
            {
                var origins = new System.Collections.Concurrent.ConcurrentQueue<long>();
                var participant = string.Create(CultureInfo.InvariantCulture, $"L{i:D4}");
                var archive = new ParticipantArchiveWriter(archiveRoot, participant);
                archives.Add(archive);
                var stored = ParticipantArchive.Archive(data.DecodeDevice(profile, addresses[i]), archive)
                    .Process(new ParticipantPipelineOptions { Participant = participant, Model = () => model })
                    .Do(e =>
                    {
                        if (PipelinePoints.IsStored(e))
                        {
                            origins.Enqueue(currentFrameNs);
                        }
                    })
                    .Store(writer)
                    .Do(e =>
                    {
                        if (PipelinePoints.IsStored(e))
                        {
                            origins.TryDequeue(out var origin);
                            latency.Queued(Interlocked.Increment(ref written), origin);
                        }
                    });
                pipelines.Add(stored.DefaultIfEmpty().LastAsync().ToTask());
            }

            using var connectionToQueue = data.Connect();
            var feed = new WearableFeed(transport, plan, addresses, duration);
            var feeding = feed.RunAsync();
            var probing = latency.RunAsync();

            await Task.Delay(warmUp);
            latency.Recording = true;
            var wall = Stopwatch.StartNew();
            var cpu = self.TotalProcessorTime;
            var influxCpu = CpuTime(influxd);
            await feeding;
            var elapsed = wall.Elapsed;
            var cpuUsed = (self.TotalProcessorTime - cpu).TotalSeconds;
            var influxUsed = CpuTime(influxd) - influxCpu;
            latency.Recording = false;
            var (heapDuring, workingSetDuring) = Memory(self);
            var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];

            await transport.StopAsync(CancellationToken.None);
            await Task.WhenAll(pipelines);
            await writer.FlushAsync();
            latency.Stop();
            await probing;
            var statistics = writer.GetStatistics();
            var cores = Environment.ProcessorCount;
            var (p50, p99, max, samples) = latency.Percentiles();
            var flush = writerOptions.FlushInterval.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{n:N0} wearables, {elapsed.TotalSeconds:0} s measured after {warmUp.TotalSeconds:0} s warm-up (load average {load}): " +
                $"{feed.Frames:N0} frames ({feed.Frames / duration.TotalSeconds:N0}/s, {transport.FramesDropped:N0} dropped); " +
                $"pipeline CPU {cpuUsed / elapsed.TotalSeconds / cores * 100:0.0} % of {cores} cores ({cpuUsed / elapsed.TotalSeconds * 1000 / n:0.00} ms/s per wearable), influxd {influxUsed / elapsed.TotalSeconds / cores * 100:0.0} %; " +
                $"memory per wearable: GC heap {(heapDuring - heapBefore) / 1024.0 / n:0.0} KB, working set {(workingSetDuring - workingSetBefore) / 1024.0 / n:0.0} KB; " +
                $"latency notification → accepted by InfluxDB over {samples:N0} points: p50 {p50:0.000} s, p99 {p99:0.000} s, max {max:0.000} s " +
                $"(beyond the {flush:0.#}-s batch interval: p50 {p50 - flush:0.000} s, p99 {p99 - flush:0.000} s); " +
                $"{written:N0} points, {statistics.LinesAccepted:N0} accepted; " +
                $"archive {archives.Sum(a => a.Records):N0} records in {archives.Sum(a => a.Blocks):N0} blocks, {ArchiveBytes(archiveRoot) / 1024.0 / n:0.0} KB per wearable"));
        }
        finally
        {
            foreach (var archive in archives)
            {
                archive.Dispose();
            }

            Directory.Delete(spool, recursive: true);
            Directory.Delete(archiveRoot, recursive: true);
        }
    }

    private static long ArchiveBytes(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    private static (long Heap, long WorkingSet) Memory(Process self)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        self.Refresh();
        return (GC.GetTotalMemory(forceFullCollection: true), self.WorkingSet64);
    }

    private static int? FindChild(string name)
    {
        var parent = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                var comm = stat[(stat.IndexOf('(') + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                if (comm == name && fields[1] == parent)
                {
                    return int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return null;
    }

    /// <summary>User + system CPU seconds of a process (utime + stime in /proc/PID/stat); 0 when unknown.</summary>
    private static double CpuTime(int? pid)
    {
        if (pid is null)
        {
            return 0;
        }

        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields after the command: state is [0], utime [11], stime [12], in clock ticks (100 per second on Linux).
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>
    /// Sends each wearable's notifications at their real pace from one thread, as BlueZ would hand
    /// them over: wearable i starts at its own place in the recording and at its own phase within a
    /// second, so the frames of many straps do not arrive in lock step.
    /// </summary>
    private sealed class WearableFeed(BlueZTransport transport, IReadOnlyList<ScheduledNotification> plan, string[] addresses, TimeSpan duration)
    {
        public long Frames { get; private set; }

        public Task RunAsync() => Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning);

        private void Run()
        {
            var n = addresses.Length;
            var preamble = 0;
            while (preamble < plan.Count && plan[preamble].Offset == plan[0].Offset)
            {
                preamble++;
            }

            // Data to play: past the preamble, leaving room for the whole run.
            var playable = plan[^1].Offset - plan[preamble].Offset - duration - TimeSpan.FromMinutes(1);
            var start = new int[n];
            var next = new int[n];
            var due = new long[n];
            var phase = new long[n];
            for (var i = 0; i < n; i++)
            {
                var at = plan[preamble].Offset + TimeSpan.FromTicks(playable > TimeSpan.Zero ? playable.Ticks / n * i : 0);
                start[i] = preamble;
                while (start[i] < plan.Count - 1 && plan[start[i]].Offset < at)
                {
                    start[i]++;
                }

                next[i] = -preamble;
                phase[i] = TimeSpan.TicksPerSecond * i / n;
                due[i] = phase[i];
            }

            var clock = Stopwatch.StartNew();
            var end = duration.Ticks;
            while (true)
            {
                var now = clock.Elapsed.Ticks;
                if (now >= end)
                {
                    return;
                }

                var unixNs = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
                for (var i = 0; i < n; i++)
                {
                    while (due[i] <= now)
                    {
                        // The preamble (PMD start response, first heart rate) first, then the data from the wearable's start.
                        var index = next[i] < 0 ? next[i] + preamble : start[i] + next[i];
                        var notification = plan[index];
                        transport.PublishNotification(new RawFrame(addresses[i], notification.Characteristic, unixNs, notification.Payload));
                        Frames++;
                        next[i]++;
                        var following = next[i] < 0 ? next[i] + preamble : start[i] + next[i];
                        due[i] = next[i] <= 0 ? phase[i] : phase[i] + (plan[following].Offset - plan[start[i]].Offset).Ticks;
                    }
                }

                Thread.Sleep(2);
            }
        }
    }

    /// <summary>
    /// Pairs the n-th point queued for storage with the n-th line InfluxDB acknowledged: the writer
    /// keeps the order of its queue, so point n is accepted once the writer's count of accepted lines
    /// reaches n. Polled every 5 ms.
    /// </summary>
    private sealed class LatencyProbe(InfluxLineWriter writer)
    {
        private readonly Queue<(long Sequence, long OriginNs)> _pending = new();
        private readonly List<double> _seconds = [];
        private readonly Lock _gate = new();
        private volatile bool _stop;

        public volatile bool Recording;

        public void Queued(long sequence, long originNs)
        {
            if (!Recording || originNs == 0)
            {
                return;
            }

            lock (_gate)
            {
                _pending.Enqueue((sequence, originNs));
            }
        }

        public void Stop() => _stop = true;

        public async Task RunAsync()
        {
            while (!_stop)
            {
                await Task.Delay(5);
                Drain();
            }

            Drain();
        }

        public (double P50, double P99, double Max, int Samples) Percentiles()
        {
            lock (_gate)
            {
                if (_seconds.Count == 0)
                {
                    return (double.NaN, double.NaN, double.NaN, 0);
                }

                _seconds.Sort();
                return (_seconds[(int)(0.50 * (_seconds.Count - 1))], _seconds[(int)(0.99 * (_seconds.Count - 1))], _seconds[^1], _seconds.Count);
            }
        }

        private void Drain()
        {
            var accepted = writer.GetStatistics().LinesAccepted;
            var nowNs = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
            lock (_gate)
            {
                while (_pending.TryPeek(out var next) && next.Sequence <= accepted)
                {
                    _pending.Dequeue();
                    _seconds.Add((nowNs - next.OriginNs) / 1e9);
                }
            }
        }
    }
}
