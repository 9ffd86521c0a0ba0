using System.Globalization;
using System.Text;

namespace AdherencePipeline.Adherence;

/// <summary>One classified window as the session journal keeps it, with what its points are tagged with.</summary>
/// <param name="Window">The window the bout and session rules saw.</param>
/// <param name="DeviceModel">The firmware profile id of the device it came from.</param>
/// <param name="ModelVersion">The model that classified it; null for windows that were not classified.</param>
public readonly record struct SessionJournalEntry(ClassifiedWindow Window, string DeviceModel, string? ModelVersion);

/// <summary>
/// A participant's write-ahead journal of the windows that make up the bout and session still open
/// (and of the session closed last, until the next one closes), so a service killed mid-session can
/// rebuild exactly the same <see cref="SessionBuilder"/> state at its next start. One line per window,
/// flushed to disk before the window is processed; a line torn by a crash is ignored. Not thread-safe:
/// one journal per participant stream.
/// </summary>
public sealed class SessionJournal : IDisposable
{
    private const char Separator = '\t';
    private readonly List<SessionJournalEntry> _entries;
    private FileStream _stream;

    private SessionJournal(string path, List<SessionJournalEntry> entries, int tornLines)
    {
        Path = path;
        _entries = entries;
        Recovered = [.. entries];
        TornLines = tornLines;
        _stream = OpenAppend(path);
    }

    /// <summary>The journal file.</summary>
    public string Path { get; }

    /// <summary>The windows found in the file when it was opened: what was open when the last run ended without a clean stop.</summary>
    public IReadOnlyList<SessionJournalEntry> Recovered { get; }

    /// <summary>Lines found unreadable when the file was opened (a crash in the middle of a write); they are dropped.</summary>
    public int TornLines { get; }

    /// <summary>Windows in the journal now.</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// Opens (creating if needed) the journal at <paramref name="path"/> and reads what an earlier run
    /// left in it. Throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when
    /// the file or its folder cannot be used.
    /// </summary>
    public static SessionJournal Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var entries = new List<SessionJournalEntry>();
        var torn = 0;
        if (File.Exists(full))
        {
            var lines = File.ReadAllText(full).Split('\n');
            // Only a line with its newline is complete: the last piece is empty unless a write was cut short.
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                if (i == lines.Length - 1)
                {
                    torn += line.Length > 0 ? 1 : 0;
                    break;
                }

                if (TryParse(line, out var entry))
                {
                    entries.Add(entry);
                }
                else
                {
                    torn++;
                }
            }
        }

        var journal = new SessionJournal(full, entries, torn);
        if (torn > 0)
        {
            // Rewritten without the torn lines, so an append cannot continue a half-written line.
            journal.Rewrite(entries);
        }

        return journal;
    }

    /// <summary>Appends a window and flushes it to disk before returning.</summary>
    public void Append(in SessionJournalEntry entry)
    {
        _entries.Add(entry);
        var bytes = Encoding.UTF8.GetBytes(Format(entry));
        _stream.Write(bytes);
        _stream.Flush(flushToDisk: true);
    }

    /// <summary>Drops the windows whose slot starts before <paramref name="slotStartNs"/>; rewrites the file only when something is dropped.</summary>
    public void KeepFrom(long slotStartNs)
    {
        var first = _entries.FindIndex(e => e.Window.SlotStartNs >= slotStartNs);
        if (first == 0 || _entries.Count == 0)
        {
            return;
        }

        Rewrite(first < 0 ? [] : _entries.GetRange(first, _entries.Count - first));
    }

    /// <summary>Empties the journal (everything open was closed and handed on).</summary>
    public void Clear()
    {
        if (_entries.Count > 0)
        {
            Rewrite([]);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    private void Rewrite(List<SessionJournalEntry> kept)
    {
        // Written beside the journal and moved over it, so a crash leaves either the old or the new file.
        var temporary = Path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var text = new StringBuilder();
            foreach (var entry in kept)
            {
                text.Append(Format(entry));
            }

            stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
            stream.Flush(flushToDisk: true);
        }

        _stream.Dispose();
        File.Move(temporary, Path, overwrite: true);
        _stream = OpenAppend(Path);
        if (!ReferenceEquals(kept, _entries))
        {
            _entries.Clear();
            _entries.AddRange(kept);
        }
    }

    private static FileStream OpenAppend(string path) => new(path, FileMode.Append, FileAccess.Write, FileShare.Read);

    private static string Format(in SessionJournalEntry entry)
    {
        var w = entry.Window;
        return string.Join(Separator,
            w.StartNs.ToString(CultureInfo.InvariantCulture),
            w.EndNs.ToString(CultureInfo.InvariantCulture),
            w.Activity,
            w.Zone?.ToString() ?? "",
            w.HeartRateBpm?.ToString("R", CultureInfo.InvariantCulture) ?? "",
            w.PercentHrr?.ToString("R", CultureInfo.InvariantCulture) ?? "",
            w.Valid ? "1" : "0",
            entry.DeviceModel,
            entry.ModelVersion ?? "") + "\n";
    }

    private static bool TryParse(string line, out SessionJournalEntry entry)
    {
        entry = default;
        var f = line.Split(Separator);
        if (f.Length != 9
            || !long.TryParse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start)
            || !long.TryParse(f[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var end)
            || end <= start
            || f[2].Length == 0
            || f[6] is not ("0" or "1")
            || f[7].Length == 0)
        {
            return false;
        }

        IntensityZone? zone = null;
        if (f[3].Length > 0)
        {
            if (!Enum.TryParse<IntensityZone>(f[3], out var z) || !Enum.IsDefined(z))
            {
                return false;
            }

            zone = z;
        }

        if (!TryParseOptional(f[4], out var bpm) || !TryParseOptional(f[5], out var hrr))
        {
            return false;
        }

        entry = new SessionJournalEntry(new ClassifiedWindow(start, end, f[2], zone, bpm, hrr, f[6] == "1"), f[7], f[8].Length > 0 ? f[8] : null);
        return true;
    }

    private static bool TryParseOptional(string text, out double? value)
    {
        value = null;
        if (text.Length == 0)
        {
            return true;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
        {
            return false;
        }

        value = v;
        return true;
    }
}
