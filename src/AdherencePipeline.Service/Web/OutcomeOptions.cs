using System.ComponentModel.DataAnnotations;
using AdherencePipeline.Adherence;
using AdherencePipeline.Outcomes;
using AdherencePipeline.Service.Commands;
using Microsoft.Extensions.Options;

namespace AdherencePipeline.Service.Web;

/// <summary>The <c>Outcomes</c> configuration section, as the web pages read it: where the instrument files are.</summary>
public sealed class OutcomesOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Outcomes";

    /// <summary>The folder of instrument files; empty for <c>instruments/</c> beside the executable.</summary>
    public string InstrumentsDirectory { get; set; } = "";

    /// <summary>The folder, resolved.</summary>
    public string ResolvedDirectory => string.IsNullOrWhiteSpace(InstrumentsDirectory)
        ? Path.Combine(AppContext.BaseDirectory, InstrumentLoader.DefaultDirectoryName)
        : Path.GetFullPath(InstrumentsDirectory);
}

/// <summary>The <c>Analysis</c> configuration section, shared with <c>adherence analysis summary</c>.</summary>
public sealed class AnalysisOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Analysis";

    /// <summary>Days without valid wear after which a participant is flagged as possibly dropped out.</summary>
    [Range(1, 3650)]
    public int DropoutDays { get; set; } = OutcomeSummary.DefaultDropoutDays;
}

/// <summary>The instruments the participant pages offer: every file of the folder, checked against the registry's schedules.</summary>
internal sealed class InstrumentCatalog(IReadOnlyList<Instrument> instruments)
{
    public IReadOnlyList<Instrument> Instruments { get; } = instruments;

    public Instrument? Find(string id) => Instruments.FirstOrDefault(i => i.Id == id);

    /// <summary>Loads the folder; throws <see cref="InstrumentValidationException"/> or <see cref="ArgumentException"/> naming the file or registry entry that is wrong.</summary>
    public static InstrumentCatalog Load(OutcomesOptions options, ParticipantRegistry registry)
    {
        var instruments = OutcomeInstruments.Load(options.ResolvedDirectory);
        OutcomeInstruments.CheckSchedules(registry, instruments);
        return new InstrumentCatalog(instruments);
    }

    /// <summary>Fails the start with every problem when an instrument file is bad or a schedule names a missing instrument.</summary>
    internal sealed class Validator(ParticipantRegistry registry) : IValidateOptions<OutcomesOptions>
    {
        public ValidateOptionsResult Validate(string? name, OutcomesOptions options)
        {
            try
            {
                Load(options, registry);
                return ValidateOptionsResult.Success;
            }
            catch (InstrumentValidationException ex)
            {
                return ValidateOptionsResult.Fail(ex.Errors.Select(e => e.ToString()));
            }
            catch (ArgumentException ex)
            {
                return ValidateOptionsResult.Fail(ex.Message);
            }
        }
    }
}
