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
    /// </summary>
    public static IObservable<PipelineEvent> Sessions(this IObservable<PipelineEvent> events, Participant? participant, string participantCode, BoutOptions? options = null, IReadOnlyList<Session>? priorSessions = null)
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

                    closed.Add(session);
                    closed.RemoveAll(s => s.Summary.EndNs < session.Summary.StartNs - SessionMemory.Ticks * 100);
                    observer.OnNext(new AdherenceEvent(participantCode, deviceModel, AdherenceCalculator.Week(participant, session.LocalDate, closed), true, participant) { ModelVersion = modelVersion });
                    observer.OnNext(new AdherenceEvent(participantCode, deviceModel, AdherenceCalculator.Day(participant, session.LocalDate, closed), false, participant) { ModelVersion = modelVersion });
                }

                bouts.Clear();
                sessions.Clear();
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
                                builder.Add(new ClassifiedWindow(w.Window.StartNs, w.Window.EndNs, ExerciseClasses.Rest, null, null, null, false), bouts, sessions);
                            }

                            break;
                        case ActivityEvent a:
                            modelVersion = a.ModelVersion;
                            builder.Add(ToWindow(a, lastWindow), bouts, sessions);
                            break;
                    }

                    Emit();
                },
                observer.OnError,
                () =>
                {
                    builder.Complete(bouts, sessions);
                    Emit();
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
