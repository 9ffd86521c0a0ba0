using System.Buffers.Binary;
using AdherencePipeline.Sensors;
using AdherencePipeline.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AdherencePipeline.Nats.Tests;

/// <summary>
/// Gateways and workers against a real three-node cluster with replication 3: every frame arrives
/// once and in order through node crashes, a whole-cluster outage, re-sends and a worker's death.
/// </summary>
[Collection(nameof(FrameDistributionGroup))]
public sealed class FrameDistributionTests(NatsClusterFixture fixture) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static readonly Guid Characteristic = Guid.Parse("fb005c82-02e7-f387-1cad-8acd2d8df0c8");
    private static int _sites;
    private readonly string _site = $"site{Interlocked.Increment(ref _sites)}x{Environment.ProcessId % 1000}";
    private readonly string _spoolRoot = Directory.CreateTempSubdirectory("adherence-frame-spool-").FullName;

    [Fact]
    public async Task Stream_Provisioned_IsReplicatedThreeTimes()
    {
        await using var connection = fixture.Connect();
        var stream = await new NatsJSContext(connection).GetStreamAsync(fixture.Stream.Name);

        Assert.Equal(3, stream.Info.Config.NumReplicas);
        Assert.Equal(2, stream.Info.Cluster?.Replicas?.Count);
        Assert.Equal(fixture.Stream.DuplicateWindow, stream.Info.Config.DuplicateWindow);
    }

    [Fact]
    public async Task TwoGateways_SeveralParticipants_EveryFrameOnceAndInOrder()
    {
        const int PerParticipant = 150;
        string[] participants = ["P001", "P002", "P003", "P004"];
        await using var connection = fixture.Connect();
        var jetStream = new NatsJSContext(connection);
        await using var gatewayA = Publisher(jetStream, "a");
        await using var gatewayB = Publisher(jetStream, "b");

        // Gateway A serves P001 and P002, gateway B P003 and P004, interleaved as devices would send.
        for (var i = 0; i < PerParticipant; i++)
        {
            foreach (var (participant, index) in participants.Select((p, j) => (p, j)))
            {
                var gateway = index < 2 ? gatewayA : gatewayB;
                await gateway.EnqueueAsync(participant, "polar-h10", Frame(participant, i));
            }
        }

        await FlushAsync(gatewayA, gatewayB);
        var received = await Task.WhenAll(participants.Select(p => ReadAsync(jetStream, p, PerParticipant)));

        foreach (var (participant, frames) in participants.Zip(received))
        {
            AssertOnceInOrder(participant, frames, PerParticipant);
        }

        Assert.Equal(2 * PerParticipant, gatewayA.GetStatistics().FramesStored);
        Assert.Equal(0, gatewayA.GetStatistics().FramesDuplicate);
        Assert.Equal(0, gatewayB.GetStatistics().FramesSpooled);
    }

    // Two gateways started in the same millisecond number one device address from the same point: two
    // replay gateways both send as 'virtual:polar-h10', and pseudonyms (hence the test straps' addresses)
    // may repeat across sites. The stream's duplicate detection spans every subject, so with message ids
    // of device and sequence alone the second gateway's frames were acknowledged as duplicates and never
    // stored, and its participants' workers waited for them for ever (the stalled two-worker benchmark).
    [Fact]
    public async Task TwoSitesStartedTogether_OneDeviceAddress_EveryFrameStored()
    {
        const int PerParticipant = 100;
        var clock = new FrozenWallClock(DateTimeOffset.UtcNow);
        var otherSite = _site + "b";
        await using var connection = fixture.Connect();
        var jetStream = new NatsJSContext(connection);
        await using var gatewayA = Publisher(jetStream, "a", _site, clock);
        await using var gatewayB = Publisher(jetStream, "b", otherSite, clock);
        Assert.Equal(gatewayA.Sequencer.RunStart, gatewayB.Sequencer.RunStart);

        for (var i = 0; i < PerParticipant; i++)
        {
            await gatewayA.EnqueueAsync("P001", "polar-h10", Frame("P001", i));
            await gatewayB.EnqueueAsync("P001", "polar-h10", Frame("P001", i));
        }

        await FlushAsync(gatewayA, gatewayB);

        Assert.Equal((PerParticipant, 0L), (gatewayA.GetStatistics().FramesStored, gatewayA.GetStatistics().FramesDuplicate));
        Assert.Equal((PerParticipant, 0L), (gatewayB.GetStatistics().FramesStored, gatewayB.GetStatistics().FramesDuplicate));
        AssertOnceInOrder("P001", await ReadAsync(jetStream, "P001", PerParticipant), PerParticipant);
        AssertOnceInOrder("P001", await ReadAsync(jetStream, "P001", PerParticipant, site: otherSite), PerParticipant, otherSite);
    }

    [Fact]
    public async Task TwoReplayGateways_SameRecordingForTwoParticipants_EveryFrameOfBothArrives()
    {
        // What two `adherence gateway --replay` runs of one recording publish: the virtual wearable's shared
        // address, the same payloads and times, and (both runs started in the same microsecond) the same
        // device sequences. Only the participant tells their frames apart.
        var (calibrated, _) = Recordings.RecordingCalibration.Calibrate(Recordings.RecordingReader.Open(WorkerRig.DemoRecording)[0]);
        var wearable = new VirtualWearable(WorkerRig.PolarH10, Pipeline.RecordingReplay.ToSensorRecording(calibrated), new VirtualWearableOptions { DeviceAddress = "virtual:polar-h10" });
        var startNs = 1_767_603_600_000_000_000L;
        RawFrame[] frames = [.. wearable.Notifications.Take(200).Select(n => new RawFrame(wearable.Options.DeviceAddress, n.Characteristic, startNs + n.Offset.Ticks * 100, n.Payload))];
        var clock = new FrozenWallClock(DateTimeOffset.UtcNow);
        await using var connection = fixture.Connect();
        var jetStream = new NatsJSContext(connection);
        await using var gatewayA = Publisher(jetStream, "replay-a", time: clock);
        await using var gatewayB = Publisher(jetStream, "replay-b", time: clock);

        foreach (var frame in frames)
        {
            await gatewayA.EnqueueAsync("P001", "polar-h10", frame);
            await gatewayB.EnqueueAsync("P002", "polar-h10", frame);
        }

        await FlushAsync(gatewayA, gatewayB);

        Assert.Equal(gatewayA.Sequencer.RunStart, gatewayB.Sequencer.RunStart);
        Assert.Equal(frames.Length, gatewayA.GetStatistics().FramesStored);
        Assert.Equal(frames.Length, gatewayB.GetStatistics().FramesStored);
        Assert.Equal(0, gatewayB.GetStatistics().FramesDuplicate);
        var received = await Task.WhenAll(ReadAsync(jetStream, "P001", frames.Length), ReadAsync(jetStream, "P002", frames.Length));
        Assert.All(received, r => Assert.Equal(frames.Select(f => f.ReceivedUnixNs), r.Select(f => f.Frame.ReceivedUnixNs)));
    }

    [Fact]
    public async Task NodeKilledMidStream_AndRestarted_NothingLostOrDoubled()
    {
        const int Total = 600;
        await using var connection = fixture.Connect();
        var jetStream = new NatsJSContext(connection);
        await using var gateway = Publisher(jetStream, "g");
        var reading = ReadAsync(jetStream, "P001", Total);
        try
        {
            var publishing = Task.Run(async () =>
            {
                for (var i = 0; i < Total; i++)
                {
                    await gateway.EnqueueAsync("P001", "polar-h10", Frame("P001", i));
                }
            });

            await Eventually.TrueAsync(() => gateway.GetStatistics().FramesStored >= Total / 3, Patience, "a third of the frames stored");
            await fixture.Cluster.KillAsync(0);
            await Eventually.TrueAsync(() => gateway.GetStatistics().FramesStored >= 2 * Total / 3, Patience, "two thirds stored with a node down");
            await fixture.Cluster.RestartAsync(0);
            await publishing;
            await FlushAsync(gateway);

            AssertOnceInOrder("P001", await reading, Total);
        }
        finally
        {
            await fixture.Cluster.RestartAllAsync();
        }
    }

    // The outage here lasts as long as the test takes to spool its frames (a few seconds), not the
    // issue's 60 s: nothing in the publisher depends on the outage's length except the retry back-off,
    // capped at 1 s here, so a longer outage only adds retries.
    [Fact]
    public async Task GatewayCutOffFromCluster_SpoolDrainsInOrderAfterReconnect()
    {
        const int Before = 100, During = 300;
        await using var connection = fixture.Connect();
        var jetStream = new NatsJSContext(connection);
        await using var gateway = Publisher(jetStream, "g");
        try
        {
            for (var i = 0; i < Before; i++)
            {
                await gateway.EnqueueAsync("P001", "polar-h10", Frame("P001", i));
            }

            await FlushAsync(gateway);
            await fixture.Cluster.KillAllAsync();
            for (var i = Before; i < Before + During; i++)
            {
                await gateway.EnqueueAsync("P001", "polar-h10", Frame("P001", i));
            }

            await Eventually.TrueAsync(() => gateway.GetStatistics() is { Outage: true, FailedAttempts: > 0 }, Patience, "the publisher to notice the outage");
            Assert.Equal(During, gateway.GetStatistics().FramesSpooled);
            Assert.Equal(Before, gateway.GetStatistics().FramesStored);

            await fixture.Cluster.RestartAllAsync();
            await FlushAsync(gateway);

            Assert.False(gateway.GetStatistics().Outage);
            AssertOnceInOrder("P001", await ReadAsync(jetStream, "P001", Before + During), Before + During);
        }
        finally
        {
            await fixture.Cluster.RestartAllAsync();
        }
    }

    [Fact]
    public async Task GatewayRestartedDuringOutage_SpoolOfTheEarlierRunDrains()
    {
        const int Frames = 200;
        var spool = Path.Combine(_spoolRoot, "restart");
        try
        {
            await using (var connection = fixture.Connect())
            {
                await fixture.Cluster.KillAllAsync();
                await using var gateway = Publisher(new NatsJSContext(connection), spool);
                for (var i = 0; i < Frames; i++)
                {
                    await gateway.EnqueueAsync("P001", "polar-h10", Frame("P001", i));
                }

                await Eventually.TrueAsync(() => gateway.GetStatistics().FramesSpooled == Frames, Patience, "every frame on disk");
            }

            await fixture.Cluster.RestartAllAsync();
            await using var again = fixture.Connect();
            var jetStream = new NatsJSContext(again);
            await using var restarted = Publisher(jetStream, spool);
            Assert.Equal(Frames, restarted.GetStatistics().FramesSpooled);
            await FlushAsync(restarted);

            AssertOnceInOrder("P001", await ReadAsync(jetStream, "P001", Frames), Frames);
        }
        finally
        {
            await fixture.Cluster.RestartAllAsync();
        }
    }

    [Fact]
    public async Task SameFramesSentAgain_AreStoredOnce()
    {
        const int Frames = 50;
        await using var connection = fixture.Connect();
        var jetStream = new NatsJSContext(connection);
        await using var gateway = Publisher(jetStream, "g");
        var sent = new List<FrameEnvelope>();
        for (var i = 0; i < Frames; i++)
        {
            sent.Add(await gateway.EnqueueAsync("P001", "polar-h10", Frame("P001", i)));
        }

        await FlushAsync(gateway);
        foreach (var envelope in sent)
        {
            await gateway.EnqueueAsync(envelope);
        }

        await FlushAsync(gateway);

        Assert.Equal(Frames, gateway.GetStatistics().FramesStored);
        Assert.Equal(Frames, gateway.GetStatistics().FramesDuplicate);
        AssertOnceInOrder("P001", await ReadAsync(jetStream, "P001", Frames), Frames);
        var consumer = await jetStream.GetConsumerAsync(fixture.Stream.Name, FrameSubjects.ConsumerName(_site, "P001"));
        Assert.Equal(0UL, consumer.Info.NumPending);
    }

    [Fact]
    public async Task WorkerKilledMidFrame_NextWorkerResumesAtTheUnacknowledgedFrame()
    {
        const int Frames = 40, ProcessedByFirst = 15;
        var options = new ParticipantFrameConsumerOptions { AckWait = TimeSpan.FromSeconds(2), PullExpires = TimeSpan.FromSeconds(1) };
        await using var connection = fixture.Connect();
        var jetStream = new NatsJSContext(connection);
        await using (var gateway = Publisher(jetStream, "g"))
        {
            for (var i = 0; i < Frames; i++)
            {
                await gateway.EnqueueAsync("P001", "polar-h10", Frame("P001", i));
            }

            await FlushAsync(gateway);
        }

        // The first worker acknowledges 15 frames, receives the 16th, and dies before acknowledging it.
        var first = new List<ParticipantFrame>();
        await using (var workerConnection = fixture.Connect("worker-1"))
        {
            using var cancel = new CancellationTokenSource(Patience);
            var consumer = await fixture.CreateConsumerAsync(new NatsJSContext(workerConnection), _site, "P001", options, cancel.Token);
            await foreach (var frame in consumer.ReadAsync(cancellationToken: cancel.Token))
            {
                first.Add(frame);
                if (first.Count == ProcessedByFirst + 1)
                {
                    break;
                }

                await frame.AckAsync();
            }
        }

        await using var secondConnection = fixture.Connect("worker-2");
        var second = await ReadAsync(new NatsJSContext(secondConnection), "P001", Frames - ProcessedByFirst, options);

        Assert.Equal(Index(first[ProcessedByFirst]), Index(second[0]));
        Assert.True(second[0].DeliveryCount >= 2);
        AssertOnceInOrder("P001", [.. first.Take(ProcessedByFirst), .. second], Frames);
    }

    [Fact]
    public async Task WorkerResumingFromCheckpoint_SkipsFramesAlreadyInItsState()
    {
        const int Frames = 30;
        await using var connection = fixture.Connect();
        var jetStream = new NatsJSContext(connection);
        await using (var gateway = Publisher(jetStream, "g"))
        {
            for (var i = 0; i < Frames; i++)
            {
                await gateway.EnqueueAsync("P001", "polar-h10", Frame("P001", i));
            }

            await FlushAsync(gateway);
        }

        var options = new ParticipantFrameConsumerOptions { AckWait = TimeSpan.FromSeconds(2), PullExpires = TimeSpan.FromSeconds(1) };
        ulong checkpoint;
        using (var cancel = new CancellationTokenSource(Patience))
        {
            var consumer = await fixture.CreateConsumerAsync(jetStream, _site, "P001", options, cancel.Token);
            // Processed frame 10 into the state and checkpointed it, then died before acknowledging.
            checkpoint = 0;
            await foreach (var frame in consumer.ReadAsync(cancellationToken: cancel.Token))
            {
                if (Index(frame) == 10)
                {
                    checkpoint = frame.StreamSequence;
                    break;
                }

                await frame.AckAsync();
            }
        }

        var rest = await ReadAsync(jetStream, "P001", Frames - 11, options, checkpoint);

        Assert.Equal(Enumerable.Range(11, Frames - 11), rest.Select(Index));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_spoolRoot, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    private FramePublisher Publisher(INatsJSContext jetStream, string spoolName, string? site = null, TimeProvider? time = null) => new(jetStream, new FramePublisherOptions
    {
        Site = site ?? _site,
        SpoolDirectory = Path.IsPathRooted(spoolName) ? spoolName : Path.Combine(_spoolRoot, spoolName),
        PublishTimeout = TimeSpan.FromSeconds(2),
        InitialRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromSeconds(1),
    }, time: time);

    private static async Task FlushAsync(params FramePublisher[] gateways)
    {
        using var deadline = new CancellationTokenSource(Patience);
        await Task.WhenAll(gateways.Select(g => g.FlushAsync(deadline.Token)));
    }

    // A frame whose payload says which participant and which index it is, so order and identity can be checked.
    private static RawFrame Frame(string participant, int index)
    {
        var payload = new byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(payload, index);
        System.Text.Encoding.ASCII.GetBytes(participant.PadRight(8).AsSpan(0, 8), payload.AsSpan(4));
        return new RawFrame(string.Concat("A0:9E:1A:00:00:", participant.AsSpan(participant.Length - 2)), Characteristic, 1_767_603_600_000_000_000 + index * 40_000_000L, payload);
    }

    private static int Index(ParticipantFrame frame) => BinaryPrimitives.ReadInt32LittleEndian(frame.Frame.Payload.Span);

    private async Task<List<ParticipantFrame>> ReadAsync(INatsJSContext jetStream, string participant, int count, ParticipantFrameConsumerOptions? options = null, ulong resumeAfter = 0, string? site = null)
    {
        using var cancel = new CancellationTokenSource(Patience);
        var consumer = await fixture.CreateConsumerAsync(jetStream, site ?? _site, participant, options, cancel.Token);
        var frames = new List<ParticipantFrame>(count);
        await foreach (var frame in consumer.ReadAsync(resumeAfter, cancel.Token))
        {
            Assert.Equal(FrameEnvelopeFault.None, frame.Fault);
            frames.Add(frame);
            await frame.AckAsync();
            if (frames.Count == count)
            {
                break;
            }
        }

        return frames;
    }

    private void AssertOnceInOrder(string participant, IReadOnlyList<ParticipantFrame> frames, int count, string? site = null)
    {
        Assert.Equal(Enumerable.Range(0, count), frames.Select(Index));
        Assert.All(frames, f =>
        {
            Assert.Equal(site ?? _site, f.Envelope.Site);
            Assert.Equal(participant, f.Envelope.Participant);
            Assert.Equal("polar-h10", f.Envelope.ProfileId);
        });
        Assert.Equal(frames.Select(f => f.StreamSequence).Order(), frames.Select(f => f.StreamSequence));
        Assert.Equal(count, frames.Select(f => f.Envelope.MessageId).Distinct().Count());
    }
}

[CollectionDefinition(nameof(FrameDistributionGroup))]
public sealed class FrameDistributionGroup : ICollectionFixture<NatsClusterFixture>;

/// <summary>A wall clock stopped at one instant (so two gateways start in the same microsecond); timers run on real time.</summary>
internal sealed class FrozenWallClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
