using System.Buffers.Binary;

namespace AdherencePipeline.Nats;

/// <summary>
/// The worker's state in a participant's checkpoint (<see cref="ParticipantCheckpoint.State"/>): the
/// stream sequence from which re-processing the participant's frames rebuilds the open wear period
/// (second, window, bout, session, clock alignment, filters) exactly. Every stage depends only on the
/// frames since its fresh start, and a wear period starts fresh, so no stage's memory is serialised:
/// a worker taking the participant over runs the frames from here to the last acknowledged one again.
/// </summary>
/// <param name="Sequence">
/// The first stream sequence of the open wear period; frames of the participant from here on are
/// re-processed. After a wear period closed it is the sequence after its last frame: nothing to re-process.
/// </param>
public readonly record struct RestartPoint(ulong Sequence)
{
    private const byte Version = 1;

    /// <summary>Bytes of the encoded form: a version byte and the sequence (uint64, little-endian).</summary>
    public const int Length = 9;

    /// <summary>The encoded form for <see cref="ParticipantCheckpoints.SaveAsync"/>.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Length];
        bytes[0] = Version;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(1), Sequence);
        return bytes;
    }

    /// <summary>Reads a checkpoint's state; throws <see cref="InvalidDataException"/> for anything else.</summary>
    public static RestartPoint Read(ReadOnlySpan<byte> state)
    {
        if (state.Length != Length || state[0] != Version)
        {
            throw new InvalidDataException($"A worker checkpoint of {state.Length} bytes (version {(state.Length > 0 ? state[0] : 0)}) is not a restart point of version {Version}.");
        }

        return new RestartPoint(BinaryPrimitives.ReadUInt64LittleEndian(state[1..]));
    }
}
