using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace AdherencePipeline.Archive;

/// <summary>
/// The byte layout of a raw archive file (docs/archive.md): a header, then self-contained
/// Brotli-compressed blocks, each with its own CRC-32, so one damaged block never hides the rest.
/// </summary>
public static class ArchiveFormat
{
    /// <summary>File name extension of an archive day file.</summary>
    public const string Extension = ".adharc";

    /// <summary>Format version written in the header.</summary>
    public const ushort Version = 1;

    /// <summary>Length of a block header in bytes.</summary>
    public const int BlockHeaderLength = 36;

    /// <summary>Largest compressed block accepted; anything longer is a damaged length field.</summary>
    public const int MaxBlockLength = 64 << 20;

    internal static ReadOnlySpan<byte> FileMagic => "ADHARC"u8;

    internal static ReadOnlySpan<byte> BlockMagic => "ABLK"u8;

    internal const byte RecordDevice = 1;
    internal const byte RecordAcceleration = 2;
    internal const byte RecordHeartRate = 3;
    internal const byte RecordDisconnected = 4;
    internal const byte RecordFault = 5;

    internal const byte ValuesMilliG = 0;
    internal const byte ValuesFloatBits = 1;

    internal const byte HeartRateBpmDouble = 1 << 2;
    internal const byte HeartRateRrDouble = 1 << 3;

    /// <summary>The file of <paramref name="participant"/>'s data of local day <paramref name="day"/> under <paramref name="root"/>.</summary>
    public static string PathFor(string root, string participant, DateOnly day)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ValidateParticipant(participant);
        return Path.Combine(root, participant, day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) + Extension);
    }

    /// <summary>Refuses a participant code that could not safely be a folder name.</summary>
    public static void ValidateParticipant(string participant)
    {
        ArgumentException.ThrowIfNullOrEmpty(participant);
        foreach (var c in participant)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_' and not '.')
            {
                throw new ArgumentException($"Participant code '{participant}' cannot name an archive folder: only letters, digits, '-', '_' and '.' are allowed.", nameof(participant));
            }
        }

        if (participant[0] == '.')
        {
            throw new ArgumentException($"Participant code '{participant}' cannot name an archive folder: it starts with '.'.", nameof(participant));
        }
    }

    /// <summary>The header: magic, version, participant, local day, CRC-32 of what precedes it.</summary>
    internal static byte[] Header(string participant, DateOnly day)
    {
        var id = Encoding.UTF8.GetBytes(participant);
        var header = new byte[6 + 2 + 2 + id.Length + 4 + 4];
        FileMagic.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), Version);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)id.Length);
        id.CopyTo(header, 10);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(10 + id.Length), day.DayNumber);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(header.Length - 4), Crc32.HashToUInt32(header.AsSpan(0, header.Length - 4)));
        return header;
    }

    /// <summary>Parses a header; returns its length, or a description of what is wrong (and 0).</summary>
    internal static int ParseHeader(ReadOnlySpan<byte> file, out string participant, out DateOnly day, out string? problem)
    {
        participant = "";
        day = default;
        if (file.Length < 10)
        {
            problem = "the header is cut short";
            return 0;
        }

        if (!file[..6].SequenceEqual(FileMagic))
        {
            problem = "not an archive file (magic is not 'ADHARC')";
            return 0;
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(file[6..]);
        if (version != Version)
        {
            problem = $"format version {version} is not supported (this build reads {Version})";
            return 0;
        }

        var idLength = BinaryPrimitives.ReadUInt16LittleEndian(file[8..]);
        var length = 10 + idLength + 8;
        if (file.Length < length)
        {
            problem = "the header is cut short";
            return 0;
        }

        if (Crc32.HashToUInt32(file[..(length - 4)]) != BinaryPrimitives.ReadUInt32LittleEndian(file[(length - 4)..]))
        {
            problem = "the header's CRC-32 does not match";
            return 0;
        }

        participant = Encoding.UTF8.GetString(file.Slice(10, idLength));
        day = DateOnly.FromDayNumber(BinaryPrimitives.ReadInt32LittleEndian(file[(10 + idLength)..]));
        problem = null;
        return length;
    }
}

/// <summary>What went wrong where in an archive file; reading goes on past it.</summary>
/// <param name="Path">The file.</param>
/// <param name="Offset">Byte offset of the damaged block or tail.</param>
/// <param name="Kind">Torn tail, corrupt block or corrupt header.</param>
/// <param name="Description">What was found.</param>
public sealed record ArchiveIssue(string Path, long Offset, ArchiveIssueKind Kind, string Description)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: offset {Offset}: {Description}";
}

/// <summary>Kinds of damage an archive file can have.</summary>
public enum ArchiveIssueKind
{
    /// <summary>The file ends inside a block: a write was interrupted. The complete blocks before it are intact.</summary>
    TornTail,

    /// <summary>A block whose header or CRC-32 is wrong; it is skipped and reading resumes at the next block.</summary>
    CorruptBlock,

    /// <summary>The file header is damaged; the blocks are still read.</summary>
    CorruptHeader,
}
