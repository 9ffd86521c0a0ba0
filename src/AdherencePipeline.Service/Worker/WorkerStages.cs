using System.Reactive.Disposables;
using System.Reactive.Linq;
using AdherencePipeline.BlueZ;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Sensors;
using AdherencePipeline.Service.Monitoring;

namespace AdherencePipeline.Service.Worker;

/// <summary>The live service's stage in front of the shared pipeline: one device's transport data to device data.</summary>
internal static class WorkerStages
{
    /// <summary>
    /// Decodes the frames of the device at <paramref name="address"/> and turns its disconnect markers into
    /// <see cref="DeviceDisconnected"/> gap data, in the order the transport queued them. A gap runs from the
    /// last frame before the disconnect to the first frame after the reconnect (the analyser's gap end), so it
    /// is emitted when that frame arrives, or when the stream completes during the outage. Each frame's
    /// result is counted in <paramref name="metrics"/>, which also logs faults at a bounded rate.
    /// </summary>
    /// <remarks>With <paramref name="counters"/>, the device's undecodable frames and sensor-clock resets are counted there.</remarks>
    public static IObservable<DeviceData> DecodeDevice(this IObservable<BleData> data, FirmwareProfile profile, string address, DeviceFaultCounters? counters = null, WorkerMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(profile);
        return Observable.Create<DeviceData>(observer =>
        {
            var decoder = new DeviceDecoder(profile, address);
            var output = new List<DeviceData>(2);
            BleDeviceDisconnected? outage = null;
            var subscription = data.Subscribe(
                item =>
                {
                    if (item.DeviceAddress != address)
                    {
                        return;
                    }

                    output.Clear();
                    if (item.Disconnected is { } disconnected)
                    {
                        // Several attempts may fail before the device streams again: the gap starts at the first loss.
                        outage ??= disconnected;
                    }
                    else
                    {
                        if (outage is not null)
                        {
                            output.Add(new DeviceDisconnected(address, profile.Id, outage.LastFrameUnixNs, item.Frame.ReceivedUnixNs));
                            outage = null;
                        }

                        var decodedFrom = output.Count;
                        decoder.Decode(item.Frame, output);
                        metrics?.Decoded(decoder, output, decodedFrom);
                        counters?.Set(address, decoder.Faults, decoder.Clock.Resets);
                    }

                    foreach (var d in output)
                    {
                        observer.OnNext(d);
                    }
                },
                observer.OnError,
                () =>
                {
                    if (outage is not null)
                    {
                        observer.OnNext(outage.ToDeviceData());
                    }

                    observer.OnCompleted();
                });
            return new CompositeDisposable(subscription, decoder);
        });
    }
}
