using System.Buffers.Binary;

namespace AdherencePipeline.Sensors;

/// <summary>Polar PMD measurement types (low 6 bits of the type byte).</summary>
public enum PmdMeasurementType : byte
{
    /// <summary>Electrocardiogram, µV.</summary>
    Ecg = 0,

    /// <summary>Photoplethysmogram.</summary>
    Ppg = 1,

    /// <summary>Accelerometer, milli-g.</summary>
    Acc = 2,

    /// <summary>Peak-to-peak intervals.</summary>
    Ppi = 3,

    /// <summary>Gyroscope.</summary>
    Gyro = 5,

    /// <summary>Magnetometer.</summary>
    Magnetometer = 6,
}

/// <summary>PMD control-point op codes.</summary>
public enum PmdOpCode : byte
{
    /// <summary>Ask which settings a measurement supports.</summary>
    GetMeasurementSettings = 0x01,

    /// <summary>Start a measurement with one value per setting.</summary>
    RequestMeasurementStart = 0x02,

    /// <summary>Stop a measurement.</summary>
    StopMeasurement = 0x03,
}

/// <summary>PMD setting types, as used in start requests and settings responses.</summary>
public enum PmdSettingType : byte
{
    /// <summary>Sample rate, Hz (uint16).</summary>
    SampleRate = 0,

    /// <summary>Resolution, bits (uint16).</summary>
    Resolution = 1,

    /// <summary>Range, ± G for the accelerometer (uint16).</summary>
    Range = 2,

    /// <summary>Range in milli-units (4 bytes).</summary>
    RangeMilliUnit = 3,

    /// <summary>Number of channels (uint8).</summary>
    Channels = 4,

    /// <summary>Conversion factor (float32), sent by the device only.</summary>
    Factor = 5,

    /// <summary>Security key material (16 bytes), offline recording only.</summary>
    Security = 6,
}

/// <summary>PMD control-point response status codes.</summary>
public enum PmdStatus : byte
{
    /// <summary>The request succeeded.</summary>
    Success = 0,

    /// <summary>Unknown op code.</summary>
    InvalidOpCode = 1,

    /// <summary>Unknown measurement type.</summary>
    InvalidMeasurementType = 2,

    /// <summary>The device does not support the request.</summary>
    NotSupported = 3,

    /// <summary>Bad request length.</summary>
    InvalidLength = 4,

    /// <summary>Bad parameter (e.g. a required setting was missing).</summary>
    InvalidParameter = 5,

    /// <summary>Already started or stopped.</summary>
    AlreadyInState = 6,

    /// <summary>Unsupported resolution.</summary>
    InvalidResolution = 7,

    /// <summary>Unsupported sample rate.</summary>
    InvalidSampleRate = 8,

    /// <summary>Unsupported range.</summary>
    InvalidRange = 9,

    /// <summary>The negotiated MTU is too small.</summary>
    InvalidMtu = 10,

    /// <summary>Unsupported channel count.</summary>
    InvalidNumberOfChannels = 11,

    /// <summary>The device is in the wrong state.</summary>
    InvalidState = 12,

    /// <summary>The device is charging.</summary>
    DeviceInCharger = 13,

    /// <summary>Storage is full.</summary>
    DiskFull = 14,
}

/// <summary>One setting of a PMD start request: a type and its single value.</summary>
/// <param name="Type">Which setting.</param>
/// <param name="Value">Its value (Hz, bits, G or a channel count).</param>
public readonly record struct PmdSetting(PmdSettingType Type, int Value);

/// <summary>A parsed PMD control-point notification.</summary>
/// <param name="IsDeviceStop">True for a device-initiated "measurement stopped" (byte 0 = 0x01).</param>
/// <param name="OpCode">The op code being answered.</param>
/// <param name="MeasurementType">The measurement type byte (low 6 bits; for a device stop, the first stopped type, if any).</param>
/// <param name="Status">The status code.</param>
/// <param name="MoreFollows">True when further notifications continue this response's parameters.</param>
/// <param name="ParametersOffset">Where the parameter bytes (setting TLVs) start in the payload.</param>
public readonly record struct PmdControlPointResponse(bool IsDeviceStop, PmdOpCode OpCode, byte MeasurementType, PmdStatus Status, bool MoreFollows, int ParametersOffset)
{
    /// <summary>True when the device reported success.</summary>
    public bool IsSuccess => !IsDeviceStop && Status == PmdStatus.Success;
}

