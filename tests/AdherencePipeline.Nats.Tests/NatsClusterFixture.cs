using AdherencePipeline.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AdherencePipeline.Nats.Tests;

/// <summary>One three-node cluster with the frame stream (replication 3) for the tests of a class; each test uses its own site.</summary>
public sealed class NatsClusterFixture : IAsyncLifetime
{
    private NatsCluster? _cluster;

    public NatsCluster Cluster => _cluster ?? throw new InvalidOperationException("The fixture has not started.");

    public FrameStreamOptions Stream { get; } = new() { Name = "ADHERENCE_FRAMES", Replicas = 3 };

    public NatsConnection Connect(string name = "test") =>
        new(new NatsClientOptions { Url = Cluster.Url, Name = name, RequestTimeout = TimeSpan.FromSeconds(5) }.ToNatsOpts());

    public async Task InitializeAsync()
    {
        _cluster = await NatsCluster.StartAsync().ConfigureAwait(false);
        await using var connection = Connect("provision");
        var jetStream = new NatsJSContext(connection);
        // The cluster elects its JetStream meta leader a moment after the nodes are ready: retry until it has.
        await FrameStreamReadiness.EnsureAsync(jetStream, Stream, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates a participant's consumer, retrying while the cluster has no JetStream leader yet (just
    /// after nodes restarted), as a worker's start-up loop would.
    /// </summary>
    public async Task<ParticipantFrameConsumer> CreateConsumerAsync(INatsJSContext jetStream, string site, string participant, ParticipantFrameConsumerOptions? options, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await ParticipantFrameConsumer.CreateAsync(jetStream, Stream.Name, site, participant, options, cancellationToken).ConfigureAwait(false);
            }
            catch (NatsException) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>Creating the frame stream on a cluster that has only just started.</summary>
internal static class FrameStreamReadiness
{
    /// <summary>
    /// Creates (or finds) the stream, retrying while the cluster has no JetStream meta leader yet: it elects
    /// one a moment after the nodes are ready.
    /// </summary>
    public static async Task EnsureAsync(INatsJSContext jetStream, FrameStreamOptions stream, TimeSpan patience)
    {
        using var deadline = new CancellationTokenSource(patience);
        while (true)
        {
            try
            {
                await FrameStreamProvisioning.EnsureAsync(jetStream, stream, deadline.Token).ConfigureAwait(false);
                return;
            }
            catch (NatsException) when (!deadline.IsCancellationRequested)
            {
                await Task.Delay(100, deadline.Token).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>Reading a participant's frames in a test.</summary>
internal static class ParticipantFrameReading
{
    /// <summary>The next <paramref name="count"/> frames in stream order, each acknowledged as it is read.</summary>
    public static async Task<List<ParticipantFrame>> TakeAsync(this ParticipantFrameConsumer consumer, int count, CancellationToken cancellationToken)
    {
        var frames = new List<ParticipantFrame>(count);
        await foreach (var frame in consumer.ReadAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            frames.Add(frame);
            await frame.AckAsync(cancellationToken).ConfigureAwait(false);
            if (frames.Count == count)
            {
                break;
            }
        }

        return frames;
    }
}
