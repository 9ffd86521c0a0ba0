using System.Reactive.Linq;
using AdherencePipeline.Activity;
using AdherencePipeline.Adherence;
using AdherencePipeline.Signal;

namespace AdherencePipeline.Pipeline;

/// <summary>A bout closed.</summary>
public sealed record BoutEvent(string Participant, string DeviceModel, Bout Bout, Participant? Registration) : PipelineEvent(Participant, DeviceModel)
{
    /// <summary>The model that classified the bout's windows (the latest, if it was swapped mid-bout); null before any window was classified.</summary>
    public string? ModelVersion { get; init; }
}

/// <summary>A session closed.</summary>
public sealed record SessionEvent(string Participant, string DeviceModel, Session Session, Participant? Registration) : PipelineEvent(Participant, DeviceModel)
{
    /// <summary>The model that classified the session's windows (the latest, if it was swapped mid-session).</summary>
    public string? ModelVersion { get; init; }
}

/// <summary>Adherence of a week or day, recomputed because a session in it closed.</summary>
public sealed record AdherenceEvent(string Participant, string DeviceModel, AdherencePeriod Period, bool Week, Participant Registration) : PipelineEvent(Participant, DeviceModel)
{
    /// <summary>The model whose sessions this adherence counts.</summary>
    public string? ModelVersion { get; init; }
}

/// <summary>
/// The adherence stage: classified windows → bouts and sessions as they close → weekly and daily
/// adherence of the periods those sessions fall in. Plain <see cref="SessionBuilder"/> and
/// <see cref="AdherenceCalculator"/> do the work; state lives in the subscription.
/// </summary>
public static class AdherenceStages
{
    /// <summary>How long closed sessions are kept for recomputing adherence: the current and previous weeks.</summary>
    private static readonly TimeSpan SessionMemory = TimeSpan.FromDays(15);

