using AdherencePipeline.Sensors;
using AdherencePipeline.Signal;

namespace AdherencePipeline.Pipeline;

/// <summary>
/// Turns one device's notifications into <see cref="DeviceData"/> on the wall clock: decodes with
/// the device's firmware profile, maps sensor timestamps to the host clock with a
/// <see cref="ClockAligner"/>, and stamps heart rate (which has no sensor clock) with its receive
/// time minus the latency estimated from the device's own accelerometer frames.
/// One instance per connected device; not thread-safe.
/// </summary>
public sealed class DeviceDecoder : IDisposable
{
    private const double LatencySmoothing = 0.05;
    private readonly SensorDecoder _decoder;
    private readonly ClockAligner _clock = new();
    private readonly bool _accelerometerHasSensorClock;
    private double _latencyNs;
    private bool _latencyKnown;

    /// <summary>Creates the decoder of the device at <paramref name="deviceAddress"/>.</summary>
    public DeviceDecoder(FirmwareProfile profile, string deviceAddress)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentException.ThrowIfNullOrEmpty(deviceAddress);
        _decoder = new SensorDecoder(profile);
        DeviceAddress = deviceAddress;
        DeviceModel = profile.Id;
        // Declarative frames without a timestamp field are stamped with their receive time already.
        _accelerometerHasSensorClock = profile.Characteristics.Any(c =>
            c.Decoder is PmdAccelerometerDecoderSpec || c.Decoder is DeclarativeDecoderSpec { Layout.Timestamp: not null });
    }

    /// <summary>The device's address.</summary>
    public string DeviceAddress { get; }

    /// <summary>The firmware profile id.</summary>
    public string DeviceModel { get; }

    /// <summary>Notifications decoded.</summary>
    public long Frames { get; private set; }

    /// <summary>Accelerometer samples decoded.</summary>
    public long AccelerometerSamples { get; private set; }

    /// <summary>Heart-rate measurements decoded.</summary>
    public long HeartRateMeasurements { get; private set; }

    /// <summary>Notifications that could not be decoded.</summary>
    public long Faults { get; private set; }

    /// <summary>The fault of the last notification that could not be decoded (its kind, field and offset), for counting by kind.</summary>
    public DecodeFault LastFault { get; private set; }

    /// <summary>The clock alignment of this device's sensor clock.</summary>
    public ClockAligner Clock => _clock;

    /// <summary>Decodes one notification; the data it carries goes to <paramref name="output"/>.</summary>
    public void Decode(in RawFrame frame, ICollection<DeviceData> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Frames++;
        var result = _decoder.Decode(frame);
        if (!result.IsSuccess)
        {
            Faults++;
            LastFault = result.Fault;
            output.Add(new DeviceFault(DeviceAddress, DeviceModel, frame.ReceivedUnixNs, result.Fault.ToString()));
            return;
        }

        switch (result.Kind)
        {
            case DecodedKind.Accelerometer:
                output.Add(Acceleration(frame.ReceivedUnixNs));
                break;
            case DecodedKind.HeartRate:
                output.Add(HeartRate(frame.ReceivedUnixNs));
                break;
            default:
                break;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _decoder.Dispose();

    private AccelerationData Acceleration(long receivedNs)
    {
        var block = _decoder.Accelerometer;
        var n = block.Count;
        AccelerometerSamples += n;
        var t = new long[n];
        var x = new float[n];
        var y = new float[n];
        var z = new float[n];
        if (_accelerometerHasSensorClock)
        {
            _clock.Observe(block.FrameTimestampNs, receivedNs);
            var lastWall = _clock.ToWallClock(block.FrameTimestampNs);
            var latency = receivedNs - lastWall;
            _latencyNs = _latencyKnown ? _latencyNs + LatencySmoothing * (latency - _latencyNs) : latency;
            _latencyKnown = true;
            for (var i = 0; i < n; i++)
            {
                t[i] = _clock.ToWallClock(block.TimestampsNs[i]);
            }
        }
        else
        {
            block.TimestampsNs.CopyTo(t);
        }

        for (var i = 0; i < n; i++)
        {
            x[i] = (float)(block.XMilliG[i] / 1000);
            y[i] = (float)(block.YMilliG[i] / 1000);
            z[i] = (float)(block.ZMilliG[i] / 1000);
        }

        return new AccelerationData(DeviceAddress, DeviceModel, block.SampleRateHz, t, x, y, z);
    }

    private HeartRateData HeartRate(long receivedNs)
    {
        HeartRateMeasurements++;
        var measurement = _decoder.HeartRate;
        var raw = _decoder.RrIntervalsRaw;
        var rr = new double[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            rr[i] = HeartRateMeasurement.RrToMilliseconds(raw[i]);
        }

        bool? contact = measurement.Contact switch
        {
            SensorContact.Contact => true,
            SensorContact.NoContact => false,
            _ => null,
        };
        var bpm = contact == false ? 0 : measurement.HeartRateBpm;
        // The estimate is good to a millisecond at best; finer digits would only be noise.
        var latencyMs = Math.Max(0, Math.Round(_latencyNs / 1e6));
        var timestamp = receivedNs - (long)latencyMs * 1_000_000;
        return new HeartRateData(DeviceAddress, DeviceModel, timestamp, bpm, rr, contact);
    }
}
