namespace AdherencePipeline.Recordings;

/// <summary>
/// The one entry point for a command line's <c>--recording PATH</c>: a file, a recording's stem
/// (<c>chest-hr-hexoskin/subject001</c>) or a folder of recordings. Picks the reader from the file's
/// header line, then its name, then its folder's name.
/// </summary>
public static class RecordingReader
{
    /// <summary>
    /// Reads every recording at <paramref name="path"/>: for a folder, every recording in it (not in
    /// sub-folders), ordered by file name; for daily-sports-torso, one recording per activity block.
    /// </summary>
    /// <exception cref="RecordingFormatException">Nothing readable is there, or a file is malformed.</exception>
    public static IReadOnlyList<Recording> Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!Directory.Exists(path))
        {
            return ReadOne(Detect(path), path);
        }

        var recordings = new List<Recording>();
        foreach (var (format, entry) in Entries(path))
        {
            recordings.AddRange(ReadOne(format, entry));
        }

        return recordings.Count > 0
            ? recordings
            : throw new RecordingFormatException(path, "folder holds no recording (no *.csv or *.csv.gz file of a known format)");
    }

    /// <summary>
    /// The format of the recording at <paramref name="path"/> (a file, a stem or a folder of one format).
    /// </summary>
    /// <exception cref="RecordingFormatException">The path does not exist or its format is not recognised.</exception>
    public static RecordingFormat Detect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            var entries = Entries(path);
            return entries.Count > 0
                ? entries[0].Format
                : throw new RecordingFormatException(path, "folder holds no recording (no *.csv or *.csv.gz file of a known format)");
        }

        if (File.Exists(path))
        {
            return DetectFile(path)
                ?? throw new RecordingFormatException(path, 1, null, null,
                    "not a known recording format: the header matches none of the project format, daily-sports-torso, chest-accel-casale or chest-hr-hexoskin, and neither does the file or folder name");
        }

        // A stem: the project format's NAME.acc.csv[.gz], Hexoskin's NAME-acc.csv[.gz], or NAME.csv[.gz].
        if (RecordingPaths.FindCsv(path, RecordingCsv.AccSuffix) is not null)
        {
            return RecordingFormat.AdherenceCsv;
        }

        if (RecordingPaths.FindCsv(path, "-acc") is not null)
        {
            return RecordingFormat.ChestHrHexoskin;
        }

        if (RecordingPaths.FindCsv(path, string.Empty) is string file)
        {
            return Detect(file);
        }

        throw new RecordingFormatException(path,
            "no such file or folder, nor a recording stem (looked for .acc.csv[.gz], -acc.csv[.gz] and .csv[.gz] after it)");
    }

    private static IReadOnlyList<Recording> ReadOne(RecordingFormat format, string path) => format switch
    {
        RecordingFormat.AdherenceCsv => [RecordingCsv.Read(path)],
        RecordingFormat.DailySportsTorso => DailySportsTorsoReader.Read(File.Exists(path) ? path : RecordingPaths.FindCsv(path, string.Empty)!),
        RecordingFormat.ChestAccelCasale => [ChestAccelCasaleReader.Read(File.Exists(path) ? path : RecordingPaths.FindCsv(path, string.Empty)!)],
        RecordingFormat.ChestHrHexoskin => [ChestHrHexoskinReader.Read(path)],
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown recording format."),
    };

    /// <summary>The recordings in a folder, one entry per recording (siblings and tables left out), by file name.</summary>
    private static List<(RecordingFormat Format, string Path)> Entries(string folder)
    {
        var files = Directory.GetFiles(folder);
        Array.Sort(files, StringComparer.Ordinal);
        var entries = new List<(RecordingFormat, string)>();
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            var bare = RecordingPaths.WithoutCsvExtension(name);
            if (bare.Length == name.Length || name == ChestHrHexoskinReader.ParticipantsFileName)
            {
                continue;
            }

            // Only the first file of a multi-file recording stands for it.
            if (bare.EndsWith(RecordingCsv.HrSuffix, StringComparison.Ordinal) || bare.EndsWith(RecordingCsv.RrSuffix, StringComparison.Ordinal)
                || bare.EndsWith("-hr", StringComparison.Ordinal) || bare.EndsWith("-rr", StringComparison.Ordinal))
            {
                continue;
            }

            entries.Add((DetectFile(file)
                ?? throw new RecordingFormatException(file, 1, null, null, "not a known recording format (the folder holds recordings, so every CSV in it must be one)"), file));
        }

        return entries;
    }

    private static RecordingFormat? DetectFile(string path)
    {
        var name = Path.GetFileName(path);
        var firstLine = CsvFile.PeekFirstLine(path);
        if (firstLine is not null)
        {
            if (firstLine == RecordingCsv.Signature)
            {
                return RecordingFormat.AdherenceCsv;
            }

            var header = firstLine.Split(',');
            if (header.SequenceEqual(DailySportsTorsoReader.Header))
            {
                return RecordingFormat.DailySportsTorso;
            }

            if (header.SequenceEqual(ChestAccelCasaleReader.Header))
            {
                return RecordingFormat.ChestAccelCasale;
            }

            if (header.SequenceEqual(ChestHrHexoskinReader.AccHeader) || header.SequenceEqual(ChestHrHexoskinReader.HrHeader)
                || header.SequenceEqual(ChestHrHexoskinReader.RrHeader))
            {
                return RecordingFormat.ChestHrHexoskin;
            }
        }

        // A header that matches nothing: go by name, so the reader reports which column is wrong.
        if (RecordingCsv.IsAccFileName(name))
        {
            return RecordingFormat.AdherenceCsv;
        }

        var bare = RecordingPaths.WithoutCsvExtension(name);
        if (bare.EndsWith("-acc", StringComparison.Ordinal) || bare.EndsWith("-hr", StringComparison.Ordinal) || bare.EndsWith("-rr", StringComparison.Ordinal))
        {
            return RecordingFormat.ChestHrHexoskin;
        }

        return Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) switch
        {
            RecordingSources.DailySportsTorso => RecordingFormat.DailySportsTorso,
            RecordingSources.ChestAccelCasale => RecordingFormat.ChestAccelCasale,
            RecordingSources.ChestHrHexoskin => RecordingFormat.ChestHrHexoskin,
            _ => null,
        };
    }
}
