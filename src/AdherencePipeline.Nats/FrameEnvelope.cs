using System.Buffers.Binary;
using System.Text;
using AdherencePipeline.Sensors;

namespace AdherencePipeline.Nats;

/// <summary>
/// One raw frame as it travels from a gateway to a worker: the <see cref="RawFrame"/> itself plus
/// where it belongs (site, participant), which firmware profile decodes it, and the device's
/// sequence number that makes a re-send recognisable.
/// </summary>
/// <param name="Site">The site whose gateway received the frame (a subject token).</param>
/// <param name="Participant">The participant's pseudonym (a subject token).</param>
/// <param name="ProfileId">The firmware profile that decodes the payload, e.g. <c>polar-h10</c>.</param>
/// <param name="DeviceSequence">Per-device number, rising by one per frame within a gateway run (see <see cref="FrameSequencer"/>).</param>
/// <param name="Frame">The notification: device address, characteristic, receive time and the exact bytes.</param>
/// <remarks>
/// The sensor's own timestamp is not repeated here: it travels inside <see cref="RawFrame.Payload"/>,
/// byte for byte as the device sent it, and the worker's decoder reads it there.
/// </remarks>
public readonly record struct FrameEnvelope(string Site, string Participant, string ProfileId, long DeviceSequence, RawFrame Frame)
{
    /// <summary>
    /// The JetStream message id, <c>&lt;site&gt;.&lt;participant&gt;.&lt;device&gt;-&lt;sequence&gt;</c>: the same
    /// frame sent twice has the same id. The stream detects duplicates across all its subjects, and one
    /// device address may be numbered by two gateways from the same point (replay gateways all send as
    /// <c>virtual:&lt;profile&gt;</c>; runs started in the same millisecond), so the id names the subject too:
    /// one gateway's frames can never be taken for another's re-sends and dropped.
    /// </summary>
    public string MessageId => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Site}.{Participant}.{Frame.DeviceAddress}-{DeviceSequence}");

    /// <summary>The subject the frame is published to.</summary>
    public string Subject => FrameSubjects.Frames(Site, Participant);
}

/// <summary>Why bytes are not a frame envelope.</summary>
public enum FrameEnvelopeFault
{
    /// <summary>Not a fault: the envelope was read.</summary>
    None = 0,

    /// <summary>Fewer bytes than the fixed header, or a field runs past the end.</summary>
    Truncated,

    /// <summary>A version this reader does not know (the first byte).</summary>
    UnknownVersion,

    /// <summary>Flag bits this version does not define are set.</summary>
    UnknownFlags,

    /// <summary>A text field is not UTF-8, or a site/participant is not a valid subject token, or a field is empty.</summary>
    InvalidField,

    /// <summary>Bytes follow the payload.</summary>
    TrailingBytes,
}

/// <summary>
/// The envelope's binary encoding, version 1, little-endian:
/// <code>
/// offset size
///   0     1  version = 1
///   1     1  flags = 0 (reserved; a reader refuses bits it does not know)
///   2     8  receive time, Unix ns (int64)
///  10     8  device sequence (int64)
///  18    16  characteristic UUID, RFC 4122 byte order
///  34   1+n  site: length byte, UTF-8
///       1+n  participant: length byte, UTF-8
///       1+n  device address: length byte, UTF-8
///       1+n  profile id: length byte, UTF-8
///       2+n  payload: uint16 length, the notification bytes
/// </code>
/// A Polar H10 accelerometer frame of 229 bytes travels in about 300. Encoding writes into a
/// caller's span; reading slices the payload out of the message without copying.
/// </summary>
public static class FrameEnvelopeCodec
{
    /// <summary>The version this code writes.</summary>
    public const byte Version = 1;

    /// <summary>The fixed part before the variable-length fields.</summary>
    public const int FixedBytes = 34;

    /// <summary>The longest text field, in UTF-8 bytes.</summary>
    public const int MaxTextBytes = byte.MaxValue;

    /// <summary>The longest payload (a GATT value is at most 512 bytes; this leaves room for lab firmware).</summary>
    public const int MaxPayloadBytes = ushort.MaxValue;

