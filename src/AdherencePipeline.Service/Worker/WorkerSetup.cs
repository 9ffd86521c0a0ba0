using System.ComponentModel.DataAnnotations;
using AdherencePipeline.Activity;
using AdherencePipeline.Adherence;
using AdherencePipeline.BlueZ;
using AdherencePipeline.Nats;
using AdherencePipeline.Sensors;
using AdherencePipeline.Service.Commands;
using AdherencePipeline.Service.Monitoring;
using AdherencePipeline.Storage;
using Microsoft.Extensions.Configuration;

namespace AdherencePipeline.Service.Worker;

/// <summary>A device bound to a participant on the day the service starts.</summary>
/// <param name="Address">The Bluetooth address, upper case.</param>
/// <param name="Participant">Who wears it.</param>
/// <param name="Profile">Its firmware profile.</param>
internal sealed record BoundDevice(string Address, Participant Participant, FirmwareProfile Profile);

/// <summary>Everything <c>adherence run</c> needs, checked before the host starts.</summary>
internal sealed record WorkerSetup(
    ParticipantRegistry Registry,
    IReadOnlyList<FirmwareProfile> Profiles,
    ActivityModel Model,
    BlueZOptions Ble,
    WorkerOptions Worker,
    IReadOnlyList<BoundDevice> Devices)
{
    /// <summary>With <c>Worker:Source=Nats</c>: the NATS settings (and <see cref="Devices"/> is empty: the gateways hold the devices).</summary>
    public NatsWorkerSettings? Nats { get; init; }

    /// <summary>The configuration key of the activity model file.</summary>
    public const string ModelKey = "Activity:ModelPath";

    /// <summary>The configuration key of the raw archive's root folder (docs/archive.md).</summary>
    public const string ArchiveDirectoryKey = "Archive:Directory";

    /// <summary>The configuration key that turns the raw archive of the live stream off (on by default).</summary>
    public const string ArchiveEnabledKey = "Archive:Enabled";

    /// <summary>Where the live stream's decoded samples are archived, or <c>null</c> when archiving is off.</summary>
    public string? ArchiveDirectory { get; init; }

    /// <summary>
    /// Reads and checks the registry, firmware profiles, model and the <c>Ble</c>, <c>Worker</c> and
    /// <c>Influx</c> settings, and finds the devices bound on <paramref name="now"/>'s date. Every
    /// problem is listed with its key or file; the setup is <c>null</c> when there is any.
    /// </summary>
    public static WorkerSetup? Check(IConfiguration configuration, DateTimeOffset now, out IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var errors = new List<string>();
        var ble = Bind<BlueZOptions>(configuration, BlueZOptions.SectionName, errors);
        if (ble is not null)
        {
            errors.AddRange(ble.Validate());
        }

        var worker = Bind<WorkerOptions>(configuration, WorkerOptions.SectionName, errors);
        if (worker is not null)
        {
            errors.AddRange(worker.Validate());
        }

        CheckInflux(configuration, errors);
        errors.AddRange(Bind<MonitoringOptions>(configuration, MonitoringOptions.SectionName, errors)?.Validate() ?? []);
        var nats = worker?.Source == WorkerSource.Nats ? NatsWorkerSettings.Check(configuration, worker, errors) : null;

        var profilesDirectory = configuration[SensorProfiles.DirectoryKey] is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.Combine(AppContext.BaseDirectory, FirmwareProfileLoader.DefaultDirectoryName);
        IReadOnlyList<FirmwareProfile> profiles = [];
        if (!Directory.Exists(profilesDirectory))
        {
            errors.Add($"{SensorProfiles.DirectoryKey}: the firmware-profile folder '{profilesDirectory}' does not exist.");
        }
        else
        {
            profiles = FirmwareProfileLoader.LoadDirectory(profilesDirectory, out var profileErrors);
            errors.AddRange(profileErrors.Select(e => $"{SensorProfiles.DirectoryKey}: {e}"));
        }

        if (worker is not null && !string.IsNullOrWhiteSpace(worker.StateDirectory))
        {
            CheckFolder($"{WorkerOptions.SectionName}:{nameof(WorkerOptions.StateDirectory)}", worker.StateDirectory, errors);
        }

        // Both modes archive: the BLE worker every bound participant, a NATS worker the participants it processes.
        var archive = ArchiveFolder(configuration, errors);
        if (archive is not null)
        {
            CheckFolder(ArchiveDirectoryKey, archive, errors);
        }

        var model = LoadModel(ModelPath(configuration), errors);
        var registry = LoadRegistry(configuration[ParticipantRegistryFile.RegistryKey], profiles, errors);
        var devices = registry is null || worker?.Source == WorkerSource.Nats ? [] : BoundOn(registry, profiles, now, errors);
        if (registry is not null && nats is not null)
        {
            var eligible = nats.Eligible(registry);
            if (eligible.Count == 0)
            {
                errors.Add($"{registry.SourcePath}: no participant of the sites in {FrameWorkerOptions.SectionName}:Sites ({string.Join(", ", nats.Worker.Sites)}).");
            }

            // Site and participant name the participant's subject, consumer and lease.
            foreach (var participant in eligible)
            {
                if (!FrameSubjects.IsValidToken(participant.Site, out var siteProblem) || !FrameSubjects.IsValidToken(participant.Id, out siteProblem))
                {
                    errors.Add($"{registry.SourcePath}: {participant.Id}: {siteProblem}");
                }
            }
        }

        problems = errors;
        return errors.Count == 0
            ? new WorkerSetup(registry!, profiles, model!, ble!, worker!, devices) { ArchiveDirectory = archive, Nats = nats }
            : null;
    }

    /// <summary>The activity model file: <c>Activity:ModelPath</c>, else <c>models/activity.zip</c> beside the executable.</summary>
    public static string ModelPath(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var configured = configuration[ModelKey];
        return string.IsNullOrWhiteSpace(configured) ? Path.Combine(AppContext.BaseDirectory, "models", "activity.zip") : Path.GetFullPath(configured);
    }

    private static List<BoundDevice> BoundOn(ParticipantRegistry registry, IReadOnlyList<FirmwareProfile> profiles, DateTimeOffset now, List<string> errors)
    {
        var devices = new List<BoundDevice>();
        foreach (var participant in registry.Participants)
        {
            if (!participant.IsEnrolledOn(participant.LocalDate(now)))
            {
                continue;
            }

            foreach (var binding in participant.Devices)
            {
                // DeviceAt applies the participant's own day boundaries (time zone) to the binding's dates.
                if (participant.DeviceAt(binding.Address, now) != binding)
                {
                    continue;
                }

                var address = binding.Address.ToUpperInvariant();
                if (profiles.FirstOrDefault(p => p.Id == binding.ProfileId) is not { } profile)
                {
                    errors.Add($"{registry.SourcePath}: {participant.Id}: device {address} is bound with firmware profile '{binding.ProfileId}', which is not among the loaded profiles ({string.Join(", ", profiles.Select(p => p.Id))}).");
                }
                else if (devices.FirstOrDefault(d => d.Address == address) is { } other)
                {
                    errors.Add($"{registry.SourcePath}: device {address} is bound to both {other.Participant.Id} and {participant.Id} today.");
                }
                else
                {
                    devices.Add(new BoundDevice(address, participant, profile));
                }
            }
        }

        if (devices.Count == 0 && errors.Count == 0)
        {
            errors.Add($"{registry.SourcePath}: no device is bound to an enrolled participant on {now.UtcDateTime:yyyy-MM-dd} (UTC); add a binding under a participant's \"devices\" whose dates, and the participant's enrolment, cover today.");
        }

        return devices;
    }

    private static ParticipantRegistry? LoadRegistry(string? configured, IReadOnlyList<FirmwareProfile> profiles, List<string> errors)
    {
        var path = Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? ParticipantRegistryLoader.DefaultFileName : configured);
        if (Directory.Exists(path))
        {
            errors.Add($"{ParticipantRegistryFile.RegistryKey}: the participant registry '{path}' is a folder, not a file.");
            return null;
        }

        if (!File.Exists(path))
        {
            errors.Add($"{ParticipantRegistryFile.RegistryKey}: the participant registry '{path}' does not exist.");
            return null;
        }

        var registry = ParticipantRegistryLoader.TryLoad(path, out var registryErrors, profiles.Count > 0 ? [.. profiles.Select(p => p.Id)] : null);
        errors.AddRange(registryErrors.Select(e => e.ToString()));
        return registry;
    }

    private static ActivityModel? LoadModel(string path, List<string> errors)
    {
        if (Directory.Exists(path))
        {
            errors.Add($"{ModelKey}: the activity model '{path}' is a folder, not a file.");
            return null;
        }

        if (!File.Exists(path))
        {
            errors.Add($"{ModelKey}: the activity model '{path}' does not exist.");
            return null;
        }

        try
        {
            return ActivityModel.Load(path);
        }
        catch (Exception ex) when (ex is ActivityModelException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            errors.Add($"{ModelKey}: {ex.Message}");
            return null;
        }
    }

    /// <summary>The raw archive's folder, <c>archive</c> in the working directory unless configured; <c>null</c> when turned off.</summary>
    private static string? ArchiveFolder(IConfiguration configuration, List<string> errors)
    {
        var enabled = configuration[ArchiveEnabledKey];
        var on = true;
        if (enabled is { Length: > 0 } && !bool.TryParse(enabled, out on))
        {
            errors.Add($"{ArchiveEnabledKey}: expected true or false, found '{enabled}'.");
            return null;
        }

        if (!on)
        {
            return null;
        }

        return Path.GetFullPath(configuration[ArchiveDirectoryKey] is { Length: > 0 } configured ? configured : "archive");
    }

    /// <summary>A folder the worker writes (journal, archive) must exist or be creatable, and writable, before anything streams.</summary>
    private static void CheckFolder(string key, string folder, List<string> errors)
    {
        var path = Path.GetFullPath(folder);
        try
        {
            Directory.CreateDirectory(path);
            var probe = Path.Combine(path, $".probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{key}: the folder '{path}' cannot be created or written: {ex.Message}");
        }
    }

    private static void CheckInflux(IConfiguration configuration, List<string> errors)
    {
        var connection = Bind<InfluxConnectionOptions>(configuration, InfluxConnectionOptions.SectionName, errors);
        try
        {
            connection?.Validate();
        }
        catch (ArgumentException ex)
        {
            errors.Add(ex.Message);
        }

        if (Bind<InfluxWriterOptions>(configuration, InfluxWriterOptions.SectionName, errors) is { } writer)
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(writer, new ValidationContext(writer), results, validateAllProperties: true))
            {
                errors.AddRange(results.Select(r => $"{InfluxWriterOptions.SectionName}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
            }
        }
    }

    private static T? Bind<T>(IConfiguration configuration, string section, List<string> errors)
        where T : class, new()
    {
        try
        {
            var options = new T();
            configuration.GetSection(section).Bind(options);
            return options;
        }
        catch (InvalidOperationException ex)
        {
            // The binder's message names the key whose value could not be converted.
            errors.Add($"{section}: {ex.Message}");
            return null;
        }
    }
}
