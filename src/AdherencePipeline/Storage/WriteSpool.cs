using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace AdherencePipeline.Storage;

/// <summary>
/// A durable, ordered queue of write batches on disk: append-only segment files plus an
/// acknowledgement file. A batch is flushed to disk before it is sent and forgotten only after the
/// server accepted it, so a crash at any moment loses nothing; a batch sent but not yet acknowledged
/// is sent again after a restart, which InfluxDB absorbs because a point is identified by its series
/// and timestamp.
/// </summary>
/// <remarks>
/// Segment file <c>{first sequence:D20}.seg</c>: the 8-byte magic <c>ADHSPL01</c>, then records of
/// <c>[int32 payload length][uint32 CRC-32 of the rest][int64 sequence][int64 spooled at, Unix ms]
/// [int32 line count][payload]</c>, little-endian. A record that is cut short or fails its CRC (a
/// crash during an append) ends its segment. File <c>ack</c> holds two 12-byte slots of
/// <c>[int64 acknowledged sequence][uint32 CRC-32 of it]</c>, written alternately in place; the higher
/// valid slot counts, so a write torn by a crash costs at most the newest acknowledgement (that batch
/// is sent again). Writing in place needs no new disk space, so acknowledging, and with it deleting
/// delivered segments, still works when the disk is full. Not thread-safe for more than one appender
/// and one reader at a time; those two may run concurrently.
/// </remarks>
public sealed class WriteSpool : IDisposable
{
    /// <summary>Default size at which a new segment file is started.</summary>
    public const long DefaultSegmentBytes = 16 * 1024 * 1024;

    private const int HeaderBytes = 28;
    private const int AckSlotBytes = 12;
    private static readonly byte[] Magic = "ADHSPL01"u8.ToArray();

    private readonly object _gate = new();
    private readonly Queue<Entry> _pending = new();
    private readonly List<Segment> _segments = [];
    private readonly long _segmentBytes;
    private readonly long _maxBytes;
    private readonly TimeProvider _time;
    private FileStream? _current;
    private FileStream? _ackFile;
    private long _ackWrites;
    private long _lastSequence;
    private long _acknowledged;
    private long _pendingBytes;
    private long _pendingLines;
    private bool _disposed;

    private WriteSpool(string directory, long segmentBytes, long maxBytes, TimeProvider time)
    {
        Directory = directory;
        _segmentBytes = segmentBytes;
        _maxBytes = maxBytes;
        _time = time;
    }

    /// <summary>The spool's folder.</summary>
    public string Directory { get; }

    /// <summary>Batches spooled and not yet acknowledged.</summary>
    public int PendingBatches
    {
        get { lock (_gate) { return _pending.Count; } }
    }

    /// <summary>Bytes of line protocol spooled and not yet acknowledged.</summary>
    public long PendingBytes
    {
        get { lock (_gate) { return _pendingBytes; } }
    }

    /// <summary>Lines (the <c>lineCount</c> of each append) spooled and not yet acknowledged.</summary>
    public long PendingLines
    {
        get { lock (_gate) { return _pendingLines; } }
    }

    /// <summary>When the oldest unacknowledged batch was spooled, or <c>null</c> when none is.</summary>
    public DateTimeOffset? OldestPendingSpooledAt
    {
        get { lock (_gate) { return _pending.Count == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(_pending.Peek().SpooledAtUnixMs); } }
    }

    /// <summary>The sequence number of the newest batch ever appended.</summary>
    public long LastSequence
    {
        get { lock (_gate) { return _lastSequence; } }
    }

    /// <summary>The highest acknowledged sequence number.</summary>
    public long AcknowledgedSequence
    {
        get { lock (_gate) { return _acknowledged; } }
    }

    /// <summary>Batches found on disk at open that were cut short or corrupt and could not be recovered.</summary>
    public int CorruptRecordsAtOpen { get; private set; }

