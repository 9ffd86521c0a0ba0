using System.CommandLine;
using System.Globalization;
using AdherencePipeline.BlueZ;
using AdherencePipeline.Sensors;
using Microsoft.Extensions.Configuration;

namespace AdherencePipeline.Service.Commands;

/// <summary><c>adherence devices scan</c>: which BLE wearables are in range, and which profile each matches.</summary>
internal static class DevicesCommand
{
    /// <summary>Exit codes: 0 scanned, 1 BlueZ/bus/adapter unavailable or bad options.</summary>
    public const int Unavailable = 1;

    public static Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "How long to scan, in seconds.", DefaultValueFactory = _ => 10 };
        seconds.Validators.Add(r =>
        {
            if (r.GetValue(seconds) is < 0.1 or > 600)
            {
                r.AddError("--seconds must be between 0.1 and 600.");
            }
        });
        var bus = new Option<string?>("--bus") { Description = $"D-Bus address of BlueZ: 'system' (default, or {BlueZOptions.SectionName}:BusAddress), 'session', or e.g. unix:path=/run/dbus/system_bus_socket." };
        var directory = SensorProfiles.DirectoryOption();
        var scan = new Command("scan", "Scan for BLE devices (LE only, filtered to the profiles' services): address, name, RSSI, matching profile.") { seconds, bus, directory };
        scan.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            BlueZOptions options;
            IReadOnlyList<FirmwareProfile> profiles;
            try
            {
                options = CommonOptions.Build(parseResult).GetSection(BlueZOptions.SectionName).Get<BlueZOptions>() ?? new BlueZOptions();
                profiles = FirmwareProfileLoader.LoadDirectory(SensorProfiles.ResolveDirectory(parseResult, directory), out var profileErrors);
                foreach (var e in profileErrors)
                {
                    await error.WriteLineAsync($"warning: {e}");
                }
            }
            catch (ConfigurationException ex)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return Unavailable;
            }
            catch (InvalidOperationException ex)
            {
                // The binder's message names the key whose value could not be converted.
                await error.WriteLineAsync($"error: {BlueZOptions.SectionName}: {ex.Message}");
                return Unavailable;
            }

            if (parseResult.GetValue(bus) is { Length: > 0 } address)
            {
                options.BusAddress = address;
            }

            IReadOnlyList<ScanResult> results;
            try
            {
                results = await new BlueZScanner(options, profiles).ScanAsync(TimeSpan.FromSeconds(parseResult.GetValue(seconds)), cancellationToken);
            }
            catch (ArgumentException ex)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return Unavailable;
            }
            catch (BlueZUnavailableException ex)
            {
                await error.WriteLineAsync($"error: {ex.Message}. See docs/ble.md (troubleshooting).");
                return Unavailable;
            }

            await output.WriteLineAsync("ADDRESS            RSSI  PROFILE             NAME");
            foreach (var r in results)
            {
                var rssi = r.RssiDbm is { } dbm ? dbm.ToString(CultureInfo.InvariantCulture) : "-";
                await output.WriteLineAsync($"{r.Address}  {rssi,4}  {r.ProfileId ?? "-",-18}  {r.Name ?? "-"}{(r.Connected ? "  (connected)" : "")}");
            }

            await output.WriteLineAsync($"{results.Count} device(s), {results.Count(r => r.ProfileId is not null)} matching a profile");
            return 0;
        });

        return new Command("devices", "BLE wearables seen through BlueZ.") { scan };
    }
}
