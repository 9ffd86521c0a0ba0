using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace AdherencePipeline.Sensors;

/// <summary>Bluetooth UUIDs: the SIG 16-bit short form and the 128-bit form BlueZ reports.</summary>
public static class GattUuid
{
    /// <summary>Heart Rate service 0x180D.</summary>
    public static readonly Guid HeartRateService = FromShort(0x180D);

    /// <summary>Heart Rate Measurement characteristic 0x2A37.</summary>
    public static readonly Guid HeartRateMeasurement = FromShort(0x2A37);

    /// <summary>Polar Measurement Data service.</summary>
    public static readonly Guid PmdService = new("fb005c80-02e7-f387-1cad-8acd2d8df0c8");

    /// <summary>Polar PMD control point.</summary>
    public static readonly Guid PmdControlPoint = new("fb005c81-02e7-f387-1cad-8acd2d8df0c8");

    /// <summary>Polar PMD data characteristic.</summary>
    public static readonly Guid PmdData = new("fb005c82-02e7-f387-1cad-8acd2d8df0c8");

    /// <summary>Expands a SIG 16-bit UUID to <c>0000XXXX-0000-1000-8000-00805f9b34fb</c>.</summary>
    public static Guid FromShort(ushort shortUuid) =>
        new(shortUuid, 0x0000, 0x1000, 0x80, 0x00, 0x00, 0x80, 0x5f, 0x9b, 0x34, 0xfb);

    /// <summary>
    /// Parses a 128-bit UUID (<c>8-4-4-4-12</c> hex, any case) or a 16-bit SIG short form (<c>2A37</c>,
    /// <c>0x2A37</c>). Nothing else is accepted: no braces, no 32-bit form.
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out Guid uuid)
    {
        uuid = default;
        if (text is null)
        {
            return false;
        }

        var span = text.AsSpan();
        if (span.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            span = span[2..];
        }

        if (span.Length == 4)
        {
            if (ushort.TryParse(span, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var shortUuid))
            {
                uuid = FromShort(shortUuid);
                return true;
            }

            return false;
        }

        return text.Length == 36 && Guid.TryParseExact(text, "D", out uuid);
    }

    /// <summary>The lower-case 128-bit form BlueZ uses.</summary>
    public static string Format(Guid uuid) => uuid.ToString("D");
}