    /// <summary>The encoded size of <paramref name="envelope"/>.</summary>
    public static int GetEncodedLength(in FrameEnvelope envelope) =>
        FixedBytes
        + 1 + Encoding.UTF8.GetByteCount(envelope.Site)
        + 1 + Encoding.UTF8.GetByteCount(envelope.Participant)
        + 1 + Encoding.UTF8.GetByteCount(envelope.Frame.DeviceAddress)
        + 1 + Encoding.UTF8.GetByteCount(envelope.ProfileId)
        + 2 + envelope.Frame.Payload.Length;

    /// <summary>
    /// Writes <paramref name="envelope"/> into <paramref name="destination"/> and returns the bytes
    /// written. Throws <see cref="ArgumentException"/> for an envelope that could not be read back
    /// (invalid token, empty or over-long field, destination too small): that is a caller's bug.
    /// </summary>
    public static int Write(in FrameEnvelope envelope, Span<byte> destination)
    {
        FrameSubjects.ThrowIfInvalidToken(envelope.Site, nameof(envelope));
        FrameSubjects.ThrowIfInvalidToken(envelope.Participant, nameof(envelope));
        ArgumentException.ThrowIfNullOrEmpty(envelope.ProfileId, nameof(envelope));
        ArgumentException.ThrowIfNullOrEmpty(envelope.Frame.DeviceAddress, nameof(envelope));
        if (envelope.Frame.Payload.Length > MaxPayloadBytes)
        {
            throw new ArgumentException($"A payload of {envelope.Frame.Payload.Length} bytes is over the envelope's {MaxPayloadBytes}.", nameof(envelope));
        }

        var length = GetEncodedLength(envelope);
        if (destination.Length < length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} bytes; the envelope needs {length}.", nameof(destination));
        }

