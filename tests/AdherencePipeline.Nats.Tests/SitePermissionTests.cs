using System.Buffers.Binary;
using AdherencePipeline.Sensors;
using AdherencePipeline.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AdherencePipeline.Nats.Tests;

/// <summary>
/// The per-site permissions of docs/deployment.md, on a real cluster: a gateway publishes only to its own
/// site; a worker with the documented permissions reads, acknowledges, leases and checkpoints.
/// </summary>
public sealed class SitePermissionTests : IAsyncLifetime
{
    private const string Accounts = """
        accounts {
          ADHERENCE: {
            jetstream: enabled
            users: [
              { user: gateway-oslo, password: oslo-secret, permissions: {
                  publish: { allow: ["adherence.frames.oslo.>"] }
                  subscribe: { allow: ["_INBOX_oslo.>"] } } }
              { user: worker, password: worker-secret, permissions: {
                  publish: { allow: ["$JS.API.>", "$JS.ACK.ADHERENCE_FRAMES.>", "$KV.adherence_leases.>", "$KV.adherence_checkpoints.>"] }
                  subscribe: { allow: ["_INBOX.>"] } } }
              { user: operator, password: operator-secret }
            ]
          }
          SYS: { users: [ { user: sys, password: sys-secret } ] }
        }
        system_account: SYS
        """;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _spoolRoot = Directory.CreateTempSubdirectory("adherence-site-spool-").FullName;
    private NatsCluster? _cluster;

    public async Task InitializeAsync()
    {
        _cluster = await NatsCluster.StartAsync(extraConfig: Accounts);
        await using var connection = Connect("operator", "operator-secret", "_INBOX");
        var jetStream = new NatsJSContext(connection);
        await FrameStreamReadiness.EnsureAsync(jetStream, new FrameStreamOptions(), Patience);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        Directory.Delete(_spoolRoot, recursive: true);
    }

    [Fact]
    public async Task Gateway_OwnSite_IsStored()
    {
        await using var connection = Connect("gateway-oslo", "oslo-secret", "_INBOX_oslo");
        await using var gateway = Publisher(new NatsJSContext(connection), "oslo");

        await gateway.EnqueueAsync("P001", "polar-h10", Frame(1));
        using var deadline = new CancellationTokenSource(Patience);
        await gateway.FlushAsync(deadline.Token);

        Assert.Equal(1, gateway.GetStatistics().FramesStored);
    }

    [Fact]
    public async Task Gateway_AnotherSitesSubjects_IsRefusedAndTheFramesStayInTheSpool()
    {
        await using var connection = Connect("gateway-oslo", "oslo-secret", "_INBOX_oslo");
        await using var gateway = Publisher(new NatsJSContext(connection), "bergen");

        await gateway.EnqueueAsync("P001", "polar-h10", Frame(1));
        await Eventually.TrueAsync(() => gateway.GetStatistics() is { FailedAttempts: >= 2, PermissionViolations: >= 2 }, Patience, "two refused attempts");

        var statistics = gateway.GetStatistics();
        Assert.Equal(0, statistics.FramesStored);
        Assert.Equal(1, statistics.FramesSpooled);
        Assert.True(statistics.Outage);
        await using var operatorConnection = Connect("operator", "operator-secret", "_INBOX");
        var stream = await new NatsJSContext(operatorConnection).GetStreamAsync("ADHERENCE_FRAMES");
        Assert.Equal(0L, stream.Info.State.Messages);
    }

    [Fact]
    public async Task Worker_DocumentedPermissions_ReadsAcknowledgesLeasesAndCheckpoints()
    {
        using var deadline = new CancellationTokenSource(Patience);
        await using (var gatewayConnection = Connect("gateway-oslo", "oslo-secret", "_INBOX_oslo"))
        await using (var gateway = Publisher(new NatsJSContext(gatewayConnection), "oslo"))
        {
            for (var i = 0; i < 3; i++)
            {
                await gateway.EnqueueAsync("P001", "polar-h10", Frame(i));
            }

            await gateway.FlushAsync(deadline.Token);
        }

        await using var connection = Connect("worker", "worker-secret", "_INBOX");
        var jetStream = new NatsJSContext(connection);
        var leases = await ParticipantLeases.OpenAsync(jetStream, "worker-a", new ParticipantLeaseOptions { Replicas = 3 }, deadline.Token);
        var checkpoints = await ParticipantCheckpoints.OpenAsync(jetStream, leases, cancellationToken: deadline.Token);
        await leases.HeartbeatAsync(deadline.Token);
        var lease = await leases.TryAcquireAsync("oslo", "P001", deadline.Token);
        Assert.NotNull(lease);
        var consumer = await ParticipantFrameConsumer.CreateAsync(jetStream, "ADHERENCE_FRAMES", "oslo", "P001", cancellationToken: deadline.Token);
        var frames = await consumer.TakeAsync(3, deadline.Token);
        var read = frames.Select(f => BinaryPrimitives.ReadInt32LittleEndian(f.Frame.Payload.Span)).ToList();
        var last = frames[^1].StreamSequence;

        Assert.True(await checkpoints.SaveAsync(lease, last, new byte[] { 1, 2, 3 }, deadline.Token));
        Assert.Equal(last, (await checkpoints.LoadAsync("oslo", "P001", deadline.Token))?.StreamSequence);
        Assert.Equal(1, await leases.CountLiveWorkersAsync(deadline.Token));
        Assert.Equal([0, 1, 2], read);
    }

    private NatsConnection Connect(string user, string password, string inboxPrefix) =>
        new(new NatsClientOptions { Url = _cluster!.UrlFor(user, password), InboxPrefix = inboxPrefix }.ToNatsOpts());

    private FramePublisher Publisher(INatsJSContext jetStream, string site) => new(jetStream, new FramePublisherOptions
    {
        Site = site,
        SpoolDirectory = Path.Combine(_spoolRoot, site),
        PublishTimeout = TimeSpan.FromSeconds(1),
        InitialRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromMilliseconds(500),
    });

    private static RawFrame Frame(int index)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(payload, index);
        return new RawFrame("A0:9E:1A:00:00:01", Guid.Parse("fb005c82-02e7-f387-1cad-8acd2d8df0c8"), 1_767_603_600_000_000_000, payload);
    }
}