    /// <summary>
    /// Opens (or creates) the spool in <paramref name="directory"/>, recovering what an earlier process left.
    /// Throws <see cref="IOException"/> naming the folder when it cannot be created, read or written.
    /// </summary>
    /// <param name="directory">The spool's folder; created if missing.</param>
    /// <param name="segmentBytes">Size at which a new segment file is started.</param>
    /// <param name="maxBytes">Most unacknowledged bytes kept; <see cref="Append"/> refuses beyond it.</param>
    /// <param name="time">Clock for the spooled-at stamps.</param>
    public static WriteSpool Open(string directory, long segmentBytes = DefaultSegmentBytes, long maxBytes = long.MaxValue, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentBytes, 1024);
        var spool = new WriteSpool(directory, segmentBytes, maxBytes, time ?? TimeProvider.System);
        try
        {
            System.IO.Directory.CreateDirectory(directory);
            spool.Recover();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            spool.Dispose();
            throw new IOException(
                $"The write spool folder '{directory}' cannot be used: {ex.Message} It must be a writable folder with room to keep " +
                "batches while InfluxDB is away (Influx:Writer:SpoolDirectory).", ex);
        }

        return spool;
    }

    /// <summary>
    /// Appends a batch and flushes it to disk. Returns its sequence number.
    /// Throws <see cref="SpoolFullException"/> when the spool holds <c>maxBytes</c> already, and
    /// <see cref="IOException"/> when the disk refuses; the spool stays consistent either way.
    /// </summary>
    public long Append(ReadOnlySpan<byte> payload, int lineCount)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pendingBytes > 0 && _pendingBytes + payload.Length > _maxBytes)
            {
                throw new SpoolFullException(Directory, _pendingBytes, _maxBytes);
            }

            var sequence = _lastSequence + 1;
            var spooledAt = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var current = CurrentSegment(sequence);
            var start = current.Stream.Length;
            var header = new byte[HeaderBytes];
            BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), sequence);
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), spooledAt);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(24), lineCount);
            var crc = new Crc32();
            crc.Append(header.AsSpan(8));
            crc.Append(payload);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), crc.GetCurrentHashAsUInt32());
            try
            {
                current.Stream.Position = start;
                current.Stream.Write(header);
                current.Stream.Write(payload);
                current.Stream.Flush(flushToDisk: true);
            }
            catch (IOException)
            {
                AbandonCurrentSegment(current, start);
                throw;
            }
            catch (UnauthorizedAccessException)
            {
                AbandonCurrentSegment(current, start);
                throw;
            }

            _lastSequence = sequence;
            current.LastSequence = sequence;
            _pending.Enqueue(new Entry(current.Path, start + HeaderBytes, payload.Length, sequence, spooledAt, lineCount));
            _pendingBytes += payload.Length;
            _pendingLines += lineCount;
            if (current.Stream.Length >= _segmentBytes)
            {
                current.Stream.Dispose();
                _current = null;
            }

            return sequence;
        }
    }

    /// <summary>Reads the oldest unacknowledged batch, or returns <c>null</c> when there is none.</summary>
    public SpooledBatch? Peek()
    {
        Entry entry;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_pending.TryPeek(out entry))
            {
                return null;
            }
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(entry.Length, 1));
        try
        {
            using var file = new FileStream(entry.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            file.Position = entry.Offset;
            file.ReadExactly(buffer, 0, entry.Length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        return new SpooledBatch(entry.Sequence, entry.LineCount, DateTimeOffset.FromUnixTimeMilliseconds(entry.SpooledAtUnixMs), buffer, entry.Length);
    }

    /// <summary>Forgets every batch up to and including <paramref name="sequence"/>, durably.</summary>
    public void Acknowledge(long sequence)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (sequence <= _acknowledged)
            {
                return;
            }

            WriteAckFile(sequence);
            _acknowledged = sequence;
            while (_pending.TryPeek(out var entry) && entry.Sequence <= sequence)
            {
                _pending.Dequeue();
                _pendingBytes -= entry.Length;
                _pendingLines -= entry.LineCount;
            }

            for (var i = _segments.Count - 1; i >= 0; i--)
            {
                var segment = _segments[i];
                if (segment.LastSequence <= sequence && !ReferenceEquals(segment.Stream, _current))
                {
                    segment.Stream.Dispose();
                    File.Delete(segment.Path);
                    _segments.RemoveAt(i);
                }
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var segment in _segments)
            {
                segment.Stream.Dispose();
            }

            _ackFile?.Dispose();
        }
    }

    private Segment CurrentSegment(long firstSequence)
    {
        if (_current is not null)
        {
            return _segments[^1];
        }

        var path = Path.Combine(Directory, $"{firstSequence:D20}.seg");
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, 1);
        try
        {
            stream.Write(Magic);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            stream.Dispose();
            File.Delete(path);
            throw;
        }

        _current = stream;
        var segment = new Segment(path, stream) { LastSequence = firstSequence - 1 };
        _segments.Add(segment);
        return segment;
    }

    // After a failed append the tail of the segment is unknown: cut it back if the disk lets us and
    // start the next append in a fresh segment, so a torn record can only ever end a segment.
    private void AbandonCurrentSegment(Segment segment, long goodLength)
    {
        try
        {
            segment.Stream.SetLength(goodLength);
        }
        catch (IOException)
        {
            // Recovery stops at the torn record; nothing after it will be written to this file.
        }

        segment.Stream.Dispose();
        _current = null;
        // A segment whose batches are all delivered is only taking space, and on a full disk that
        // space is what the next append needs.
        if (segment.LastSequence < segment.FirstSequence || segment.LastSequence <= _acknowledged)
        {
            _segments.Remove(segment);
            TryDelete(segment.Path);
        }
    }

    private void Recover()
    {
        _acknowledged = ReadAckFile();
        OpenAckFile();
        _lastSequence = _acknowledged;
        TryDelete(Path.Combine(Directory, "ack.tmp"));
        var files = System.IO.Directory.GetFiles(Directory, "*.seg");
        Array.Sort(files, StringComparer.Ordinal);
        var header = new byte[HeaderBytes];
        var magic = new byte[Magic.Length];
        foreach (var path in files)
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, 1);
            var segment = new Segment(path, stream) { LastSequence = long.MinValue };
            if (stream.ReadAtLeast(magic, 8, throwOnEndOfStream: false) < 8 || !magic.SequenceEqual(Magic))
            {
                stream.Dispose();
                TryDelete(path);
                continue;
            }

            var crc = new Crc32();
            var payload = Array.Empty<byte>();
            while (true)
            {
                var offset = stream.Position;
                if (stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes)
                {
                    if (offset != stream.Length)
                    {
                        CorruptRecordsAtOpen++;
                    }

                    break;
                }

                var length = BinaryPrimitives.ReadInt32LittleEndian(header);
                if (length < 0 || offset + HeaderBytes + length > stream.Length)
                {
                    CorruptRecordsAtOpen++;
                    break;
                }

                if (payload.Length < length)
                {
                    payload = new byte[length];
                }

                stream.ReadExactly(payload, 0, length);
                crc.Reset();
                crc.Append(header.AsSpan(8));
                crc.Append(payload.AsSpan(0, length));
                if (crc.GetCurrentHashAsUInt32() != BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4)))
                {
                    CorruptRecordsAtOpen++;
                    break;
                }

                var sequence = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8));
                segment.LastSequence = Math.Max(segment.LastSequence, sequence);
                _lastSequence = Math.Max(_lastSequence, sequence);
                if (sequence > _acknowledged)
                {
                    _pending.Enqueue(new Entry(path, offset + HeaderBytes, length, sequence,
                        BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16)),
                        BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(24))));
                    _pendingBytes += length;
                    _pendingLines += BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(24));
                }
            }

            if (segment.LastSequence <= _acknowledged)
            {
                stream.Dispose();
                TryDelete(path);
            }
            else
            {
                _segments.Add(segment);
            }
        }
    }

    private long ReadAckFile()
    {
        var path = Path.Combine(Directory, "ack");
        if (!File.Exists(path))
        {
            return 0;
        }

        // A file of one slot is the older format, read the same way. A slot that fails its CRC is
        // outside damage or a torn write: resending is safe, skipping is not, so it counts as nothing.
        var bytes = File.ReadAllBytes(path);
        var acknowledged = 0L;
        for (var slot = 0; slot + AckSlotBytes <= bytes.Length && slot < 2 * AckSlotBytes; slot += AckSlotBytes)
        {
            var span = bytes.AsSpan(slot, AckSlotBytes);
            if (Crc32.HashToUInt32(span[..8]) == BinaryPrimitives.ReadUInt32LittleEndian(span[8..]))
            {
                acknowledged = Math.Max(acknowledged, BinaryPrimitives.ReadInt64LittleEndian(span));
            }
        }

        return acknowledged;
    }

    private void OpenAckFile()
    {
        var file = new FileStream(Path.Combine(Directory, "ack"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1);
        try
        {
            if (file.Length != 2 * AckSlotBytes)
            {
                // Lay both slots out now, while there is room: later writes only overwrite them. The
                // acknowledged sequence goes into both, so no stale slot can outrank it.
                Span<byte> bytes = stackalloc byte[2 * AckSlotBytes];
                WriteAckSlot(bytes[..AckSlotBytes], _acknowledged);
                WriteAckSlot(bytes[AckSlotBytes..], _acknowledged);
                file.Position = 0;
                file.Write(bytes);
                file.SetLength(bytes.Length);
                file.Flush(flushToDisk: true);
            }
        }
        catch
        {
            file.Dispose();
            throw;
        }

        _ackFile = file;
    }

    private void WriteAckFile(long sequence)
    {
        Span<byte> bytes = stackalloc byte[AckSlotBytes];
        WriteAckSlot(bytes, sequence);
        _ackFile!.Position = (_ackWrites % 2) * AckSlotBytes;
        _ackFile.Write(bytes);
        _ackFile.Flush(flushToDisk: true);
        _ackWrites++;
    }

    private static void WriteAckSlot(Span<byte> slot, long sequence)
    {
        BinaryPrimitives.WriteInt64LittleEndian(slot, sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[8..], Crc32.HashToUInt32(slot[..8]));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left for the next open to clean up.
        }
    }

    private readonly record struct Entry(string Path, long Offset, int Length, long Sequence, long SpooledAtUnixMs, int LineCount);

    private sealed class Segment(string path, FileStream stream)
    {
        public string Path { get; } = path;

        public FileStream Stream { get; } = stream;

        public long FirstSequence { get; } = long.Parse(System.IO.Path.GetFileNameWithoutExtension(path), System.Globalization.CultureInfo.InvariantCulture);

        public long LastSequence { get; set; }
    }
}

