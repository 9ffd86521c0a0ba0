using AdherencePipeline.Recordings;

namespace AdherencePipeline.Tests.Recordings;

internal static class FormatErrors
{
    /// <summary>Asserts that <paramref name="read"/> fails naming the file, line, column and the problem, in the message too.</summary>
    public static RecordingFormatException Assert(Action read, string path, long? line, int? column, string problem)
    {
        var error = Xunit.Assert.Throws<RecordingFormatException>(read);
        Xunit.Assert.Equal(path, error.FilePath);
        Xunit.Assert.Equal(line, error.LineNumber);
        Xunit.Assert.Equal(column, error.ColumnNumber);
        Xunit.Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
        if (line is not null)
        {
            Xunit.Assert.Contains($"line {line}", error.Message, StringComparison.Ordinal);
        }

        if (column is not null)
        {
            Xunit.Assert.Contains($"column {column}", error.Message, StringComparison.Ordinal);
        }

        Xunit.Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        return error;
    }
}
