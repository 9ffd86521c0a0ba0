using System.Reactive;
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
    /// <remarks>
    /// While the writer's queue has room (almost always) an event is written and passed on in the
    /// same call, without a task or an inner observable per event; only when a write has to wait
    /// are the events behind it held, in order, until it is queued.
    /// </remarks>
    public static IObservable<PipelineEvent> Store(this IObservable<PipelineEvent> events, InfluxLineWriter writer)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(writer);
        return Observable.Create<PipelineEvent>(observer =>
        {
            var sink = new StoreSink(observer, writer);
            return new CompositeDisposable(events.Subscribe(sink.OnNext, sink.OnError, sink.OnCompleted), sink);
        });
    }

    private sealed class StoreSink : IDisposable
    {
        private readonly IObserver<PipelineEvent> _observer;
        private readonly InfluxLineWriter _writer;
        private readonly Lock _gate = new();
        private readonly Queue<Notification<PipelineEvent>> _held = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly CancellationToken _token;
        private bool _waiting;
        private bool _done;

        public StoreSink(IObserver<PipelineEvent> observer, InfluxLineWriter writer)
        {
            _observer = observer;
            _writer = writer;
            // Taken once: the continuation may still run after Dispose has disposed the source.
            _token = _stop.Token;
        }

        public void OnNext(PipelineEvent e)
        {
            lock (_gate)
            {
                if (_waiting)
                {
                    _held.Enqueue(Notification.CreateOnNext(e));
                    return;
                }
            }

            if (Write(e))
            {
                _observer.OnNext(e);
            }
        }

        public void OnError(Exception error) => Hold(Notification.CreateOnError<PipelineEvent>(error));

        public void OnCompleted() => Hold(Notification.CreateOnCompleted<PipelineEvent>());

        public void Dispose()
        {
            lock (_gate)
            {
                _done = true;
                _held.Clear();
            }

            _stop.Cancel();
            _stop.Dispose();
        }

        private void Hold(Notification<PipelineEvent> notification)
        {
            lock (_gate)
            {
                if (_waiting)
                {
                    _held.Enqueue(notification);
                    return;
                }
            }

            notification.Accept(_observer);
        }

        // True when the event's point (if any) is queued and the event may go on; false when the
        // write is waiting (the event goes on from its continuation) or failed (the stream has ended).
        private bool Write(PipelineEvent e)
        {
            if (PipelinePoints.ToPoint(e) is not { } point)
            {
                return true;
            }

            ValueTask pending;
            try
            {
                pending = _writer.WriteAsync(point, _token);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException)
            {
                Fail(ex);
                return false;
            }

            if (pending.IsCompletedSuccessfully)
            {
                return true;
            }

            lock (_gate)
            {
                _waiting = true;
            }

            _ = ContinueAsync(pending, e);
            return false;
        }

        private async Task ContinueAsync(ValueTask pending, PipelineEvent e)
        {
            try
            {
                await pending.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Not swallowed: the stream ends with the writer's error, as any stage's would.
                Fail(ex);
                return;
            }

            _observer.OnNext(e);
            while (true)
            {
                Notification<PipelineEvent> next;
                lock (_gate)
                {
                    if (_done || !_held.TryDequeue(out next!))
                    {
                        _waiting = false;
                        return;
                    }
                }

                if (next.Kind != NotificationKind.OnNext)
                {
                    next.Accept(_observer);
                    continue;
                }

                var held = next.Value;
                var point = PipelinePoints.ToPoint(held);
                if (point is not null)
                {
                    var write = _writer.WriteAsync(point, _token);
                    if (!write.IsCompletedSuccessfully)
                    {
                        try
                        {
                            await write.ConfigureAwait(false);
                        }
                        catch (Exception ex)
                        {
                            Fail(ex);
                            return;
                        }
                    }
                }

                _observer.OnNext(held);
            }
        }

        private void Fail(Exception error)
        {
            lock (_gate)
            {
                if (_done)
                {
                    return;
                }

                _done = true;
                _held.Clear();
            }

            if (!_token.IsCancellationRequested)
            {
                _observer.OnError(error);
            }
        }
    }
}
