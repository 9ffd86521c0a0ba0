namespace AdherencePipeline.Recordings;

/// <summary>
/// A recording that cannot be read as it stands: a missing file, a wrong header, a value that is not
/// a number, time that does not increase. The message names the file and, where they apply, the line
/// (1-based, as an editor counts) and the column (1-based, with its header name).
/// </summary>
public sealed class RecordingFormatException : Exception
{
    /// <summary>Creates an error about a whole file (no line or column applies).</summary>
    public RecordingFormatException(string filePath, string problem, Exception? innerException = null)
        : base($"{filePath}: {problem}", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>Creates an error about one line, and optionally one column of it.</summary>
    public RecordingFormatException(string filePath, long lineNumber, int? columnNumber, string? columnName, string problem)
        : base(Describe(filePath, lineNumber, columnNumber, columnName, problem))
    {
        FilePath = filePath;
        LineNumber = lineNumber;
        ColumnNumber = columnNumber;
        ColumnName = columnName;
    }

    /// <summary>The file at fault, as the caller named it.</summary>
    public string FilePath { get; }

    /// <summary>The 1-based line at fault, or null when the problem concerns the whole file.</summary>
    public long? LineNumber { get; }

    /// <summary>The 1-based column at fault, or null when the problem concerns the whole line or file.</summary>
    public int? ColumnNumber { get; }

    /// <summary>The header name of <see cref="ColumnNumber"/>, when known.</summary>
    public string? ColumnName { get; }

    private static string Describe(string filePath, long lineNumber, int? columnNumber, string? columnName, string problem)
    {
        if (columnNumber is null)
        {
            return $"{filePath}: line {lineNumber}: {problem}";
        }

        return columnName is null
            ? $"{filePath}: line {lineNumber}, column {columnNumber}: {problem}"
            : $"{filePath}: line {lineNumber}, column {columnNumber} ({columnName}): {problem}";
    }
}
