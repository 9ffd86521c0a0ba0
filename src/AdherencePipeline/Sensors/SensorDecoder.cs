namespace AdherencePipeline.Sensors;

/// <summary>
/// Decodes every notification of one device according to its <see cref="FirmwareProfile"/>: picks the
/// decoder by characteristic, keeps per-stream state (previous PMD frame time, the conversion factor
/// from the start response) and exposes the last decoded values. One instance per connected device;
/// not thread-safe. Decoding allocates nothing once constructed.
/// </summary>
public sealed class SensorDecoder : IDisposable
{
    private readonly Dictionary<Guid, Route> _routes = [];
    private readonly ushort[] _rr;

    /// <summary>Creates the decoders a profile names.</summary>
    public SensorDecoder(FirmwareProfile profile, int accelerometerCapacity = 1024)
    {
        ArgumentNullException.ThrowIfNull(profile);
        Profile = profile;
        Accelerometer = new AccelerometerBlock(accelerometerCapacity);
        _rr = new ushort[256];
        foreach (var characteristic in profile.Characteristics)
        {
            _routes[characteristic.Uuid] = characteristic.Decoder switch
            {
                PmdAccelerometerDecoderSpec acc => new Route(characteristic.Decoder, new PmdAccelerometerDecoder(acc.Settings), null),
                DeclarativeDecoderSpec declarative => new Route(characteristic.Decoder, null, new DeclarativeDecoder(declarative.Layout)),
                _ => new Route(characteristic.Decoder, null, null),
            };
        }
    }

    /// <summary>The profile in use.</summary>
    public FirmwareProfile Profile { get; }

    /// <summary>The accelerometer block filled by the last accelerometer decode.</summary>
    public AccelerometerBlock Accelerometer { get; }

    /// <summary>The last decoded heart-rate measurement.</summary>
    public HeartRateMeasurement HeartRate { get; private set; }

    /// <summary>The RR intervals (raw, 1/1024 s, oldest first) of <see cref="HeartRate"/>.</summary>
    public ReadOnlySpan<ushort> RrIntervalsRaw => _rr.AsSpan(0, HeartRate.RrIntervalCount);

    /// <summary>The last control-point response.</summary>
    public PmdControlPointResponse ControlPoint { get; private set; }

    /// <summary>Settings carried by the last successful control-point response with parameters.</summary>
    public PmdSettings? ControlPointSettings { get; private set; }

    /// <summary>Decodes a raw frame.</summary>
    public DecodeResult Decode(in RawFrame frame) => Decode(frame.Characteristic, frame.Payload.Span, frame.ReceivedUnixNs);

    /// <summary>Decodes one notification from <paramref name="characteristic"/>.</summary>
    public DecodeResult Decode(Guid characteristic, ReadOnlySpan<byte> payload, long receivedUnixNs)
    {
        if (!_routes.TryGetValue(characteristic, out var route))
        {
            return DecodeResult.Failure(DecodeFaultKind.Unsupported, "characteristic", 0);
        }

        switch (route.Spec)
        {
            case HeartRateDecoderSpec:
                return DecodeHeartRate(payload);
            case PmdAccelerometerDecoderSpec:
                return route.Pmd!.Decode(payload, Accelerometer);
            case DeclarativeDecoderSpec:
                return route.Declarative!.Decode(payload, receivedUnixNs, Accelerometer);
            case PmdControlPointDecoderSpec:
                return DecodeControlPoint(payload);
            default:
                return DecodeResult.Failure(DecodeFaultKind.Unsupported, "characteristic", 0);
        }
    }

    /// <summary>Returns the accelerometer block's buffers to the pool.</summary>
    public void Dispose() => Accelerometer.Dispose();

    private DecodeResult DecodeHeartRate(ReadOnlySpan<byte> payload)
    {
        var result = HeartRateMeasurementCodec.Decode(payload, _rr, out var measurement);
        HeartRate = result.IsSuccess ? measurement : default;
        return result;
    }

    private DecodeResult DecodeControlPoint(ReadOnlySpan<byte> payload)
    {
        var result = PmdControlPoint.TryParseResponse(payload, out var response);
        if (!result.IsSuccess)
        {
            return result;
        }

        ControlPoint = response;
        if (response.IsDeviceStop || (response.OpCode == PmdOpCode.StopMeasurement && response.IsSuccess))
        {
            // A stopped stream starts afresh: the next frame has no previous timestamp to follow.
            foreach (var route in _routes.Values)
            {
                route.Pmd?.Reset();
            }

            return result;
        }

        if (!response.IsSuccess || response.ParametersOffset >= payload.Length)
        {
            return result;
        }

        var parsed = PmdSettings.TryParse(payload[response.ParametersOffset..], response.ParametersOffset, out var settings);
        if (!parsed.IsSuccess)
        {
            return parsed;
        }

        ControlPointSettings = settings;
        if (response.OpCode == PmdOpCode.RequestMeasurementStart && response.MeasurementType == (byte)PmdMeasurementType.Acc && settings[PmdSettingType.Factor].Count > 0)
        {
            // The factor only arrives in the start response; without it compressed frames scale wrongly.
            var factor = settings.Factor;
            foreach (var key in _routes.Keys.ToArray())
            {
                var route = _routes[key];
                if (route.Pmd is { } pmd && float.IsFinite(factor) && factor > 0)
                {
                    _routes[key] = route with { Pmd = new PmdAccelerometerDecoder(pmd.Settings with { Factor = factor }) };
                }
            }
        }

        return result;
    }

    private sealed record Route(DecoderSpec Spec, PmdAccelerometerDecoder? Pmd, DeclarativeDecoder? Declarative);
}