/// <summary>
/// The settings a PMD device offers (settings response) or accepted (start response): every
/// value per setting type, plus the conversion factor (1.0 when the device sent none).
/// </summary>
public sealed class PmdSettings
{
    private readonly Dictionary<PmdSettingType, int[]> _values = [];

    /// <summary>The conversion factor the device reported, or 1.0.</summary>
    public float Factor { get; private set; } = 1f;

    /// <summary>The setting types present, in ascending order.</summary>
    public IEnumerable<PmdSettingType> Types => _values.Keys.Order();

    /// <summary>The values of one setting type (empty when absent).</summary>
    public IReadOnlyList<int> this[PmdSettingType type] => _values.TryGetValue(type, out var v) ? v : [];

    /// <summary>
    /// Parses setting TLVs (<c>[type][count][count × value]</c>). Control-path code, so it may allocate.
    /// A truncated TLV or an unknown type is a fault naming its offset.
    /// </summary>
    public static DecodeResult TryParse(ReadOnlySpan<byte> tlvs, int baseOffset, out PmdSettings settings)
    {
        settings = new PmdSettings();
        var offset = 0;
        while (offset < tlvs.Length)
        {
            if (tlvs.Length - offset < 2)
            {
                return DecodeResult.Failure(DecodeFaultKind.Truncated, "setting.header", baseOffset + offset, 2, tlvs.Length - offset);
            }

            var type = tlvs[offset];
            int count = tlvs[offset + 1];
            var size = ValueSize((PmdSettingType)type);
            if (size == 0)
            {
                return DecodeResult.Failure(DecodeFaultKind.Unsupported, "setting.type", baseOffset + offset, 0, type);
            }

            offset += 2;
            if (tlvs.Length - offset < count * size)
            {
                return DecodeResult.Failure(DecodeFaultKind.Truncated, "setting.values", baseOffset + offset, count * size, tlvs.Length - offset);
            }

            var values = new int[count];
            for (var i = 0; i < count; i++)
            {
                var value = tlvs.Slice(offset + i * size, size);
                values[i] = size switch
                {
                    1 => value[0],
                    2 => BinaryPrimitives.ReadUInt16LittleEndian(value),
                    4 => BinaryPrimitives.ReadInt32LittleEndian(value),
                    _ => 0,
                };
                if ((PmdSettingType)type == PmdSettingType.Factor)
                {
                    settings.Factor = BinaryPrimitives.ReadSingleLittleEndian(value);
                }
            }

            if ((PmdSettingType)type != PmdSettingType.Security)
            {
                settings._values[(PmdSettingType)type] = values;
            }

            offset += count * size;
        }

        return DecodeResult.Success(DecodedKind.ControlPoint, 0);
    }

    /// <summary>Bytes per value of a setting type; 0 for an unknown type.</summary>
    public static int ValueSize(PmdSettingType type) => type switch
    {
        PmdSettingType.SampleRate or PmdSettingType.Resolution or PmdSettingType.Range => 2,
        PmdSettingType.RangeMilliUnit or PmdSettingType.Factor => 4,
        PmdSettingType.Channels => 1,
        PmdSettingType.Security => 16,
        _ => 0,
    };
}

/// <summary>Builds PMD control-point requests and parses its responses, byte-exact.</summary>
public static class PmdControlPoint
{
    /// <summary>Byte 0 of every response.</summary>
    public const byte ResponseMarker = 0xF0;

    /// <summary>Byte 0 of a device-initiated stop.</summary>
    public const byte DeviceStopMarker = 0x01;

    /// <summary>The type byte for an online (streaming) measurement.</summary>
    public static byte TypeByte(PmdMeasurementType type, bool offline = false) => (byte)((offline ? 0x80 : 0x00) | (byte)type);

    /// <summary>Writes "get measurement settings"; returns the bytes written (2).</summary>
    public static int WriteGetSettings(PmdMeasurementType type, Span<byte> destination)
    {
        destination[0] = (byte)PmdOpCode.GetMeasurementSettings;
        destination[1] = TypeByte(type);
        return 2;
    }

