using System.Reactive.Linq;
using AdherencePipeline.Activity;

namespace AdherencePipeline.Pipeline;

/// <summary>The classify stage: wires <see cref="ActivityClassifier"/> into the live pipeline.</summary>
public static class ActivityStages
{
    /// <summary>
    /// Passes every event on and, right after each complete <see cref="WindowEvent"/>, emits its
    /// <see cref="ActivityEvent"/>. The model is read from <paramref name="model"/> at every window, so
    /// a hot swap applies from the next window; the smoother's state lives in the subscription.
    /// </summary>
    public static IObservable<PipelineEvent> Classify(this IObservable<PipelineEvent> events, Func<ActivityModel> model)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(model);
        return Observable.Create<PipelineEvent>(observer =>
        {
            var classifier = new ActivityClassifier(model);
            return events.Subscribe(
                e =>
                {
                    observer.OnNext(e);
                    if (e is WindowEvent w && classifier.Classify(w) is { } activity)
                    {
                        observer.OnNext(activity);
                    }
                    else if (e is GapEvent g)
                    {
                        classifier.Reset(g.Participant, g.DeviceModel);
                    }
                },
                observer.OnError,
                observer.OnCompleted);
        });
    }

    /// <summary>The classify stage with the model of <paramref name="source"/>, swapped when its file changes.</summary>
    public static IObservable<PipelineEvent> Classify(this IObservable<PipelineEvent> events, ActivityModelSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return events.Classify(() => source.Current);
    }
}
