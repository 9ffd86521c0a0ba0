using AdherencePipeline.Sensors;
using Tmds.DBus.Protocol;

namespace AdherencePipeline.BlueZ;

/// <summary>One device seen during a scan.</summary>
/// <param name="Address">Its address, <c>AA:BB:CC:DD:EE:FF</c>.</param>
/// <param name="Name">Its advertised name, if seen.</param>
/// <param name="RssiDbm">Signal strength, dBm, if reported.</param>
/// <param name="ProfileId">The firmware profile it matches, or <c>null</c>.</param>
/// <param name="Connected">True when BlueZ already holds a link to it.</param>
public sealed record ScanResult(string Address, string? Name, short? RssiDbm, string? ProfileId, bool Connected);

/// <summary>
/// Lists nearby BLE devices through BlueZ: a discovery filtered to LE and to the service UUIDs of
/// the firmware profiles, for a fixed time; each device is matched to a profile.
/// </summary>
public sealed class BlueZScanner
{
    private readonly BlueZOptions _options;
    private readonly IReadOnlyList<FirmwareProfile> _profiles;
    private readonly TimeProvider _time;

    /// <summary>Creates a scanner for <paramref name="profiles"/> on the bus and adapter of <paramref name="options"/>.</summary>
    public BlueZScanner(BlueZOptions options, IReadOnlyList<FirmwareProfile> profiles, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(profiles);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options));
        }

        _options = options;
        _profiles = profiles;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Discovers for <paramref name="duration"/> and returns every device BlueZ knows with its profile,
    /// ordered by signal strength. Throws <see cref="BlueZUnavailableException"/> when there is no bus, no
    /// BlueZ or no adapter.
    /// </summary>
    public async Task<IReadOnlyList<ScanResult>> ScanAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        BlueZClient client;
        try
        {
            client = await BlueZClient.ConnectAsync(_options.BusAddress, cancellationToken).ConfigureAwait(false);
        }
        catch (DBusConnectFailedException ex)
        {
            throw new BlueZUnavailableException($"cannot connect to the D-Bus bus '{_options.BusAddress}': {ex.Message}", ex);
        }

        using (client)
        {
            try
            {
                var adapter = await AdapterSelection.FindAsync(client, _options.Adapter, cancellationToken).ConfigureAwait(false);
                await client.SetDiscoveryFilterAsync(adapter, ProfileServices(_profiles), cancellationToken).ConfigureAwait(false);
                await client.StartDiscoveryAsync(adapter, cancellationToken).ConfigureAwait(false);
                Dictionary<string, ObjectInterfaces> objects;
                try
                {
                    await Task.Delay(duration, _time, cancellationToken).ConfigureAwait(false);
                    // RSSI is only present while discovering: take the snapshot before stopping.
                    objects = await client.GetManagedObjectsAsync(cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await StopQuietlyAsync(client, adapter).ConfigureAwait(false);
                }

                return Results(objects, adapter, _profiles);
            }
            catch (DBusErrorReplyException ex)
            {
                throw new BlueZUnavailableException($"BlueZ refused the scan: {ex.ErrorName}: {ex.ErrorMessage}", ex);
            }
        }
    }

    /// <summary>The service UUIDs of every profile's recognition rule, in BlueZ's lower-case form.</summary>
    public static IReadOnlyList<string> ProfileServices(IReadOnlyList<FirmwareProfile> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var uuids = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var profile in profiles)
        {
            foreach (var uuid in profile.Recognition.ServiceUuids)
            {
                uuids.Add(GattUuid.Format(uuid));
            }
        }

        return [.. uuids];
    }

    /// <summary>
    /// The most specific profile whose recognition rule the device meets, or <c>null</c>: a name pattern
    /// beats none, then more required services beat fewer (a Polar H10 is also a generic HRS device).
    /// </summary>
    public static FirmwareProfile? Match(IReadOnlyList<FirmwareProfile> profiles, string? name, IReadOnlyCollection<Guid> services)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        FirmwareProfile? best = null;
        var bestScore = -1;
        foreach (var profile in profiles)
        {
            var recognition = profile.Recognition;
            var score = (recognition.NamePattern is null ? 0 : 1000) + recognition.ServiceUuids.Count;
            if (score > bestScore && recognition.Matches(name, services))
            {
                best = profile;
                bestScore = score;
            }
        }

        return best;
    }

    internal static IReadOnlyList<ScanResult> Results(Dictionary<string, ObjectInterfaces> objects, string adapterPath, IReadOnlyList<FirmwareProfile> profiles)
    {
        var results = new List<ScanResult>();
        var prefix = adapterPath + "/";
        foreach (var (path, interfaces) in objects)
        {
            if (!path.StartsWith(prefix, StringComparison.Ordinal) || interfaces.Interface(BlueZNames.Device) is not { } device)
            {
                continue;
            }

            var info = DeviceInfo.From(device);
            if (info.Address is null)
            {
                continue;
            }

            var profile = Match(profiles, info.Name, info.Services);
            results.Add(new ScanResult(info.Address, info.Name, info.RssiDbm, profile?.Id, info.Connected));
        }

        results.Sort((a, b) => (b.RssiDbm ?? short.MinValue).CompareTo(a.RssiDbm ?? short.MinValue));
        return results;
    }

    private static async Task StopQuietlyAsync(BlueZClient client, string adapter)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.StopDiscoveryAsync(adapter, timeout.Token).ConfigureAwait(false);
        }
        catch (DBusErrorReplyException)
        {
            // NotReady/Failed here only mean discovery is already off.
        }
        catch (OperationCanceledException)
        {
            // A hung StopDiscovery must not hang the scan; BlueZ ends the session when we disconnect.
        }
    }
}