    /// <summary>
    /// Passes every event on and adds bout, session and adherence events for the participant. Windows
    /// that are incomplete count as invalid time (coverage); completing the input closes what is open.
    /// <paramref name="priorSessions"/> (stored before a restart) count towards adherence with the new ones.
    /// With a <paramref name="journal"/>, every window that can change what is open is journalled before
    /// it is used, and the windows an earlier run left in it are fed in first at subscription: what was
    /// open when that run died is rebuilt exactly (bouts and sessions it had closed are emitted again with
    /// the same timestamps and values, so they overwrite themselves), is flagged
    /// <see cref="SessionQuality.Recovered"/>, and is closed at once if <paramref name="resumedAtNs"/> is
    /// already past the interruption and session-gap limits; otherwise new windows continue it. A clean
    /// completion empties the journal.
    /// </summary>
    public static IObservable<PipelineEvent> Sessions(this IObservable<PipelineEvent> events, Participant? participant, string participantCode, BoutOptions? options = null, IReadOnlyList<Session>? priorSessions = null, SessionJournal? journal = null, long? resumedAtNs = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        var prior = priorSessions ?? [];
        return Observable.Create<PipelineEvent>(observer =>
        {
            var builder = participant is null ? new SessionBuilder(participantCode, options) : new SessionBuilder(participant, options);
            var bouts = new List<Bout>();
            var sessions = new List<Session>();
            var closed = new List<Session>(prior);
            WindowEvent? lastWindow = null;
            var deviceModel = "unknown";
            string? modelVersion = null;

            void Emit()
            {
                foreach (var bout in bouts)
                {
                    observer.OnNext(new BoutEvent(participantCode, deviceModel, bout, participant) { ModelVersion = modelVersion });
                }

                foreach (var session in sessions)
                {
                    observer.OnNext(new SessionEvent(participantCode, deviceModel, session, participant) { ModelVersion = modelVersion });
                    if (participant is null)
                    {
                        continue;
                    }

                    // A session is keyed by its start: one emitted again (restored from the journal) replaces its stored copy.
                    closed.RemoveAll(s => s.Summary.StartNs == session.Summary.StartNs || s.Summary.EndNs < session.Summary.StartNs - SessionMemory.Ticks * 100);
                    closed.Add(session);
                    observer.OnNext(new AdherenceEvent(participantCode, deviceModel, AdherenceCalculator.Week(participant, session.LocalDate, closed), true, participant) { ModelVersion = modelVersion });
                    observer.OnNext(new AdherenceEvent(participantCode, deviceModel, AdherenceCalculator.Day(participant, session.LocalDate, closed), false, participant) { ModelVersion = modelVersion });
                }

                bouts.Clear();
                sessions.Clear();
            }

            long? lastClosedStartNs = null;

            // Keeps the journal to what is open plus the session closed last (its point may still be on
            // its way to the spool when the process dies); earlier windows can no longer change anything.
            void Trim()
            {
                if (journal is null)
                {
                    return;
                }

                var keepFrom = Math.Min(builder.OpenSinceNs ?? long.MaxValue, lastClosedStartNs ?? long.MaxValue);
                if (keepFrom == long.MaxValue)
                {
                    journal.Clear();
                }
                else
                {
                    journal.KeepFrom(keepFrom);
                }
            }

            void Add(ClassifiedWindow window)
            {
                // A window that leaves an idle builder idle changes nothing and need not be journalled.
                if (journal is not null && !(builder.IsIdle && !window.IsExercise))
                {
                    journal.Append(new SessionJournalEntry(window, deviceModel, modelVersion));
                }

                builder.Add(window, bouts, sessions);
                var trim = sessions.Count > 0 || builder.IsIdle;
                if (sessions.Count > 0)
                {
                    lastClosedStartNs = sessions[^1].Summary.StartNs;
                }

                if (trim)
                {
                    Trim();
                }
            }

            if (journal is not null && journal.Recovered.Count > 0)
            {
                foreach (var entry in journal.Recovered)
                {
                    deviceModel = entry.DeviceModel;
                    modelVersion = entry.ModelVersion;
                    builder.Add(entry.Window, bouts, sessions);
                    if (sessions.Count > 0)
                    {
                        lastClosedStartNs = sessions[^1].Summary.StartNs;
                    }

                    Emit();
                }

                builder.MarkRecovered();
                if (resumedAtNs is { } now)
                {
                    builder.Expire(now, bouts, sessions);
                    if (sessions.Count > 0)
                    {
                        lastClosedStartNs = sessions[^1].Summary.StartNs;
                    }

                    Emit();
                }

                Trim();
            }

            return events.Subscribe(
                e =>
                {
                    observer.OnNext(e);
                    switch (e)
                    {
                        case WindowEvent w:
                            deviceModel = w.DeviceModel;
                            lastWindow = w;
                            if (!w.Window.IsComplete)
                            {
                                Add(new ClassifiedWindow(w.Window.StartNs, w.Window.EndNs, ExerciseClasses.Rest, null, null, null, false));
                            }

                            break;
                        case ActivityEvent a:
                            deviceModel = a.DeviceModel;
                            modelVersion = a.ModelVersion;
                            Add(ToWindow(a, lastWindow));
                            break;
                    }

                    Emit();
                },
                observer.OnError,
                () =>
                {
                    builder.Complete(bouts, sessions);
                    Emit();
                    // Everything open is closed and handed to the store; the next start begins afresh.
                    journal?.Clear();
                    observer.OnCompleted();
                });
        });
    }

    private static readonly int HeartRateIndex = WindowFeatures.IndexOf("hr_mean_bpm");
    private static readonly int HrrIndex = WindowFeatures.IndexOf("hrr_mean_pct");

    private static ClassifiedWindow ToWindow(ActivityEvent a, WindowEvent? window)
    {
        double? bpm = null, hrr = null;
        if (window is not null && window.Window.StartNs == a.StartNs)
        {
            var hr = window.Features[HeartRateIndex];
            var reserve = window.Features[HrrIndex];
            bpm = float.IsFinite(hr) ? hr : null;
            hrr = float.IsFinite(reserve) ? reserve : null;
        }

        return new ClassifiedWindow(a.StartNs, a.EndNs, ActivityTaxonomy.Name(a.Smoothed), a.Intensity?.Level, bpm, hrr, true);
    }
}
