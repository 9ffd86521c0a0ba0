namespace AdherencePipeline.Recordings;

/// <summary>File-name conventions shared by the readers.</summary>
internal static class RecordingPaths
{
    /// <summary>The file name up to its first '.', e.g. <c>subject3</c> for <c>subject3.csv.gz</c>, checked as a subject code.</summary>
    public static string SubjectFromFileName(string path)
    {
        var name = Path.GetFileName(path);
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return CheckSubject(path, dot > 0 ? name[..dot] : name);
    }

    /// <summary>
    /// Checks that a subject code taken from a file name is one a <see cref="Recording"/> accepts, so a
    /// badly named file fails with its path rather than with an argument error from deeper down.
    /// </summary>
    public static string CheckSubject(string path, string subject)
    {
        if (subject.Length == 0 || !subject.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new RecordingFormatException(path,
                $"the file name does not give a subject code ('{subject}'): use ASCII letters, digits, '-', '_' and '.' only");
        }

        return subject;
    }

    /// <summary>Strips <c>.gz</c> and then <c>.csv</c> from a file name.</summary>
    public static string WithoutCsvExtension(string name)
    {
        if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            name = name[..^3];
        }

        return name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? name[..^4] : name;
    }

    /// <summary>The first of <c>stem + suffix + ".csv.gz"</c> and <c>stem + suffix + ".csv"</c> that exists, or null.</summary>
    public static string? FindCsv(string stem, string suffix)
    {
        foreach (var extension in (ReadOnlySpan<string>)[".csv.gz", ".csv"])
        {
            var candidate = stem + suffix + extension;
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