    /// <summary>Writes "stop measurement"; returns the bytes written (2).</summary>
    public static int WriteStop(PmdMeasurementType type, Span<byte> destination)
    {
        destination[0] = (byte)PmdOpCode.StopMeasurement;
        destination[1] = TypeByte(type);
        return 2;
    }

    /// <summary>The length of a start request with these settings.</summary>
    public static int StartLength(ReadOnlySpan<PmdSetting> settings)
    {
        var length = 2;
        foreach (var setting in settings)
        {
            length += 2 + PmdSettings.ValueSize(setting.Type);
        }

        return length;
    }

    /// <summary>
    /// Writes "request measurement start", one value per setting, in ascending setting-type order
    /// (the H10 rejects a start that leaves out a setting it advertises). Returns the bytes written.
    /// </summary>
    public static int WriteStart(PmdMeasurementType type, ReadOnlySpan<PmdSetting> settings, Span<byte> destination)
    {
        Span<PmdSetting> ordered = stackalloc PmdSetting[settings.Length];
        settings.CopyTo(ordered);
        ordered.Sort(static (a, b) => a.Type.CompareTo(b.Type));
        destination[0] = (byte)PmdOpCode.RequestMeasurementStart;
        destination[1] = TypeByte(type);
        var offset = 2;
        foreach (var setting in ordered)
        {
            if (setting.Type is PmdSettingType.Factor or PmdSettingType.Security)
            {
                throw new ArgumentException($"A start request cannot carry the {setting.Type} setting.", nameof(settings));
            }

            destination[offset++] = (byte)setting.Type;
            destination[offset++] = 1;
            switch (PmdSettings.ValueSize(setting.Type))
            {
                case 1:
                    destination[offset] = checked((byte)setting.Value);
                    break;
                case 2:
                    BinaryPrimitives.WriteUInt16LittleEndian(destination[offset..], checked((ushort)setting.Value));
                    break;
                default:
                    BinaryPrimitives.WriteInt32LittleEndian(destination[offset..], setting.Value);
                    break;
            }

            offset += PmdSettings.ValueSize(setting.Type);
        }

        return offset;
    }

    /// <summary>Writes a response as a device sends it (no parameters); returns the bytes written (5).</summary>
    public static int WriteResponse(PmdOpCode opCode, PmdMeasurementType type, PmdStatus status, Span<byte> destination)
    {
        destination[0] = ResponseMarker;
        destination[1] = (byte)opCode;
        destination[2] = (byte)type;
        destination[3] = (byte)status;
        destination[4] = 0;
        return 5;
    }

    /// <summary>
    /// Parses a control-point notification: a response (<c>F0 op type status more params…</c>) or a
    /// device-initiated stop (<c>01 [types…]</c>). Parameters are left in place; parse them with
    /// <see cref="PmdSettings.TryParse"/> from <see cref="PmdControlPointResponse.ParametersOffset"/>.
    /// </summary>
    public static DecodeResult TryParseResponse(ReadOnlySpan<byte> payload, out PmdControlPointResponse response)
    {
        response = default;
        if (payload.IsEmpty)
        {
            return DecodeResult.Failure(DecodeFaultKind.Empty, "control-point", 0);
        }

        if (payload[0] == DeviceStopMarker)
        {
            response = new PmdControlPointResponse(true, PmdOpCode.StopMeasurement, payload.Length > 1 ? (byte)(payload[1] & 0x3F) : (byte)0, PmdStatus.Success, false, 1);
            return DecodeResult.Success(DecodedKind.ControlPoint, 0);
        }

        if (payload[0] != ResponseMarker)
        {
            return DecodeResult.Failure(DecodeFaultKind.Unsupported, "response-marker", 0, ResponseMarker, payload[0]);
        }

        if (payload.Length < 4)
        {
            return DecodeResult.Failure(DecodeFaultKind.Truncated, "response-header", 1, 3, payload.Length - 1);
        }

        var status = (PmdStatus)payload[3];
        var more = payload.Length > 4 && payload[4] != 0;
        if (status == PmdStatus.Success && payload.Length < 5)
        {
            return DecodeResult.Failure(DecodeFaultKind.Truncated, "response-more", 4, 1, 0);
        }

        response = new PmdControlPointResponse(false, (PmdOpCode)payload[1], (byte)(payload[2] & 0x3F), status, more, Math.Min(5, payload.Length));
        return DecodeResult.Success(DecodedKind.ControlPoint, 0);
    }
}