/// <summary>A batch read back from the spool. Dispose it to return its buffer to the pool.</summary>
public sealed class SpooledBatch : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    internal SpooledBatch(long sequence, int lineCount, DateTimeOffset spooledAt, byte[] buffer, int length)
    {
        Sequence = sequence;
        LineCount = lineCount;
        SpooledAt = spooledAt;
        _buffer = buffer;
        _length = length;
    }

    /// <summary>The batch's sequence number in the spool.</summary>
    public long Sequence { get; }

    /// <summary>How many lines the batch holds.</summary>
    public int LineCount { get; }

    /// <summary>When the batch was spooled.</summary>
    public DateTimeOffset SpooledAt { get; }

    /// <summary>The newline-separated line protocol.</summary>
    public ReadOnlyMemory<byte> Lines => _buffer is null ? throw new ObjectDisposedException(nameof(SpooledBatch)) : _buffer.AsMemory(0, _length);

    /// <inheritdoc />
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>The spool holds as many bytes as it may; new batches wait until the server takes some.</summary>
public sealed class SpoolFullException : IOException
{
    /// <summary>Creates the exception.</summary>
    public SpoolFullException(string directory, long pendingBytes, long maxBytes)
        : base($"The write spool in '{directory}' is full: {pendingBytes:N0} bytes pending, limit {maxBytes:N0}.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public SpoolFullException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public SpoolFullException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SpoolFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
