using AdherencePipeline.Testing;
using NATS.Client.JetStream;

namespace AdherencePipeline.Nats.Tests;

/// <summary>
/// Gateways replaying real recordings, a real three-node cluster (R3), workers consuming into a real
/// influxd: whatever happens to workers, nodes or gateways, InfluxDB ends up holding exactly the points a
/// single-machine replay of the same recordings stores, in every measurement.
/// </summary>
[Collection(nameof(FrameDistributionGroup))]
public sealed class FrameWorkerTests(NatsClusterFixture nats, InfluxServerFixture influx) : IClassFixture<InfluxServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task TwoGatewaysTwoWorkers_StoreExactlyWhatReplayStores()
    {
        await using var rig = new WorkerRig(nats, influx.Server);
        var expected = await rig.ReplayAsync();
        var workers = new[] { rig.StartWorker("worker-1"), rig.StartWorker("worker-2") };
        var gatewayA = rig.Gateway(rig.SiteA);
        var gatewayB = rig.Gateway(rig.SiteB);

        await Task.WhenAll(rig.Wearers.Select(w => WorkerRig.PublishAsync(w.Site == rig.SiteA ? gatewayA : gatewayB, w, 0, w.Frames.Count)));
        await FlushAsync(gatewayA, gatewayB);
        await rig.WaitUntilProcessedAsync(Patience);
        var closed = await rig.CloseWearPeriodsAsync(workers, Patience);

        await rig.AssertSameAsReplayAsync(expected);
        Assert.Equal(rig.Wearers.Count, closed);
        // Both workers had a share of the participants.
        Assert.All(workers, w => Assert.True(w.Worker.GetStatistics().PartitionsTaken > 0, $"{w.Worker.Name} took no participant."));
        Assert.Equal(rig.Wearers.Sum(w => w.Frames.Count), workers.Sum(w => w.Worker.GetStatistics().FramesProcessed));
    }

    [Fact]
    public async Task WorkerKilledMidSession_TheOtherTakesItsParticipantsOverAndTheSessionClosesOnce()
    {
        await using var rig = new WorkerRig(nats, influx.Server);
        var expected = await rig.ReplayAsync();
        var victimWearer = rig.Wearers[0];
        var half = victimWearer.Frames.Count / 2;
        var session = Assert.Single(await rig.SessionsAsync(expected, victimWearer.Participant));
        // The cut falls inside the session the replay finds.
        Assert.InRange(victimWearer.Frames[half].ReceivedUnixNs, session.StartNs + 1, session.EndNs - 1);

        var workers = new[] { rig.StartWorker("worker-1"), rig.StartWorker("worker-2") };
        await Eventually.TrueAsync(() => workers.All(w => w.Worker.Owned.Count > 0) && workers.Sum(w => w.Worker.Owned.Count) == rig.Wearers.Count, Patience, "both workers to share the participants");
        var gateway = rig.Gateway(rig.SiteA);
        var gatewayB = rig.Gateway(rig.SiteB);
        await Task.WhenAll(rig.Wearers.Select(w => WorkerRig.PublishAsync(w.Site == rig.SiteA ? gateway : gatewayB, w, 0, w.Frames.Count / 2)));
        await FlushAsync(gateway, gatewayB);
        await rig.WaitUntilProcessedAsync(Patience);

        var victim = workers.Single(w => w.Worker.Owned.Contains(victimWearer.Key));
        var survivor = workers.Single(w => w != victim);
        var taken = victim.Worker.Owned;
        await victim.KillAsync();
        await Task.WhenAll(rig.Wearers.Select(w => WorkerRig.PublishAsync(w.Site == rig.SiteA ? gateway : gatewayB, w, w.Frames.Count / 2, w.Frames.Count)));
        await FlushAsync(gateway, gatewayB);
        await Eventually.TrueAsync(() => taken.All(survivor.Worker.Owned.Contains), Patience, "the survivor to take the dead worker's participants");
        await rig.WaitUntilProcessedAsync(Patience);
        var closed = await rig.CloseWearPeriodsAsync([survivor], Patience);

        await rig.AssertSameAsReplayAsync(expected);
        Assert.Equal(rig.Wearers.Count, closed);
        Assert.Equal(0, victim.Worker.GetStatistics().PeriodsClosed);
        Assert.True(survivor.Worker.GetStatistics().FramesReprocessed > 0, "the open wear periods were not rebuilt from the restart point");
        Assert.Single(await rig.SessionsAsync(rig.Database, victimWearer.Participant));
    }

    [Fact]
    public async Task NatsNodeKilledMidStreamAndRestarted_WorkersStoreExactlyWhatReplayStores()
    {
        await using var rig = new WorkerRig(nats, influx.Server);
        var expected = await rig.ReplayAsync();
        var workers = new[] { rig.StartWorker("worker-1"), rig.StartWorker("worker-2") };
        var gatewayA = rig.Gateway(rig.SiteA);
        var gatewayB = rig.Gateway(rig.SiteB);
        try
        {
            await Task.WhenAll(rig.Wearers.Select(w => WorkerRig.PublishAsync(w.Site == rig.SiteA ? gatewayA : gatewayB, w, 0, w.Frames.Count / 3)));
            await nats.Cluster.KillAsync(0);
            await Task.WhenAll(rig.Wearers.Select(w => WorkerRig.PublishAsync(w.Site == rig.SiteA ? gatewayA : gatewayB, w, w.Frames.Count / 3, 2 * w.Frames.Count / 3)));
            await nats.Cluster.RestartAsync(0);
            await Task.WhenAll(rig.Wearers.Select(w => WorkerRig.PublishAsync(w.Site == rig.SiteA ? gatewayA : gatewayB, w, 2 * w.Frames.Count / 3, w.Frames.Count)));
            await FlushAsync(gatewayA, gatewayB);
            await rig.WaitUntilProcessedAsync(Patience);
            await rig.CloseWearPeriodsAsync(workers, Patience);

            await rig.AssertSameAsReplayAsync(expected);
        }
        finally
        {
            await nats.Cluster.RestartAllAsync();
        }
    }

    // The one long test: the outage lasts the full 60 s while the gateway keeps receiving frames.
    [Fact]
    public async Task GatewayCutOffForSixtySeconds_SpoolDrainsInOrder_WorkersStoreExactlyWhatReplayStores()
    {
        await using var rig = new WorkerRig(nats, influx.Server);
        var expected = await rig.ReplayAsync();
        var workers = new[] { rig.StartWorker("worker-1"), rig.StartWorker("worker-2") };
        // Site A's gateway reaches the cluster through a relay that can be cut; site B's directly.
        await using var link = TcpProxy.Start(new Uri(nats.Cluster.NodeUrl(1)));
        var gatewayA = rig.Gateway(rig.SiteA, $"nats://127.0.0.1:{link.Port}");
        var gatewayB = rig.Gateway(rig.SiteB);
        var siteA = rig.Wearers.Where(w => w.Site == rig.SiteA).ToList();
        await Task.WhenAll(rig.Wearers.Select(w => WorkerRig.PublishAsync(w.Site == rig.SiteA ? gatewayA : gatewayB, w, 0, w.Frames.Count / 2)));
        await FlushAsync(gatewayA, gatewayB);

        var outage = System.Diagnostics.Stopwatch.StartNew();
        await link.CutAsync();
        await Task.WhenAll(rig.Wearers.Select(w => WorkerRig.PublishAsync(w.Site == rig.SiteA ? gatewayA : gatewayB, w, w.Frames.Count / 2, w.Frames.Count)));
        await FlushAsync(gatewayB);
        await Eventually.TrueAsync(() => gatewayA.GetStatistics() is { Outage: true, FailedAttempts: > 0 }, Patience, "the gateway to notice the outage");
        var spooled = siteA.Sum(w => w.Frames.Count - (w.Frames.Count / 2));
        Assert.Equal(spooled, gatewayA.GetStatistics().FramesSpooled);
        // The outage itself: a minute cut off while the workers and the other gateway go on.
        var rest = TimeSpan.FromSeconds(60) - outage.Elapsed;
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest);
        }

        Assert.Equal(spooled, gatewayA.GetStatistics().FramesSpooled);
        link.Restore();
        await FlushAsync(gatewayA);
        Assert.False(gatewayA.GetStatistics().Outage);
        await AssertStoredInOrderAsync(siteA);
        await rig.WaitUntilProcessedAsync(Patience);
        await rig.CloseWearPeriodsAsync(workers, Patience);

        await rig.AssertSameAsReplayAsync(expected);
    }

    private async Task AssertStoredInOrderAsync(IEnumerable<Wearer> wearers)
    {
        await using var connection = nats.Connect("observer");
        var jetStream = new NatsJSContext(connection);
        foreach (var wearer in wearers)
        {
            var received = new List<long>();
            using var deadline = new CancellationTokenSource(Patience);
            await foreach (var frame in StoredFrames.ReadAsync(jetStream, nats.Stream.Name, wearer.Site, wearer.Participant, 1, 0, deadline.Token))
            {
                Assert.Equal(FrameEnvelopeFault.None, frame.Fault);
                Assert.Equal(wearer.Participant, frame.Envelope.Participant);
                received.Add(frame.Frame.ReceivedUnixNs);
            }

            Assert.Equal(wearer.Frames.Select(f => f.ReceivedUnixNs), received);
        }
    }

    private static async Task FlushAsync(params FramePublisher[] gateways)
    {
        using var deadline = new CancellationTokenSource(Patience);
        await Task.WhenAll(gateways.Select(g => g.FlushAsync(deadline.Token)));
    }
}