        destination[0] = Version;
        destination[1] = 0;
        BinaryPrimitives.WriteInt64LittleEndian(destination[2..], envelope.Frame.ReceivedUnixNs);
        BinaryPrimitives.WriteInt64LittleEndian(destination[10..], envelope.DeviceSequence);
        envelope.Frame.Characteristic.TryWriteBytes(destination[18..], bigEndian: true, out _);
        var offset = FixedBytes;
        offset += WriteText(envelope.Site, destination[offset..]);
        offset += WriteText(envelope.Participant, destination[offset..]);
        offset += WriteText(envelope.Frame.DeviceAddress, destination[offset..]);
        offset += WriteText(envelope.ProfileId, destination[offset..]);
        var payload = envelope.Frame.Payload.Span;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[offset..], (ushort)payload.Length);
        payload.CopyTo(destination[(offset + 2)..]);
        return offset + 2 + payload.Length;
    }

    /// <summary>Encodes <paramref name="envelope"/> into a new array (for tests and tools; hot paths use <see cref="Write"/>).</summary>
    public static byte[] ToArray(in FrameEnvelope envelope)
    {
        var bytes = new byte[GetEncodedLength(envelope)];
        Write(envelope, bytes);
        return bytes;
    }

    /// <summary>
    /// Reads an envelope from <paramref name="data"/>; the frame's payload is a slice of it, so the
    /// caller keeps <paramref name="data"/> alive while the frame is in use. Returns the fault, or
    /// <see cref="FrameEnvelopeFault.None"/>.
    /// </summary>
    public static FrameEnvelopeFault TryRead(ReadOnlyMemory<byte> data, out FrameEnvelope envelope) => TryRead(data, null, out envelope);

    internal static FrameEnvelopeFault TryRead(ReadOnlyMemory<byte> data, FrameEnvelopeTextCache? cache, out FrameEnvelope envelope)
    {
        envelope = default;
        var span = data.Span;
        if (span.Length < 2)
        {
            return FrameEnvelopeFault.Truncated;
        }

        if (span[0] != Version)
        {
            return FrameEnvelopeFault.UnknownVersion;
        }

        if (span[1] != 0)
        {
            return FrameEnvelopeFault.UnknownFlags;
        }

        if (span.Length < FixedBytes)
        {
            return FrameEnvelopeFault.Truncated;
        }

        var received = BinaryPrimitives.ReadInt64LittleEndian(span[2..]);
        var sequence = BinaryPrimitives.ReadInt64LittleEndian(span[10..]);
        var characteristic = new Guid(span.Slice(18, 16), bigEndian: true);
        var offset = FixedBytes;
        var fault = ReadText(span, ref offset, cache, 0, out var site);
        if (fault == FrameEnvelopeFault.None)
        {
            fault = ReadText(span, ref offset, cache, 1, out var participant);
            if (fault == FrameEnvelopeFault.None)
            {
                fault = ReadText(span, ref offset, cache, 2, out var device);
                if (fault == FrameEnvelopeFault.None)
                {
                    fault = ReadText(span, ref offset, cache, 3, out var profile);
                    if (fault == FrameEnvelopeFault.None)
                    {
                        if (!FrameSubjects.IsValidToken(site, out _) || !FrameSubjects.IsValidToken(participant, out _))
                        {
                            return FrameEnvelopeFault.InvalidField;
                        }

                        if (span.Length - offset < 2)
                        {
                            return FrameEnvelopeFault.Truncated;
                        }

                        var payloadLength = BinaryPrimitives.ReadUInt16LittleEndian(span[offset..]);
                        offset += 2;
                        if (span.Length - offset < payloadLength)
                        {
                            return FrameEnvelopeFault.Truncated;
                        }

                        if (span.Length - offset > payloadLength)
                        {
                            return FrameEnvelopeFault.TrailingBytes;
                        }

                        envelope = new FrameEnvelope(site!, participant!, profile!, sequence,
                            new RawFrame(device!, characteristic, received, data.Slice(offset, payloadLength)));
                    }
                }
            }
        }

        return fault;
    }

    private static int WriteText(string text, Span<byte> destination)
    {
        var length = Encoding.UTF8.GetBytes(text, destination[1..]);
        if (length > MaxTextBytes)
        {
            throw new ArgumentException($"'{text}' is {length} UTF-8 bytes; an envelope field holds at most {MaxTextBytes}.", nameof(text));
        }

        destination[0] = (byte)length;
        return 1 + length;
    }

    private static FrameEnvelopeFault ReadText(ReadOnlySpan<byte> span, ref int offset, FrameEnvelopeTextCache? cache, int field, out string? text)
    {
        text = null;
        if (offset >= span.Length)
        {
            return FrameEnvelopeFault.Truncated;
        }

        int length = span[offset];
        if (length == 0)
        {
            return FrameEnvelopeFault.InvalidField;
        }

        if (span.Length - offset - 1 < length)
        {
            return FrameEnvelopeFault.Truncated;
        }

        var bytes = span.Slice(offset + 1, length);
        offset += 1 + length;
        if (cache is not null && cache.TryGet(field, bytes, out text))
        {
            return FrameEnvelopeFault.None;
        }

        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return FrameEnvelopeFault.InvalidField;
        }

        text = Encoding.UTF8.GetString(bytes);
        cache?.Set(field, bytes, text);
        return FrameEnvelopeFault.None;
    }
}

/// <summary>
/// The last text read per envelope field, so a consumer that sees one participant's few devices
/// does not allocate four strings per frame. One per reader; not thread-safe.
/// </summary>
internal sealed class FrameEnvelopeTextCache
{
    private readonly byte[][] _bytes = [[], [], [], []];
    private readonly string[] _texts = ["", "", "", ""];

    public bool TryGet(int field, ReadOnlySpan<byte> bytes, out string? text)
    {
        if (_texts[field].Length > 0 && bytes.SequenceEqual(_bytes[field]))
        {
            text = _texts[field];
            return true;
        }

        text = null;
        return false;
    }

    public void Set(int field, ReadOnlySpan<byte> bytes, string text)
    {
        _bytes[field] = bytes.ToArray();
        _texts[field] = text;
    }
}
