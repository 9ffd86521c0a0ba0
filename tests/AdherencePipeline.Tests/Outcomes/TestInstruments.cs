using AdherencePipeline.Outcomes;

namespace AdherencePipeline.Tests.Outcomes;

/// <summary>The shipped instruments in <c>instruments/</c>.</summary>
internal static class TestInstruments
{
    public static string Directory { get; } = Find();

    public static Instrument Load(string id) => InstrumentLoader.Load(Path.Combine(Directory, id + ".json"));

    public static InstrumentAnswers Answers(Instrument instrument, string text)
    {
        var answers = InstrumentAnswers.TryParse(instrument, text, out var errors);
        Assert.True(answers is not null, string.Join("; ", errors));
        return answers;
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, InstrumentLoader.DefaultDirectoryName);
            if (File.Exists(Path.Combine(candidate, InstrumentLoader.SchemaFileName)))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("instruments/ not found above the test assembly");
    }
}
