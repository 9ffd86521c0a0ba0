using System.CommandLine;
using AdherencePipeline.Outcomes;

namespace AdherencePipeline.Service.Commands;

/// <summary>Where the outcome instruments live, for every verb that needs them.</summary>
internal static class OutcomeInstruments
{
    /// <summary>The configuration key that overrides the folder.</summary>
    public const string DirectoryKey = "Outcomes:InstrumentsDirectory";

    /// <summary><c>--instruments-dir</c>, overriding <c>Outcomes:InstrumentsDirectory</c>.</summary>
    public static Option<DirectoryInfo?> DirectoryOption() => new("--instruments-dir")
    {
        Description = $"Folder of outcome instruments (default: {DirectoryKey}, else instruments/ beside the executable).",
    };

    /// <summary>
    /// Loads every instrument of the folder: the option, then configuration, then the copy beside the
    /// executable. Throws <see cref="InstrumentValidationException"/> listing every problem when any file is bad,
    /// so an analysis never runs on a silently missing instrument.
    /// </summary>
    public static IReadOnlyList<Instrument> Load(ParseResult parseResult, Option<DirectoryInfo?> option) => Load(ResolveDirectory(parseResult, option));

    /// <summary>Loads every instrument of a folder; throws <see cref="InstrumentValidationException"/> listing every problem when any file is bad.</summary>
    public static IReadOnlyList<Instrument> Load(string directory)
    {
        var instruments = InstrumentLoader.LoadDirectory(directory, out var errors);
        return errors.Count > 0 ? throw new InstrumentValidationException(errors) : instruments;
    }

    /// <summary>Resolves the folder: the option, then configuration, then the copy beside the executable.</summary>
    public static string ResolveDirectory(ParseResult parseResult, Option<DirectoryInfo?> option) =>
        parseResult.GetValue(option) is { } given ? given.FullName : ResolveDirectory(CommonOptions.Build(parseResult));

    /// <summary>The folder named by <c>Outcomes:InstrumentsDirectory</c>, else <c>instruments/</c> beside the executable.</summary>
    public static string ResolveDirectory(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var configured = configuration[DirectoryKey];
        return string.IsNullOrWhiteSpace(configured)
            ? Path.Combine(AppContext.BaseDirectory, InstrumentLoader.DefaultDirectoryName)
            : Path.GetFullPath(configured);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the registry entry when a schedule asks for an instrument that is not in the folder.</summary>
    public static void CheckSchedules(AdherencePipeline.Adherence.ParticipantRegistry registry, IReadOnlyList<Instrument> instruments)
    {
        foreach (var (arm, schedule) in registry.OutcomeSchedules)
        {
            for (var i = 0; i < schedule.Count; i++)
            {
                if (schedule[i].Instruments.FirstOrDefault(id => !instruments.Any(x => x.Id == id)) is { } unknown)
                {
                    throw new ArgumentException($"{registry.SourcePath}: $.outcomeSchedules.{arm}[{i}].instruments: '{unknown}' is not one of the instruments ({string.Join(", ", instruments.Select(x => x.Id))})");
                }
            }
        }
    }
}
