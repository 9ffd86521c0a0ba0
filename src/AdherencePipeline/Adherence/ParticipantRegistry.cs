using AdherencePipeline.Outcomes;

namespace AdherencePipeline.Adherence;

/// <summary>
/// The participants of a study, loaded and checked by <see cref="ParticipantRegistryLoader"/>: ids are
/// unique and no device address is bound to two participants at the same time.
/// </summary>
public sealed class ParticipantRegistry
{
    private readonly Dictionary<string, Participant> _byId;

    internal ParticipantRegistry(string sourcePath, IReadOnlyList<string> arms, IReadOnlyList<string> sites, IReadOnlyList<Participant> participants,
        IReadOnlyDictionary<string, IReadOnlyList<OutcomeTimePoint>>? outcomeSchedules = null)
    {
        OutcomeSchedules = outcomeSchedules ?? new Dictionary<string, IReadOnlyList<OutcomeTimePoint>>();
        SourcePath = sourcePath;
        Arms = arms;
        Sites = sites;
        Participants = participants;
        _byId = participants.ToDictionary(p => p.Id, StringComparer.Ordinal);
    }

    /// <summary>The file the registry was read from.</summary>
    public string SourcePath { get; }

    /// <summary>The study arms declared in the file.</summary>
    public IReadOnlyList<string> Arms { get; }

    /// <summary>The study sites declared in the file.</summary>
    public IReadOnlyList<string> Sites { get; }

    /// <summary>Outcome assessments per arm, in order of week; an arm without a schedule has none.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<OutcomeTimePoint>> OutcomeSchedules { get; }

    /// <summary>The outcome schedule of an arm; empty when it has none.</summary>
    public IReadOnlyList<OutcomeTimePoint> OutcomeSchedule(string arm) =>
        OutcomeSchedules.TryGetValue(arm, out var schedule) ? schedule : [];

    /// <summary>Every participant, in file order.</summary>
    public IReadOnlyList<Participant> Participants { get; }

    /// <summary>The participant with this code, or <c>null</c>.</summary>
    public Participant? Find(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _byId.GetValueOrDefault(id);
    }

    /// <summary>The participant with this code; throws <see cref="KeyNotFoundException"/> naming the registry when there is none.</summary>
    public Participant Get(string id) =>
        Find(id) ?? throw new KeyNotFoundException($"Participant '{id}' is not in the registry {SourcePath}.");

    /// <summary>The participant wearing the device at <paramref name="address"/> at an instant, with the binding; <c>null</c> when it is bound to nobody then.</summary>
    public (Participant Participant, DeviceBinding Binding)? FindByDevice(string address, DateTimeOffset instant)
    {
        ArgumentNullException.ThrowIfNull(address);
        foreach (var p in Participants)
        {
            if (p.DeviceAt(address, instant) is { } binding)
            {
                return (p, binding);
            }
        }

        return null;
    }
}
