using AdherencePipeline.Pipeline;

namespace AdherencePipeline.Archive;

/// <summary>How a participant's raw data is archived.</summary>
public sealed record ParticipantArchiveOptions
{
    /// <summary>Data time after which a block is sealed and synced to disk; at most this much is lost in a crash.</summary>
    public TimeSpan BlockDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether each sealed block is synced to disk before the next is started; turn off only for bulk imports that can be redone.</summary>
    public bool SyncEachBlock { get; init; } = true;

    /// <summary>The participant's local day of an instant (day files are cut in the participant's zone); UTC days when null.</summary>
    public Func<DateTimeOffset, DateOnly>? LocalDate { get; init; }
}

/// <summary>
/// Appends one participant's decoded device data to the raw archive: one file per local day,
/// <c>ROOT/PARTICIPANT/yyyy-MM-dd.adharc</c>, sealed and fsynced block by block. Opening a day file
/// that ends in a torn block reports it, moves the torn bytes aside and appends after the last
/// intact block. Not thread-safe: one writer per participant, fed in order.
/// </summary>
public sealed class ParticipantArchiveWriter : IDisposable
{
    private readonly string _root;
    private readonly ParticipantArchiveOptions _options;
    private readonly ArchiveBlockEncoder _block = new();
    private readonly List<ArchiveIssue> _issues = [];
    private readonly long _blockNs;
    private FileStream? _file;
    private DateOnly _day;

    /// <summary>Archives <paramref name="participant"/>'s data under <paramref name="root"/>.</summary>
    public ParticipantArchiveWriter(string root, string participant, ParticipantArchiveOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArchiveFormat.ValidateParticipant(participant);
        _root = root;
        Participant = participant;
        _options = options ?? new ParticipantArchiveOptions();
        _blockNs = _options.BlockDuration.Ticks * 100;
    }

    /// <summary>The participant's code.</summary>
    public string Participant { get; }

    /// <summary>Damage found in existing day files when they were opened for appending (torn tails that were cut).</summary>
    public IReadOnlyList<ArchiveIssue> Issues => _issues;

    /// <summary>Records archived.</summary>
    public long Records { get; private set; }

    /// <summary>Blocks sealed and synced.</summary>
    public long Blocks { get; private set; }

    /// <summary>Adds one piece of device data; a full block is sealed and synced first.</summary>
    public void Append(DeviceData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var timestampNs = TimestampOf(data);
        var day = LocalDate(timestampNs);
        if (_block.Records > 0 && (day != _day || timestampNs - _block.FirstNs >= _blockNs || _block.RawLength >= 4 << 20))
        {
            Flush();
        }

        if (_block.Records == 0)
        {
            _day = day;
        }

        _block.Add(data);
        Records++;
    }

    /// <summary>Seals the open block, if any, and syncs it to disk.</summary>
    public void Flush()
    {
        if (_block.Records == 0)
        {
            return;
        }

        var file = Open(_day);
        _block.SealTo(file);
        file.Flush(flushToDisk: _options.SyncEachBlock);
        Blocks++;
    }

    /// <summary>Seals the open block and closes the file; throws if the block cannot be written, so data is never dropped silently.</summary>
    public void Dispose()
    {
        try
        {
            Flush();
        }
        finally
        {
            _file?.Flush(flushToDisk: true);
            _file?.Dispose();
            _file = null;
            _block.Dispose();
        }
    }

    private FileStream Open(DateOnly day)
    {
        var path = ArchiveFormat.PathFor(_root, Participant, day);
        if (_file is not null && _file.Name == Path.GetFullPath(path))
        {
            return _file;
        }

        _file?.Flush(flushToDisk: true);
        _file?.Dispose();
        _file = null;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None);
        try
        {
            if (file.Length == 0)
            {
                file.Write(ArchiveFormat.Header(Participant, day));
            }
            else
            {
                CutTornTail(file, path);
            }

            file.Seek(0, SeekOrigin.End);
            _file = file;
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private void CutTornTail(FileStream file, string path)
    {
        var bytes = new byte[file.Length];
        file.ReadExactly(bytes);
        var headerLength = ArchiveFormat.ParseHeader(bytes, out var participant, out var headerDay, out var problem);
        if (headerLength == 0)
        {
            if (bytes.Length >= 6 && !bytes.AsSpan(0, 6).SequenceEqual(ArchiveFormat.FileMagic))
            {
                throw new InvalidDataException($"{path}: offset 0: {problem}; refusing to append to it.");
            }

            // A damaged or torn header: keep every byte aside for inspection and start the day's file afresh.
            var aside = Aside(path, "damaged");
            File.WriteAllBytes(aside, bytes);
            _issues.Add(new ArchiveIssue(path, 0, ArchiveIssueKind.CorruptHeader, $"header: {problem}; the file was kept as {aside} and started again"));
            file.SetLength(0);
            file.Write(ArchiveFormat.Header(Participant, _day));
            file.Flush(flushToDisk: true);
            return;
        }

        if (participant != Participant || headerDay != _day)
        {
            throw new InvalidDataException($"{path}: offset 0: the header names {participant} on {headerDay:yyyy-MM-dd}, not {Participant} on {_day:yyyy-MM-dd}; refusing to append to it.");
        }

        long end = headerLength;
        var torn = false;
        foreach (var (offset, length) in ArchiveFileReader.Blocks(bytes, path, issue =>
        {
            torn |= issue.Kind == ArchiveIssueKind.TornTail;
            _issues.Add(issue);
        }))
        {
            end = offset + length;
        }

        if (torn && end < bytes.Length)
        {
            // Nothing is thrown away: the torn bytes go beside the file for inspection.
            File.WriteAllBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{path}.{end}.torn"), bytes.AsSpan((int)end).ToArray());
            file.SetLength(end);
            file.Flush(flushToDisk: true);
        }
    }

    private static string Aside(string path, string suffix)
    {
        for (var n = 1; ; n++)
        {
            var candidate = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{path}.{suffix}-{n}");
            if (!File.Exists(candidate))
            {
                return candidate;
            }
        }
    }

    private DateOnly LocalDate(long timestampNs)
    {
        var instant = DateTimeOffset.UnixEpoch.AddTicks(timestampNs / 100);
        return _options.LocalDate?.Invoke(instant) ?? DateOnly.FromDateTime(instant.UtcDateTime);
    }

    private long TimestampOf(DeviceData data) => data switch
    {
        AccelerationData a => a.TimestampsNs.Length > 0 ? a.TimestampsNs[0] : _block.LastNs,
        HeartRateData h => h.TimestampNs,
        DeviceDisconnected d => d.LastDataNs,
        DeviceFault f => f.ReceivedNs,
        _ => throw new ArgumentException($"Device data of type {data.GetType().Name} cannot be archived.", nameof(data)),
    };
}
