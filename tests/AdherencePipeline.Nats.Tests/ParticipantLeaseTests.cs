using NATS.Client.JetStream;

namespace AdherencePipeline.Nats.Tests;

/// <summary>Partition ownership and checkpoints in the real cluster's key-value buckets.</summary>
[Collection(nameof(FrameDistributionGroup))]
public sealed class ParticipantLeaseTests(NatsClusterFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static int _sites;
    private readonly string _site = $"lease{Interlocked.Increment(ref _sites)}x{Environment.ProcessId % 1000}";
    private readonly ParticipantLeaseOptions _options = new() { Ttl = TimeSpan.FromSeconds(2) };

    [Fact]
    public async Task Lease_HeldByOneWorker_IsRefusedToAnother()
    {
        await using var connection = fixture.Connect();
        var jetStream = new NatsJSContext(connection);
        var one = await ParticipantLeases.OpenAsync(jetStream, "worker-1", _options);
        var two = await ParticipantLeases.OpenAsync(jetStream, "worker-2", _options);

        var held = await one.TryAcquireAsync(_site, "P001");
        var refused = await two.TryAcquireAsync(_site, "P001");
        var other = await two.TryAcquireAsync(_site, "P002");

        Assert.NotNull(held);
        Assert.Null(refused);
        Assert.NotNull(other);
        Assert.True(await one.RenewAsync(held));
    }

    [Fact]
    public async Task Lease_OwnerStopsRenewing_AnotherWorkerTakesOverAndTheOldRenewalFails()
    {
        await using var connection = fixture.Connect();
        var jetStream = new NatsJSContext(connection);
        var dead = await ParticipantLeases.OpenAsync(jetStream, "worker-1", _options);
        var heir = await ParticipantLeases.OpenAsync(jetStream, "worker-2", _options);
        var old = await dead.TryAcquireAsync(_site, "P001");
        Assert.NotNull(old);

        var taken = await PollAsync(() => heir.TryAcquireAsync(_site, "P001"));

        Assert.Equal("worker-2", taken.Owner);
        Assert.False(await dead.RenewAsync(old));
        Assert.True(await heir.RenewAsync(taken));
    }

    [Fact]
    public async Task Lease_Released_IsFreeAtOnce()
    {
        await using var connection = fixture.Connect();
        var jetStream = new NatsJSContext(connection);
        // Long-lived leases in a bucket of their own: only the release can free this one within the test.
        var options = new ParticipantLeaseOptions { Bucket = "adherence_leases_long", Ttl = TimeSpan.FromMinutes(5) };
        var one = await ParticipantLeases.OpenAsync(jetStream, "worker-1", options);
        var two = await ParticipantLeases.OpenAsync(jetStream, "worker-2", options);
        var lease = await one.TryAcquireAsync(_site, "P001");

        await one.ReleaseAsync(lease!);

        Assert.NotNull(await two.TryAcquireAsync(_site, "P001"));
    }

    [Fact]
    public async Task Checkpoint_SavedUnderLease_LoadsBackForTheNextWorker()
    {
        await using var connection = fixture.Connect();
        var jetStream = new NatsJSContext(connection);
        var leases = await ParticipantLeases.OpenAsync(jetStream, "worker-1", _options);
        var checkpoints = await ParticipantCheckpoints.OpenAsync(jetStream, leases);
        var lease = await leases.TryAcquireAsync(_site, "P001");

        Assert.Null(await checkpoints.LoadAsync(_site, "P001"));
        Assert.True(await checkpoints.SaveAsync(lease!, 4711, new byte[] { 1, 2, 3 }));
        var loaded = await checkpoints.LoadAsync(_site, "P001");

        Assert.Equal(4711UL, loaded!.StreamSequence);
        Assert.Equal([1, 2, 3], loaded.State.ToArray());
    }

    [Fact]
    public async Task Checkpoint_AfterTheLeaseWasLost_IsNotSaved()
    {
        await using var connection = fixture.Connect();
        var jetStream = new NatsJSContext(connection);
        var deadLeases = await ParticipantLeases.OpenAsync(jetStream, "worker-1", _options);
        var heirLeases = await ParticipantLeases.OpenAsync(jetStream, "worker-2", _options);
        var dead = await ParticipantCheckpoints.OpenAsync(jetStream, deadLeases);
        var heir = await ParticipantCheckpoints.OpenAsync(jetStream, heirLeases);
        var old = await deadLeases.TryAcquireAsync(_site, "P001");
        var taken = await PollAsync(() => heirLeases.TryAcquireAsync(_site, "P001"));
        Assert.True(await heir.SaveAsync(taken, 20, new byte[] { 2 }));

        var saved = await dead.SaveAsync(old!, 10, new byte[] { 1 });

        Assert.False(saved);
        Assert.Equal(20UL, (await heir.LoadAsync(_site, "P001"))!.StreamSequence);
    }

    // Waits for a lease to expire: polls the acquire with a deadline, as a worker's claim loop does.
    private static async Task<ParticipantLease> PollAsync(Func<Task<ParticipantLease?>> acquire)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (true)
        {
            if (await acquire() is { } lease)
            {
                return lease;
            }

            await Task.Delay(100, deadline.Token);
        }
    }
}
