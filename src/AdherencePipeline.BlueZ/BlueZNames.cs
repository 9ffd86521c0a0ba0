using System.Globalization;
using System.Text.RegularExpressions;

namespace AdherencePipeline.BlueZ;

/// <summary>BlueZ's D-Bus names (service, interfaces, errors) and the address/path conventions.</summary>
internal static partial class BlueZNames
{
    public const string Service = "org.bluez";
    public const string ObjectManager = "org.freedesktop.DBus.ObjectManager";
    public const string Properties = "org.freedesktop.DBus.Properties";
    public const string Adapter = "org.bluez.Adapter1";
    public const string Device = "org.bluez.Device1";
    public const string GattService = "org.bluez.GattService1";
    public const string GattCharacteristic = "org.bluez.GattCharacteristic1";
    public const string Battery = "org.bluez.Battery1";

    public const string ErrorAlreadyConnected = "org.bluez.Error.AlreadyConnected";
    public const string ErrorInProgress = "org.bluez.Error.InProgress";
    public const string ErrorNotConnected = "org.bluez.Error.NotConnected";
    public const string ErrorUnknownObject = "org.freedesktop.DBus.Error.UnknownObject";

    /// <summary>Battery Level characteristic 0x2A19.</summary>
    public static readonly Guid BatteryLevel = AdherencePipeline.Sensors.GattUuid.FromShort(0x2A19);

    /// <summary>
    /// Errors that a retry cannot fix without a change of configuration or pairing: they are retried
    /// at the longest back-off, not the shortest.
    /// </summary>
    public static bool IsConfigurationError(string errorName) => errorName is
        "org.bluez.Error.NotPermitted" or "org.bluez.Error.NotSupported" or "org.bluez.Error.NotAuthorized"
        or "org.bluez.Error.InvalidValueLength" or "org.bluez.Error.InvalidArguments"
        or "org.freedesktop.DBus.Error.AccessDenied" or "org.freedesktop.DBus.Error.UnknownMethod";

    /// <summary>Normalises <c>aa:bb:…</c> or <c>AA-BB-…</c> to <c>AA:BB:CC:DD:EE:FF</c>; false when it is not a MAC-48 address.</summary>
    public static bool TryNormalizeAddress(string? text, out string address)
    {
        address = "";
        if (text is null || !AddressPattern().IsMatch(text))
        {
            return false;
        }

        address = text.Replace('-', ':').ToUpperInvariant();
        return true;
    }

    /// <summary>The Device1 object path of <paramref name="address"/> under <paramref name="adapterPath"/>.</summary>
    public static string DevicePath(string adapterPath, string address) =>
        string.Create(CultureInfo.InvariantCulture, $"{adapterPath}/dev_{address.Replace(':', '_')}");

    /// <summary>
    /// The address as logs show it: only the last two octets, enough to tell a study's straps
    /// apart, not enough to track a participant's device elsewhere.
    /// </summary>
    public static string Redact(string address) =>
        address.Length == 17 ? "**:**:**:**:" + address[12..] : "**";

    [GeneratedRegex("^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")]
    private static partial Regex AddressPattern();
}
