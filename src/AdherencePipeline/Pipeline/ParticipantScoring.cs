using AdherencePipeline.Activity;
using AdherencePipeline.Signal;

namespace AdherencePipeline.Pipeline;

/// <summary>
/// Everything after decoding, composed once: analysis, then (with a model) classification, bouts,
/// sessions and adherence. Replay, re-scoring from the raw archive and the live worker all call
/// this, so a model scores archived data exactly as it scored it live.
/// </summary>
public static class ParticipantScoring
{
    /// <summary>The participant's pipeline events from their merged device data; without a model, windows are not classified.</summary>
    public static IObservable<PipelineEvent> Score(this IObservable<DeviceData> data, ParticipantContext context, SignalOptions? signal, ActivityModel? model, Adherence.Participant? registration) =>
        data.Score(context, signal, model is null ? null : () => model, registration);

    /// <summary>
    /// As above, with the model read at every window from <paramref name="model"/> (e.g. an
    /// <see cref="ActivityModelSource"/>'s current model), so a hot swap applies from the next window.
    /// </summary>
    public static IObservable<PipelineEvent> Score(this IObservable<DeviceData> data, ParticipantContext context, SignalOptions? signal, Func<ActivityModel>? model, Adherence.Participant? registration)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(context);
        return data.Process(new ParticipantPipelineOptions
        {
            Participant = context.Participant,
            Reserve = context.Reserve,
            Signal = signal ?? new SignalOptions(),
            Model = model,
            Registration = registration,
        });
    }
}
