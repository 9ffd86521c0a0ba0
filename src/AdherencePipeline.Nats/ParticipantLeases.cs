using System.Text;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace AdherencePipeline.Nats;

/// <summary>Settings of partition ownership (configuration section <c>Nats:Leases</c>).</summary>
public sealed class ParticipantLeaseOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Nats:Leases";

    /// <summary>The key-value bucket that holds one lease per participant.</summary>
    public string Bucket { get; set; } = "adherence_leases";

    /// <summary>
    /// How long a lease lives without renewal: after a worker dies, its participants wait this long
    /// before another worker takes them over. Renew every third of it.
    /// </summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Copies of the bucket across the cluster.</summary>
    public int Replicas { get; set; } = 3;

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is wrong.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Bucket) || !Bucket.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException($"Nats:Leases:Bucket '{Bucket}' is not a bucket name (letters, digits, '-', '_').");
        }

        if (Ttl < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException("Nats:Leases:Ttl must be at least 1 s.");
        }

        if (Replicas is < 1 or > 5)
        {
            throw new ArgumentException($"Nats:Leases:Replicas is {Replicas}; JetStream allows 1 to 5.");
        }
    }
}

/// <summary>A worker's ownership of one participant, valid while renewed within the lease's time to live.</summary>
public sealed class ParticipantLease
{
    internal ParticipantLease(string site, string participant, string owner, ulong revision)
    {
        Site = site;
        Participant = participant;
        Owner = owner;
        Revision = revision;
    }

    /// <summary>The participant's site.</summary>
    public string Site { get; }

    /// <summary>The participant.</summary>
    public string Participant { get; }

    /// <summary>The worker holding the lease.</summary>
    public string Owner { get; }

    /// <summary>The bucket revision of the last acquire or renewal: a renewal must name it.</summary>
    public ulong Revision { get; internal set; }
}

/// <summary>
/// One worker per participant at a time: a lease is a key <c>&lt;site&gt;.&lt;participant&gt;</c> in a
/// JetStream key-value bucket whose entries expire after <see cref="ParticipantLeaseOptions.Ttl"/>.
/// A worker acquires a lease by creating the key (which fails while another worker's lease lives) and
/// keeps it by updating the key at the revision it last wrote; a worker that dies stops renewing, its
/// key expires, and the next worker's create succeeds. A renewal that finds another revision means the
/// lease was lost: the worker must stop processing that participant at once.
/// </summary>
public sealed class ParticipantLeases
{
    private readonly INatsKVStore _store;

    private ParticipantLeases(INatsKVStore store, string owner, ParticipantLeaseOptions options)
    {
        _store = store;
        Owner = owner;
        Options = options;
    }

    /// <summary>This worker's name, stored in its leases.</summary>
    public string Owner { get; }

    /// <summary>The settings.</summary>
    public ParticipantLeaseOptions Options { get; }

    /// <summary>How often a held lease should be renewed: a third of its time to live.</summary>
    public TimeSpan RenewInterval => Options.Ttl / 3;

    /// <summary>Opens (creating when missing) the lease bucket for the worker <paramref name="owner"/>.</summary>
    public static async Task<ParticipantLeases> OpenAsync(INatsJSContext jetStream, string owner, ParticipantLeaseOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jetStream);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        options ??= new ParticipantLeaseOptions();
        options.Validate();
        var store = await new NatsKVContext(jetStream).CreateOrUpdateStoreAsync(new NatsKVConfig(options.Bucket)
        {
            Description = "One lease per participant: which worker processes its frames",
            History = 1,
            MaxAge = options.Ttl,
            NumberOfReplicas = options.Replicas,
        }, cancellationToken).ConfigureAwait(false);
        return new ParticipantLeases(store, owner, options);
    }

    /// <summary>The lease of a participant, or <c>null</c> while another worker holds it.</summary>
    public async Task<ParticipantLease?> TryAcquireAsync(string site, string participant, CancellationToken cancellationToken = default)
    {
        var key = Key(site, participant);
        var owner = Encoding.UTF8.GetBytes(Owner);
        try
        {
            var revision = await _store.CreateAsync(key, owner, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new ParticipantLease(site, participant, Owner, revision);
        }
        catch (NatsKVCreateException)
        {
            // Held: by another worker, or by this one before a restart, which may take it back at once.
        }

        try
        {
            var entry = await _store.GetEntryAsync<byte[]>(key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (entry.Value is { } holder && holder.AsSpan().SequenceEqual(owner))
            {
                var revision = await _store.UpdateAsync(key, owner, entry.Revision, cancellationToken: cancellationToken).ConfigureAwait(false);
                return new ParticipantLease(site, participant, Owner, revision);
            }
        }
        catch (NatsKVException)
        {
            // Expired, deleted or taken between the two calls: the next attempt decides.
        }

        return null;
    }

    /// <summary>Extends the lease; <c>false</c> when it was lost (expired and possibly taken by another worker).</summary>
    public async Task<bool> RenewAsync(ParticipantLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        try
        {
            lease.Revision = await _store.UpdateAsync(Key(lease.Site, lease.Participant), Encoding.UTF8.GetBytes(Owner), lease.Revision, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NatsKVWrongLastRevisionException)
        {
            return false;
        }
    }

    /// <summary>Gives the participant up now, so another worker need not wait for the lease to expire.</summary>
    public async Task ReleaseAsync(ParticipantLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        try
        {
            await _store.DeleteAsync(Key(lease.Site, lease.Participant), new NatsKVDeleteOpts { Revision = lease.Revision }, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsKVWrongLastRevisionException)
        {
            // Already lost: nothing of ours to release.
        }
    }

    /// <summary>
    /// Announces this worker as alive for one <see cref="ParticipantLeaseOptions.Ttl"/>: workers share the
    /// participants among those announced (<see cref="CountLiveWorkersAsync"/>). Call every <see cref="RenewInterval"/>.
    /// </summary>
    public async Task HeartbeatAsync(CancellationToken cancellationToken = default) =>
        await _store.PutAsync(WorkerKey(Owner), Encoding.UTF8.GetBytes(Owner), cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>How many workers announced themselves within the last <see cref="ParticipantLeaseOptions.Ttl"/> (this one included once it did).</summary>
    public async Task<int> CountLiveWorkersAsync(CancellationToken cancellationToken = default)
    {
        var count = 0;
        try
        {
            // All keys, filtered here: the client sends a key filter as filter_subjects, which nats-server
            // before 2.10 ignores, so participants' leases would be counted as workers.
            await foreach (var key in _store.GetKeysAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                count += key.StartsWith(WorkerPrefix + ".", StringComparison.Ordinal) ? 1 : 0;
            }
        }
        catch (NatsKVException)
        {
            // No key at all yet.
        }

        return count;
    }

    // '=' is not allowed in a site token, so a worker's key never meets a participant's.
    private const string WorkerPrefix = "=workers";

    private static string WorkerKey(string owner)
    {
        var token = new StringBuilder(owner.Length);
        foreach (var c in owner)
        {
            token.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '=' ? c : '_');
        }

        return $"{WorkerPrefix}.{token}";
    }

    internal static string Key(string site, string participant)
    {
        FrameSubjects.ThrowIfInvalidToken(site, nameof(site));
        FrameSubjects.ThrowIfInvalidToken(participant, nameof(participant));
        return $"{site}.{participant}";
    }
}
