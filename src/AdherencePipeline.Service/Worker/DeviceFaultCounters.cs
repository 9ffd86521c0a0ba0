using System.Collections.Concurrent;

namespace AdherencePipeline.Service.Worker;

/// <summary>
/// Per bound device, what its decoder found wrong since the service started: notifications that could not
/// be decoded, and resets of its sensor clock (it jumped backwards or far ahead). Written by the device's
/// stream, read by the status writer.
/// </summary>
internal sealed class DeviceFaultCounters
{
    private readonly ConcurrentDictionary<string, (long DecodeFaults, long ClockResets)> _counts = new(StringComparer.Ordinal);

    /// <summary>Records the current totals of the device at <paramref name="address"/>.</summary>
    public void Set(string address, long decodeFaults, long clockResets) => _counts[address] = (decodeFaults, clockResets);

    /// <summary>The totals of the device at <paramref name="address"/>; zeros before its first frame.</summary>
    public (long DecodeFaults, long ClockResets) Get(string address) => _counts.GetValueOrDefault(address);
}
