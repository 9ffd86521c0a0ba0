using System.Buffers.Binary;

namespace AdherencePipeline.Sensors;

/// <summary>The Heart Rate Measurement sensor-contact status (flags bits 1–2).</summary>
public enum SensorContact
{
    /// <summary>The sensor does not report contact (status 0 or 1).</summary>
    NotSupported = 0,

    /// <summary>Contact is supported and not detected (status 2): the sample is not valid.</summary>
    NoContact = 2,

    /// <summary>Contact is supported and detected (status 3).</summary>
    Contact = 3,
}

/// <summary>
/// One decoded Heart Rate Measurement (0x2A37). RR intervals are not stored here: the decoder writes
/// them, raw in 1/1024 s, into the caller's span (see <see cref="HeartRateMeasurementCodec"/>).
/// </summary>
/// <param name="HeartRateBpm">Beats per minute; 0 means the strap has no valid beat.</param>
/// <param name="Contact">The sensor-contact status.</param>
/// <param name="EnergyExpendedKj">Cumulative energy in kJ, or <c>null</c> when this notification omits it.</param>
/// <param name="RrIntervalCount">How many RR intervals were written to the caller's span.</param>
/// <param name="WideHeartRate">True when the value was sent as uint16 (flags bit 0).</param>
public readonly record struct HeartRateMeasurement(ushort HeartRateBpm, SensorContact Contact, ushort? EnergyExpendedKj, int RrIntervalCount, bool WideHeartRate = false)
{
    /// <summary>Milliseconds per raw RR unit: 1000/1024, exact in binary floating point.</summary>
    public const double MillisecondsPerRrUnit = 1000.0 / 1024.0;

    /// <summary>False for HR 0 or when contact is reported lost: such a sample must not be averaged.</summary>
    public bool IsValid => HeartRateBpm != 0 && Contact != SensorContact.NoContact;

    /// <summary>Converts a raw RR interval (1/1024 s) to milliseconds, exactly.</summary>
    public static double RrToMilliseconds(ushort rawRr) => rawRr * MillisecondsPerRrUnit;
}

/// <summary>
/// Byte-exact Heart Rate Measurement (0x2A37) decoding and encoding, as laid out by the Bluetooth
/// SIG Heart Rate Service. Strict: an RR flag with no RR bytes, an odd RR length, or bytes left over
/// without the RR flag are faults, since each means the flags do not describe the payload.
/// </summary>
public static class HeartRateMeasurementCodec
{
    private const byte WideValueFlag = 0x01;
    private const byte ContactMask = 0x06;
    private const byte EnergyFlag = 0x08;
    private const byte RrFlag = 0x10;

    /// <summary>The most RR intervals a payload of <paramref name="payloadLength"/> bytes can carry.</summary>
    public static int MaxRrIntervals(int payloadLength) => Math.Max(0, (payloadLength - 2) / 2);

    /// <summary>Decodes one notification; RR intervals (raw, 1/1024 s, oldest first) go to <paramref name="rrRaw"/>.</summary>
    public static DecodeResult Decode(ReadOnlySpan<byte> payload, Span<ushort> rrRaw, out HeartRateMeasurement measurement)
    {
        measurement = default;
        if (payload.IsEmpty)
        {
            return DecodeResult.Failure(DecodeFaultKind.Empty, "flags", 0);
        }

        var flags = payload[0];
        var offset = 1;
        var wide = (flags & WideValueFlag) != 0;
        var width = wide ? 2 : 1;
        if (payload.Length - offset < width)
        {
            return DecodeResult.Failure(DecodeFaultKind.Truncated, "heart-rate", offset, width, payload.Length - offset);
        }

        ushort heartRate = wide ? BinaryPrimitives.ReadUInt16LittleEndian(payload[offset..]) : payload[offset];
        offset += width;

        ushort? energy = null;
        if ((flags & EnergyFlag) != 0)
        {
            if (payload.Length - offset < 2)
            {
                return DecodeResult.Failure(DecodeFaultKind.Truncated, "energy-expended", offset, 2, payload.Length - offset);
            }

            energy = BinaryPrimitives.ReadUInt16LittleEndian(payload[offset..]);
            offset += 2;
        }

        var rest = payload.Length - offset;
        var rrCount = 0;
        if ((flags & RrFlag) != 0)
        {
            if (rest == 0 || rest % 2 != 0)
            {
                return DecodeResult.Failure(DecodeFaultKind.BadLength, "rr-interval", offset, 2, rest);
            }

            rrCount = rest / 2;
            if (rrCount > rrRaw.Length)
            {
                return DecodeResult.Failure(DecodeFaultKind.BufferTooSmall, "rr-interval", offset, rrRaw.Length, rrCount);
            }

            for (var i = 0; i < rrCount; i++)
            {
                rrRaw[i] = BinaryPrimitives.ReadUInt16LittleEndian(payload.Slice(offset + 2 * i, 2));
            }
        }
        else if (rest != 0)
        {
            return DecodeResult.Failure(DecodeFaultKind.TrailingBytes, "heart-rate-measurement", offset, 0, rest);
        }

        var contact = ((flags & ContactMask) >> 1) switch
        {
            2 => SensorContact.NoContact,
            3 => SensorContact.Contact,
            _ => SensorContact.NotSupported,
        };
        measurement = new HeartRateMeasurement(heartRate, contact, energy, rrCount, wide);
        return DecodeResult.Success(DecodedKind.HeartRate, rrCount);
    }

    /// <summary>The encoded size of a measurement with <paramref name="rrCount"/> RR intervals.</summary>
    public static int EncodedLength(in HeartRateMeasurement measurement, int rrCount) =>
        1 + (NeedsWide(measurement) ? 2 : 1) + (measurement.EnergyExpendedKj.HasValue ? 2 : 0) + 2 * rrCount;

    /// <summary>
    /// Encodes a measurement as a sensor would: uint16 only when the value exceeds 255 (or the
    /// measurement asks for it), reserved bits clear. Returns the bytes written, or -1 if
    /// <paramref name="destination"/> is too small.
    /// </summary>
    public static int Encode(in HeartRateMeasurement measurement, ReadOnlySpan<ushort> rrRaw, Span<byte> destination)
    {
        var length = EncodedLength(measurement, rrRaw.Length);
        if (destination.Length < length)
        {
            return -1;
        }

        var wide = NeedsWide(measurement);
        byte flags = 0;
        if (wide)
        {
            flags |= WideValueFlag;
        }

        flags |= measurement.Contact switch
        {
            SensorContact.NoContact => (byte)0x04,
            SensorContact.Contact => (byte)0x06,
            _ => (byte)0x00,
        };
        if (measurement.EnergyExpendedKj.HasValue)
        {
            flags |= EnergyFlag;
        }

        if (!rrRaw.IsEmpty)
        {
            flags |= RrFlag;
        }

        destination[0] = flags;
        var offset = 1;
        if (wide)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination[offset..], measurement.HeartRateBpm);
            offset += 2;
        }
        else
        {
            destination[offset++] = (byte)measurement.HeartRateBpm;
        }

        if (measurement.EnergyExpendedKj is { } energy)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination[offset..], energy);
            offset += 2;
        }

        foreach (var rr in rrRaw)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination[offset..], rr);
            offset += 2;
        }

        return offset;
    }

    private static bool NeedsWide(in HeartRateMeasurement measurement) => measurement.WideHeartRate || measurement.HeartRateBpm > byte.MaxValue;
}
