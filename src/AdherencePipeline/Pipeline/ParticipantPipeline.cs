using AdherencePipeline.Activity;
using AdherencePipeline.Adherence;
using AdherencePipeline.Signal;

namespace AdherencePipeline.Pipeline;

/// <summary>What the stages after decoding need to know about one participant.</summary>
public sealed record ParticipantPipelineOptions
{
    /// <summary>The participant's pseudonymous code.</summary>
    public required string Participant { get; init; }

    /// <summary>Resting and maximum heart rate for %HRR; defaults to the registry entry's.</summary>
    public HeartRateReserve? Reserve { get; init; }

    /// <summary>Signal settings.</summary>
    public SignalOptions Signal { get; init; } = new();

    /// <summary>The activity model, read at every window; without one, windows are not classified and no sessions are formed.</summary>
    public Func<ActivityModel>? Model { get; init; }

    /// <summary>The participant's registry entry, for prescription, time zone and adherence; optional.</summary>
    public Participant? Registration { get; init; }

    /// <summary>Sessions already stored (e.g. earlier this week, before a restart) that adherence counts alongside new ones.</summary>
    public IReadOnlyList<Session> PriorSessions { get; init; } = [];

    /// <summary>The bout and session rules; the defaults of docs/adherence.md when null.</summary>
    public BoutOptions? Bouts { get; init; }

    /// <summary>
    /// The participant's session journal (the live service keeps one), from which what an unclean stop
    /// left open is rebuilt and flagged recovered; null for none.
    /// </summary>
    public SessionJournal? Journal { get; init; }

    /// <summary>When this run started: a restored bout or session that this time already ends is closed at once.</summary>
    public DateTimeOffset? ResumedAt { get; init; }
}

/// <summary>
/// The one composition of the stages after decoding, shared by replay and the live service so both
/// produce the same events from the same data: analyse → classify → bouts, sessions, adherence.
/// </summary>
public static class ParticipantPipeline
{
    /// <summary>The events of one participant from the merged, decoded data of their devices.</summary>
    public static IObservable<PipelineEvent> Process(this IObservable<DeviceData> data, ParticipantPipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var events = data.Analyse(new ParticipantContext(options.Participant, options.Reserve ?? options.Registration?.HeartRateReserve), options.Signal);
        return options.Model is { } model
            ? events.Classify(model).Sessions(options.Registration, options.Participant, options.Bouts, options.PriorSessions, options.Journal,
                options.ResumedAt is { } resumed ? Storage.Point.ToTimestampNs(resumed) : null)
            : events;
    }
}
