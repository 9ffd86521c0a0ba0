using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace AdherencePipeline.Recordings;

/// <summary>
/// A forward-only reader of UTF-8 CSV lines from a plain or gzip file (detected by its magic bytes),
/// with the position kept for error messages. Lines are handed out as spans into one reused buffer,
/// so reading allocates nothing per line.
/// </summary>
internal sealed class CsvFile : IDisposable
{
    private const int InitialBufferBytes = 64 * 1024;
    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    private readonly Stream _stream;
    private readonly FileStream? _gzipFile;
    private long _decompressedBytes;
    private byte[] _buffer = new byte[InitialBufferBytes];
    private int _start;
    private int _end;
    private bool _endOfStream;
    private string[] _columns = [];

    private CsvFile(string path, Stream stream, FileStream? gzipFile)
    {
        Path = path;
        _stream = stream;
        _gzipFile = gzipFile;
    }

    /// <summary>The file's path, as the caller named it.</summary>
    public string Path { get; }

    /// <summary>The 1-based number of the line last returned; 0 before the first.</summary>
    public long LineNumber { get; private set; }

    /// <summary>Opens <paramref name="path"/>; a missing or unreadable file becomes a <see cref="RecordingFormatException"/>.</summary>
    public static CsvFile Open(string path)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new RecordingFormatException(path, "file not found", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RecordingFormatException(path, $"cannot be opened: {e.Message}", e);
        }

        try
        {
            Span<byte> magic = stackalloc byte[2];
            var read = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            return read == 2 && magic[0] == 0x1F && magic[1] == 0x8B
                ? new CsvFile(path, new GZipStream(file, CompressionMode.Decompress, leaveOpen: false), file)
                : new CsvFile(path, file, null);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads the first line of <paramref name="path"/> as text, or null for an empty file.</summary>
    public static string? PeekFirstLine(string path)
    {
        using var csv = Open(path);
        return csv.TryReadLine(out var line) ? Encoding.UTF8.GetString(line) : null;
    }

    /// <summary>
    /// Returns the next line without its line break (LF or CRLF), or false at the end of the file.
    /// The span is valid until the next call.
    /// </summary>
    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            var newline = pending.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                line = Finish(pending[..newline]);
                _start += newline + 1;
                return true;
            }

            if (_endOfStream)
            {
                if (pending.IsEmpty)
                {
                    line = default;
                    return false;
                }

                line = Finish(pending);
                _start = _end;
                return true;
            }

            Fill();
        }
    }

    /// <summary>
    /// Reads line 1 (or the next line) and checks that it is exactly <paramref name="expected"/>; the
    /// first column that differs is named in the error.
    /// </summary>
    public void ExpectHeader(params ReadOnlySpan<string> expected)
    {
        if (!TryReadLine(out var line))
        {
            throw new RecordingFormatException(Path, "file is empty: expected the header " + string.Join(',', expected.ToArray()));
        }

        ExpectHeader(line, expected);
    }

    /// <summary>Checks that <paramref name="line"/> (already read) is exactly the header <paramref name="expected"/>.</summary>
    public void ExpectHeader(ReadOnlySpan<byte> line, ReadOnlySpan<string> expected)
    {
        var fields = new CsvFields(line);
        for (var i = 0; i < expected.Length; i++)
        {
            if (!fields.TryNext(out var field))
            {
                throw Fail(i + 1, expected[i], $"header has {i} columns, expected {expected.Length}: missing '{expected[i]}'");
            }

            if (!field.SequenceEqual(Encoding.UTF8.GetBytes(expected[i])))
            {
                throw Fail(i + 1, expected[i], $"header column is '{Show(field)}', expected '{expected[i]}'");
            }
        }

        if (fields.TryNext(out var extra))
        {
            throw Fail(expected.Length + 1, null, $"header has an unexpected extra column '{Show(extra)}'");
        }

        _columns = expected.ToArray();
    }

    /// <summary>Starts reading the fields of a data line; columns are named after the last header checked.</summary>
    public CsvRow Row(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty)
        {
            throw Fail(null, null, "empty line");
        }

        return new CsvRow(this, line);
    }

    /// <summary>Builds the error for the current line and the given 1-based column.</summary>
    public RecordingFormatException Fail(int? column, string? columnName, string problem) =>
        new(Path, LineNumber, column, columnName ?? ColumnName(column), problem);

    /// <summary>The error for time that does not increase from one line to the next.</summary>
    public RecordingFormatException TimeNotIncreasing(int column, long previousNs, long currentNs) =>
        Fail(column, null, currentNs == previousNs
            ? $"time {FormatSeconds(currentNs)} s repeats the previous line's time"
            : $"time goes backwards: {FormatSeconds(currentNs)} s after {FormatSeconds(previousNs)} s");

    /// <summary>Formats nanoseconds as seconds for messages.</summary>
    public static string FormatSeconds(long ns) => (ns / 1e9).ToString("0.#########", CultureInfo.InvariantCulture);

    /// <summary>Text of a field for an error message, shortened.</summary>
    public static string Show(ReadOnlySpan<byte> field)
    {
        const int MaxShown = 40;
        var text = Encoding.UTF8.GetString(field.Length > MaxShown ? field[..MaxShown] : field);
        return field.Length > MaxShown ? text + "…" : text;
    }

    public void Dispose() => _stream.Dispose();

    /// <summary>
    /// GZipStream ends quietly when a file is cut short at a deflate block boundary; the gzip trailer's
    /// length field (size mod 2^32, the file's last 4 bytes) catches that, so a truncated file is an
    /// error rather than a shorter recording. Files of several concatenated gzip members fail this check too.
    /// </summary>
    private void CheckGzipLength()
    {
        if (_gzipFile is null)
        {
            return;
        }

        Span<byte> trailer = stackalloc byte[4];
        var length = _gzipFile.Length;
        if (length >= 18)
        {
            _gzipFile.Position = length - 4;
            _gzipFile.ReadExactly(trailer);
            if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer) == (uint)_decompressedBytes)
            {
                return;
            }
        }

        throw new RecordingFormatException(Path,
            $"after line {LineNumber}: the gzip data ends early (its trailer does not match the {_decompressedBytes} bytes decompressed); the file is truncated or has several gzip members");
    }

    private string? ColumnName(int? column) =>
        column is int c && c >= 1 && c <= _columns.Length ? _columns[c - 1] : null;

    private ReadOnlySpan<byte> Finish(ReadOnlySpan<byte> line)
    {
        LineNumber++;
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (LineNumber == 1 && line.StartsWith(Utf8Bom))
        {
            line = line[Utf8Bom.Length..];
        }

        return line;
    }

    private void Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            // A line longer than the buffer: grow rather than cut it.
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        int read;
        try
        {
            read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        }
        catch (InvalidDataException e)
        {
            throw new RecordingFormatException(Path, $"after line {LineNumber}: the gzip data is corrupt ({e.Message})", e);
        }

        if (read == 0)
        {
            _endOfStream = true;
            CheckGzipLength();
        }

        _end += read;
        _decompressedBytes += read;
    }
}
