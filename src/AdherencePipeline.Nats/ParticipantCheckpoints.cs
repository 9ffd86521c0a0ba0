using System.Buffers.Binary;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace AdherencePipeline.Nats;

/// <summary>A participant's saved processing state: the last frame it includes, and the worker's own bytes.</summary>
/// <param name="StreamSequence">The stream sequence of the last frame folded into <paramref name="State"/>; resume after it.</param>
/// <param name="State">The open-session state as the worker serialised it.</param>
public sealed record ParticipantCheckpoint(ulong StreamSequence, ReadOnlyMemory<byte> State);

/// <summary>
/// Where workers keep each participant's open-session state, in a JetStream key-value bucket (key
/// <c>&lt;site&gt;.&lt;participant&gt;</c>, value <c>[uint64 stream sequence, little-endian][state]</c>),
/// so a worker that takes a participant over resumes with the state the previous one had and skips
/// the frames already in it (<see cref="ParticipantFrameConsumer.ReadAsync"/>): no session lost or
/// counted twice. Saving renews the worker's lease first, so a worker that lost its lease cannot
/// overwrite its successor's checkpoint.
/// </summary>
public sealed class ParticipantCheckpoints
{
    /// <summary>The default bucket name.</summary>
    public const string DefaultBucket = "adherence_checkpoints";

    private readonly INatsKVStore _store;
    private readonly ParticipantLeases _leases;

    private ParticipantCheckpoints(INatsKVStore store, ParticipantLeases leases)
    {
        _store = store;
        _leases = leases;
    }

    /// <summary>Opens (creating when missing) the checkpoint bucket; saves are fenced by <paramref name="leases"/>.</summary>
    public static async Task<ParticipantCheckpoints> OpenAsync(INatsJSContext jetStream, ParticipantLeases leases, string bucket = DefaultBucket, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jetStream);
        ArgumentNullException.ThrowIfNull(leases);
        var store = await new NatsKVContext(jetStream).CreateOrUpdateStoreAsync(new NatsKVConfig(bucket)
        {
            Description = "Open-session state per participant, for takeover by another worker",
            History = 1,
            NumberOfReplicas = leases.Options.Replicas,
        }, cancellationToken).ConfigureAwait(false);
        return new ParticipantCheckpoints(store, leases);
    }

    /// <summary>The participant's checkpoint, or <c>null</c> when none was saved (start from the first frame).</summary>
    public async Task<ParticipantCheckpoint?> LoadAsync(string site, string participant, CancellationToken cancellationToken = default)
    {
        try
        {
            var entry = await _store.GetEntryAsync<byte[]>(ParticipantLeases.Key(site, participant), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (entry.Value is not { Length: >= 8 } value)
            {
                throw new InvalidDataException($"The checkpoint of {site}.{participant} is {entry.Value?.Length ?? 0} bytes; at least 8 expected.");
            }

            return new ParticipantCheckpoint(BinaryPrimitives.ReadUInt64LittleEndian(value), value.AsMemory(8));
        }
        catch (Exception ex) when (ex is NatsKVKeyNotFoundException or NatsKVKeyDeletedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Saves the state that includes every frame up to <paramref name="streamSequence"/>, after renewing
    /// <paramref name="lease"/>; <c>false</c> (nothing saved) when the lease was lost.
    /// </summary>
    public async Task<bool> SaveAsync(ParticipantLease lease, ulong streamSequence, ReadOnlyMemory<byte> state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        if (!await _leases.RenewAsync(lease, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        var value = new byte[8 + state.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(value, streamSequence);
        state.Span.CopyTo(value.AsSpan(8));
        await _store.PutAsync(ParticipantLeases.Key(lease.Site, lease.Participant), value, cancellationToken: cancellationToken).ConfigureAwait(false);
        return true;
    }
}