/// <summary>The fields of a Device1 object the transport uses.</summary>
internal readonly record struct DeviceInfo(string? Address, string? Name, short? RssiDbm, bool Connected, bool ServicesResolved, IReadOnlyCollection<Guid> Services)
{
    public static DeviceInfo From(Dictionary<string, VariantValue> device)
    {
        string? address = null;
        if (device.TryGetValue("Address", out var a) && BlueZNames.TryNormalizeAddress(a.GetString(), out var normalized))
        {
            address = normalized;
        }

        string? name = device.TryGetValue("Name", out var n) ? n.GetString() : null;
        short? rssi = device.TryGetValue("RSSI", out var r) ? r.GetInt16() : null;
        var connected = device.TryGetValue("Connected", out var c) && c.GetBool();
        var resolved = device.TryGetValue("ServicesResolved", out var s) && s.GetBool();
        var services = new HashSet<Guid>();
        if (device.TryGetValue("UUIDs", out var u))
        {
            foreach (var text in u.GetArray<string>())
            {
                if (GattUuid.TryParse(text, out var uuid))
                {
                    services.Add(uuid);
                }
            }
        }

        return new DeviceInfo(address, name, rssi, connected, resolved, services);
    }
}

/// <summary>Picks the adapter: the one named in the options, else the first powered one.</summary>
internal static class AdapterSelection
{
    public static async Task<string> FindAsync(BlueZClient client, string adapterName, CancellationToken cancellationToken)
    {
        Dictionary<string, ObjectInterfaces> objects;
        try
        {
            objects = await client.GetManagedObjectsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DBusErrorReplyException ex)
        {
            throw new BlueZUnavailableException($"BlueZ (org.bluez) does not answer: {ex.ErrorName}: {ex.ErrorMessage}", ex);
        }

        string? unpowered = null;
        foreach (var (path, interfaces) in objects.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            if (interfaces.Interface(BlueZNames.Adapter) is not { } adapter)
            {
                continue;
            }

            if (adapterName.Length > 0 && !path.EndsWith("/" + adapterName, StringComparison.Ordinal))
            {
                continue;
            }

            if (adapter.TryGetValue("Powered", out var powered) && powered.GetBool())
            {
                return path;
            }

            unpowered ??= path;
        }

        throw new BlueZUnavailableException(unpowered is not null
            ? $"adapter {unpowered} is powered off (bluetoothctl power on)"
            : adapterName.Length > 0 ? $"BlueZ has no adapter named '{adapterName}'" : "BlueZ has no Bluetooth adapter");
    }
}

/// <summary>The bus, BlueZ or an adapter is not there; the message says which.</summary>
public sealed class BlueZUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BlueZUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public BlueZUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public BlueZUnavailableException()
    {
    }
}
