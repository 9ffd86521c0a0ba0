using System.Reactive.Disposables;
using System.Reactive.Linq;
using AdherencePipeline.Sensors;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Pipeline;

/// <summary>
/// The live pipeline's Rx stages. Each wraps a plain class (<see cref="DeviceDecoder"/>,
/// <see cref="ParticipantAnalyser"/>) whose state is created per subscription, so two subscribers
/// never share a filter's memory; blocks, not samples, travel between stages.
/// </summary>
public static class PipelineStages
{
    /// <summary>Decodes the notifications of one device into wall-clock device data; faults travel as <see cref="DeviceFault"/> values.</summary>
    public static IObservable<DeviceData> Decode(this IObservable<RawFrame> frames, FirmwareProfile profile, string deviceAddress)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(profile);
        return Observable.Create<DeviceData>(observer =>
        {
            var decoder = new DeviceDecoder(profile, deviceAddress);
            var output = new List<DeviceData>(2);
            var subscription = frames.Subscribe(
                frame =>
                {
                    output.Clear();
                    decoder.Decode(frame, output);
                    foreach (var data in output)
                    {
                        observer.OnNext(data);
                    }
                },
                observer.OnError,
                observer.OnCompleted);
            return new CompositeDisposable(subscription, decoder);
        });
    }

    /// <summary>
    /// Analyses the merged device data of one participant: per-second motion and heart rate, gaps,
    /// and feature windows. Completing the input completes every open second and window.
    /// </summary>
    public static IObservable<PipelineEvent> Analyse(this IObservable<DeviceData> data, ParticipantContext participant, Signal.SignalOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(participant);
        return Observable.Create<PipelineEvent>(observer =>
        {
            var analyser = new ParticipantAnalyser(participant, options);
            var output = new List<PipelineEvent>();
            void Emit()
            {
                foreach (var e in output)
                {
                    observer.OnNext(e);
                }

                output.Clear();
            }

            return data.Subscribe(
                item =>
                {
                    analyser.Add(item, output);
                    Emit();
                },
                observer.OnError,
                () =>
                {
                    analyser.Complete(output);
                    Emit();
                    observer.OnCompleted();
                });
        });
    }

    /// <summary>
    /// Writes the storable events through <paramref name="writer"/> in order, waiting while the
    /// writer's queue is full, and passes every event on once it is queued.
    /// </summary>
    public static IObservable<PipelineEvent> Store(this IObservable<PipelineEvent> events, InfluxLineWriter writer)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(writer);
        return events
            .Select(e => Observable.FromAsync(async cancellationToken =>
            {
                if (PipelinePoints.ToPoint(e) is { } point)
                {
                    await writer.WriteAsync(point, cancellationToken).ConfigureAwait(false);
                }

                return e;
            }))
            .Concat();
    }
}
