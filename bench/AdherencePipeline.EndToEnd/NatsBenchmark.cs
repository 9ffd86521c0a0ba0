using System.Diagnostics;
using System.Globalization;
using AdherencePipeline.Nats;
using AdherencePipeline.Sensors;
using AdherencePipeline.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;

/// <summary>
/// Frames per second and latency from gateway to worker through a real NATS cluster: gateways publish
/// PMD-sized frames through their spools, one consumer per participant reads and acknowledges them.
/// </summary>
internal static class NatsBenchmark
{
    public static async Task<int> RunAsync(int gateways, int participantsPerGateway, int framesPerParticipant, int replicas, double? ratePerGateway, string? url)
    {
        NatsCluster? cluster = null;
        if (url is null)
        {
            cluster = await NatsCluster.StartAsync();
            url = cluster.Url;
        }

        var root = Directory.CreateTempSubdirectory("nats-bench-").FullName;
        try
        {
            await using var connection = new NatsConnection(new NatsClientOptions { Url = url, Name = "bench" }.ToNatsOpts());
            var jetStream = new NatsJSContext(connection);
            var stream = new FrameStreamOptions { Name = $"BENCH_{Guid.NewGuid():N}", Replicas = replicas };
            await ProvisionAsync(jetStream, stream);
            var run = Guid.NewGuid().ToString("N")[..6];
            var sites = Enumerable.Range(0, gateways).Select(g => $"bench{run}g{g}").ToArray();
            var participants = sites.SelectMany(site => Enumerable.Range(0, participantsPerGateway).Select(p => (Site: site, Participant: $"P{p:D3}"))).ToArray();
            var latenciesMs = new List<double>[participants.Length];
            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(30));

            var consumers = new Task[participants.Length];
            for (var i = 0; i < participants.Length; i++)
            {
                var index = i;
                var consumer = await ParticipantFrameConsumer.CreateAsync(jetStream, stream.Name, participants[i].Site, participants[i].Participant, cancellationToken: cancel.Token);
                latenciesMs[i] = new List<double>(framesPerParticipant);
                consumers[i] = Task.Run(async () =>
                {
                    var received = 0;
                    await foreach (var frame in consumer.ReadAsync(cancellationToken: cancel.Token))
                    {
                        await frame.AckAsync(cancel.Token);
                        latenciesMs[index].Add((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000 - frame.Frame.ReceivedUnixNs) / 1e6);
                        if (++received == framesPerParticipant)
                        {
                            return;
                        }
                    }
                });
            }

            var payload = new byte[229];
            Random.Shared.NextBytes(payload);
            var characteristic = Guid.Parse("fb005c82-02e7-f387-1cad-8acd2d8df0c8");
            var watch = Stopwatch.StartNew();
            var publishers = sites.Select(site => Task.Run(async () =>
            {
                await using var publisher = new FramePublisher(jetStream, new FramePublisherOptions { Site = site, SpoolDirectory = Path.Combine(root, site) });
                var started = Stopwatch.GetTimestamp();
                for (var f = 0; f < framesPerParticipant; f++)
                {
                    // Paced, the latency is the transport's; unpaced, it includes the backlog of a burst.
                    if (ratePerGateway is { } rate && TimeSpan.FromSeconds(f * participantsPerGateway / rate) - Stopwatch.GetElapsedTime(started) is { } due && due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, cancel.Token);
                    }

                    for (var p = 0; p < participantsPerGateway; p++)
                    {
                        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
                        await publisher.EnqueueAsync($"P{p:D3}", "polar-h10", new RawFrame($"AA:00:00:00:{p / 256:X2}:{p % 256:X2}", characteristic, now, payload), cancel.Token);
                    }
                }

                await publisher.FlushAsync(cancel.Token);
                return publisher.GetStatistics();
            })).ToArray();

            var statistics = await Task.WhenAll(publishers);
            var published = watch.Elapsed;
            await Task.WhenAll(consumers);
            var consumed = watch.Elapsed;
            var total = (long)participants.Length * framesPerParticipant;
            var all = latenciesMs.SelectMany(l => l).Order().ToArray();
            var c = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(c, $"{gateways} gateway(s) x {participantsPerGateway} participant(s) x {framesPerParticipant:N0} frames of {payload.Length} bytes, replication {replicas}, {(ratePerGateway is { } r ? $"paced at {r:N0} frames/s per gateway" : "as fast as possible")}, {(cluster is null ? url : "private 3-node cluster")}"));
            Console.WriteLine(string.Create(c, $"  published   {total:N0} frames in {published.TotalSeconds:0.00} s: {total / published.TotalSeconds:N0} frames/s stored by JetStream ({statistics.Sum(s => s.FailedAttempts)} failed attempts)"));
            Console.WriteLine(string.Create(c, $"  consumed    {all.Length:N0} frames by {participants.Length} consumers, last at {consumed.TotalSeconds:0.00} s: {total / consumed.TotalSeconds:N0} frames/s end to end"));
            Console.WriteLine(string.Create(c, $"  latency     gateway enqueue -> worker ack: p50 {Percentile(all, 0.5):0.0} ms, p95 {Percentile(all, 0.95):0.0} ms, p99 {Percentile(all, 0.99):0.0} ms"));
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
                // The cluster elects its JetStream leader a moment after start.
                await Task.Delay(100, deadline.Token);
            }
        }
    }

    private static double Percentile(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
}
