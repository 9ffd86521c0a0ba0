using System.CommandLine;
using System.Globalization;
using AdherencePipeline.Adherence;
using AdherencePipeline.Outcomes;
using AdherencePipeline.Sensors;

namespace AdherencePipeline.Service.Commands;

/// <summary><c>adherence participants list|validate|show ID</c>: inspect and check the participant registry.</summary>
internal static class ParticipantsCommand
{
    /// <summary>Exit code when the registry is invalid, missing, or the participant is unknown.</summary>
    public const int Invalid = 1;

    public static Command Create()
    {
        var listRegistry = ParticipantRegistryFile.Option();
        var list = new Command("list", "List the participants: code, arm, site, enrolment, time zone and current prescription.") { listRegistry };
        list.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var registry = await LoadAsync(parseResult, listRegistry, knownProfiles: null);
            if (registry is null)
            {
                return Invalid;
            }

            await output.WriteLineAsync("id\tarm\tsite\tenrolment\ttime zones\tprescriptions");
            foreach (var p in registry.Participants)
            {
                var zones = string.Join(" > ", p.TimeZones.Select(z => z.Zone.Id));
                var rx = p.Prescriptions.Count == 0 ? "none" : string.Join("; ", p.Prescriptions.Select(Summary));
                await output.WriteLineAsync($"{p.Id}\t{p.Arm}\t{p.Site}\t{Span(p.EnrolmentStart, p.EnrolmentEnd)}\t{zones}\t{rx}");
            }

            return 0;
        });

        var validateRegistry = ParticipantRegistryFile.Option();
        var profilesDirectory = SensorProfiles.DirectoryOption();
        var instrumentsDirectory = OutcomeInstruments.DirectoryOption();
        var validate = new Command("validate", "Check the registry; every problem is printed as FILE: ENTRY: JSON-PATH: what was expected.")
        {
            validateRegistry, profilesDirectory, instrumentsDirectory,
        };
        validate.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            string path, directory, instrumentsFolder;
            try
            {
                path = ParticipantRegistryFile.Resolve(parseResult, validateRegistry);
                directory = SensorProfiles.ResolveDirectory(parseResult, profilesDirectory);
                instrumentsFolder = OutcomeInstruments.ResolveDirectory(parseResult, instrumentsDirectory);
            }
            catch (ConfigurationException ex)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return Invalid;
            }

            // Device bindings must name a firmware profile that exists, when the profiles can be read.
            IReadOnlyCollection<string>? known = null;
            if (Directory.Exists(directory))
            {
                known = [.. FirmwareProfileLoader.LoadDirectory(directory, out _).Select(p => p.Id)];
            }
            else
            {
                await output.WriteLineAsync($"note: no firmware profiles at {directory}; profile ids were not checked");
            }

            // Outcome schedules must name instruments of the folder; a bad instrument file is a problem too,
            // since every outcome and analysis verb refuses to run with one.
            IReadOnlyCollection<string>? instruments = null;
            IReadOnlyList<InstrumentError> instrumentErrors = [];
            if (Directory.Exists(instrumentsFolder))
            {
                instruments = [.. InstrumentLoader.LoadDirectory(instrumentsFolder, out instrumentErrors).Select(i => i.Id)];
            }
            else
            {
                await output.WriteLineAsync($"note: no instruments at {instrumentsFolder}; instrument ids were not checked");
            }

            var registry = ParticipantRegistryLoader.TryLoad(path, out var errors, known, instruments);
            foreach (var e in instrumentErrors)
            {
                await error.WriteLineAsync(e.ToString());
            }

            foreach (var e in errors)
            {
                await error.WriteLineAsync(e.ToString());
            }

            var problems = errors.Count + instrumentErrors.Count;
            await output.WriteLineAsync($"{path}: {registry?.Participants.Count ?? 0} valid participant(s), {problems} problem(s)");
            return problems == 0 ? 0 : Invalid;
        });

        var showRegistry = ParticipantRegistryFile.Option();
        var id = new Argument<string>("ID") { Description = "The participant's code, e.g. P001." };
        var show = new Command("show", "Show one participant: enrolment, time zones, devices, heart-rate reserve and prescriptions.") { showRegistry, id };
        show.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var registry = await LoadAsync(parseResult, showRegistry, knownProfiles: null);
            if (registry is null)
            {
                return Invalid;
            }

            var code = parseResult.GetValue(id)!;
            if (registry.Find(code) is not { } p)
            {
                await error.WriteLineAsync($"error: participant '{code}' is not in {registry.SourcePath}");
                return Invalid;
            }

            await WriteParticipantAsync(output, p);
            return 0;
        });

        return new Command("participants", "List, validate and show the participants of the registry.") { list, validate, show };
    }

    private static async Task<ParticipantRegistry?> LoadAsync(ParseResult parseResult, Option<FileInfo?> option, IReadOnlyCollection<string>? knownProfiles)
    {
        var error = parseResult.InvocationConfiguration.Error;
        string path;
        try
        {
            path = ParticipantRegistryFile.Resolve(parseResult, option);
        }
        catch (ConfigurationException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return null;
        }

        var registry = ParticipantRegistryLoader.TryLoad(path, out var errors, knownProfiles);
        foreach (var e in errors)
        {
            await error.WriteLineAsync(e.ToString());
        }

        return registry;
    }

    private static async Task WriteParticipantAsync(TextWriter output, Participant p)
    {
        var reserve = p.HeartRateReserve;
        await output.WriteLineAsync($"{p.Id}");
        await output.WriteLineAsync($"  arm          {p.Arm}");
        await output.WriteLineAsync($"  site         {p.Site}");
        await output.WriteLineAsync($"  enrolment    {Span(p.EnrolmentStart, p.EnrolmentEnd)}");
        await output.WriteLineAsync("  time zones");
        foreach (var z in p.TimeZones)
        {
            await output.WriteLineAsync($"    from {Iso(z.From)}  {z.Zone.Id}");
        }

        await output.WriteLineAsync("  devices");
        foreach (var d in p.Devices)
        {
            await output.WriteLineAsync($"    {d.Address}  {d.ProfileId}  {Span(d.From, d.To)}");
        }

        var source = p.MaxHeartRateSource == MaxHeartRateSource.Measured
            ? "measured"
            : string.Create(CultureInfo.InvariantCulture, $"208 - 0.7 x {p.AgeYears} (Tanaka)");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  HRmax        {p.MaxHeartRateBpm:0.#} bpm ({source})"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  HRrest       {p.RestingHeartRateBpm:0.#} bpm"));
        await output.WriteLineAsync("  prescriptions");
        if (p.Prescriptions.Count == 0)
        {
            await output.WriteLineAsync("    none");
        }

        foreach (var rx in p.Prescriptions)
        {
            var (from, below) = IntensityZones.BandBpm(rx.TargetZone, reserve);
            var band = (from, below) switch
            {
                ({ } f, { } b) => string.Create(CultureInfo.InvariantCulture, $"{f:0}-{b:0} bpm"),
                ({ } f, null) => string.Create(CultureInfo.InvariantCulture, $">= {f:0} bpm"),
                (null, { } b) => string.Create(CultureInfo.InvariantCulture, $"< {b:0} bpm"),
                _ => "",
            };
            await output.WriteLineAsync($"    {Span(rx.From, rx.To)}  {Summary(rx)} ({band}): {string.Join(", ", rx.CountingClasses)}");
        }
    }

    private static string Summary(Prescription rx) =>
        string.Create(CultureInfo.InvariantCulture, $"{rx.SessionsPerWeek}/week x {rx.MinutesPerSession} min {IntensityZones.Name(rx.TargetZone)}");

    private static string Span(DateOnly from, DateOnly? to) => $"{Iso(from)} to {(to is { } t ? Iso(t) : "open")}";

    private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
