using System.Text.RegularExpressions;

namespace AdherencePipeline.Sensors;

/// <summary>How a characteristic is subscribed to.</summary>
public enum SubscribeMode
{
    /// <summary>Notifications (no acknowledgement).</summary>
    Notify,

    /// <summary>Indications (acknowledged).</summary>
    Indicate,

    /// <summary>Not subscribed: only read or written.</summary>
    None,
}

/// <summary>
/// One device model: how to recognise it, what to subscribe to, what to write to start and stop
/// streaming, and which decoder reads each characteristic. Loaded from a JSON file in
/// <c>firmware-profiles/</c> by <see cref="FirmwareProfileLoader"/>, which validates every field.
/// </summary>
/// <param name="Id">Stable identifier, equal to the file name without <c>.json</c>.</param>
/// <param name="DisplayName">A human-readable model name.</param>
/// <param name="Recognition">How a scan result is matched to this profile.</param>
/// <param name="Characteristics">The characteristics used, each with its decoder.</param>
/// <param name="Start">Control-point writes that start streaming, in order.</param>
/// <param name="Stop">Control-point writes that stop streaming, in order.</param>
/// <param name="SourcePath">The file the profile was loaded from.</param>
public sealed record FirmwareProfile(
    string Id,
    string DisplayName,
    DeviceRecognition Recognition,
    IReadOnlyList<CharacteristicProfile> Characteristics,
    IReadOnlyList<ControlWrite> Start,
    IReadOnlyList<ControlWrite> Stop,
    string SourcePath)
{
    /// <summary>The characteristic with this UUID, or <c>null</c>.</summary>
    public CharacteristicProfile? Find(Guid uuid)
    {
        foreach (var characteristic in Characteristics)
        {
            if (characteristic.Uuid == uuid)
            {
                return characteristic;
            }
        }

        return null;
    }
}

/// <summary>How to tell a device of this model from a scan: name pattern and advertised services.</summary>
/// <param name="NamePattern">A regular expression the advertised name must match, or <c>null</c> for any name.</param>
/// <param name="ServiceUuids">Services the device must offer (all of them).</param>
public sealed record DeviceRecognition(Regex? NamePattern, IReadOnlyList<Guid> ServiceUuids)
{
    /// <summary>True when a device with this name and these services is of this model.</summary>
    public bool Matches(string? advertisedName, IReadOnlyCollection<Guid> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (NamePattern is not null && (advertisedName is null || !NamePattern.IsMatch(advertisedName)))
        {
            return false;
        }

        foreach (var service in ServiceUuids)
        {
            if (!services.Contains(service))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>A characteristic the worker uses, and the decoder for its notifications.</summary>
/// <param name="Name">A short name for logs and the CLI, e.g. <c>heart-rate</c>.</param>
/// <param name="Service">The service it belongs to.</param>
/// <param name="Uuid">The characteristic UUID.</param>
/// <param name="Subscribe">How to subscribe.</param>
/// <param name="MaxPayloadBytes">The largest notification the device sends (ATT MTU − 3).</param>
/// <param name="Decoder">Which decoder reads it, with its parameters.</param>
public sealed record CharacteristicProfile(string Name, Guid Service, Guid Uuid, SubscribeMode Subscribe, int MaxPayloadBytes, DecoderSpec Decoder);

/// <summary>A value to write to a characteristic (normally a control point).</summary>
/// <param name="Characteristic">Where to write.</param>
/// <param name="Value">The exact bytes.</param>
/// <param name="WithResponse">True for write-with-response.</param>
public sealed record ControlWrite(Guid Characteristic, ReadOnlyMemory<byte> Value, bool WithResponse = true);

/// <summary>Which decoder a characteristic uses, with its parameters.</summary>
public abstract record DecoderSpec
{
    /// <summary>The decoder kinds a profile may name.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["none", "hrs-measurement", "pmd-control-point", "pmd-accelerometer", "declarative-accelerometer"];

    /// <summary>The kind's name as written in profiles.</summary>
    public abstract string Kind { get; }

    /// <summary>The same decoder with a different sample rate and/or range, where those apply.</summary>
    public virtual DecoderSpec WithOverrides(double? sampleRateHz, double? rangeG) => this;
}

/// <summary>A characteristic that is only written (a lab firmware's control point): nothing to decode.</summary>
public sealed record NoDecoderSpec : DecoderSpec
{
    /// <inheritdoc/>
    public override string Kind => "none";
}

/// <summary>Bluetooth SIG Heart Rate Measurement (0x2A37).</summary>
public sealed record HeartRateDecoderSpec : DecoderSpec
{
    /// <inheritdoc/>
    public override string Kind => "hrs-measurement";
}

/// <summary>Polar PMD control-point responses.</summary>
public sealed record PmdControlPointDecoderSpec : DecoderSpec
{
    /// <inheritdoc/>
    public override string Kind => "pmd-control-point";
}

/// <summary>Polar PMD accelerometer data frames.</summary>
/// <param name="Settings">The stream's settings (sample rate, resolution, range; factor until the device sends one).</param>
/// <param name="FrameType">The frame type the device sends (without the compression bit).</param>
/// <param name="Compressed">True when the device sends delta-compressed frames.</param>
public sealed record PmdAccelerometerDecoderSpec(PmdAccelerometerSettings Settings, int FrameType, bool Compressed) : DecoderSpec
{
    /// <inheritdoc/>
    public override string Kind => "pmd-accelerometer";

    /// <inheritdoc/>
    public override DecoderSpec WithOverrides(double? sampleRateHz, double? rangeG) => this with
    {
        Settings = Settings with
        {
            SampleRateHz = sampleRateHz is { } rate ? (int)Math.Round(rate) : Settings.SampleRateHz,
            RangeG = rangeG is { } range ? (int)Math.Round(range) : Settings.RangeG,
        },
    };
}

/// <summary>A fixed struct layout for lab firmware.</summary>
/// <param name="Layout">The layout.</param>
/// <param name="RangeG">The range the scale was derived from, when the profile gave a range instead of a scale.</param>
public sealed record DeclarativeDecoderSpec(DeclarativeLayout Layout, double? RangeG) : DecoderSpec
{
    /// <inheritdoc/>
    public override string Kind => "declarative-accelerometer";

    /// <inheritdoc/>
    public override DecoderSpec WithOverrides(double? sampleRateHz, double? rangeG)
    {
        var l = Layout;
        var scale = rangeG is { } range ? DeclarativeLayout.ScaleForRange(range, l.ValueType) : l.ScaleMilliG;
        var layout = new DeclarativeLayout(l.ValueType, l.AxisOrder, scale, sampleRateHz ?? l.SampleRateHz, l.BigEndian, l.HeaderBytes, l.Timestamp, l.SamplesPerFrame);
        return new DeclarativeDecoderSpec(layout, rangeG ?? RangeG);
    }
}
