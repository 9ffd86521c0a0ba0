namespace AdherencePipeline.Sensors;

/// <summary>One GATT notification as a transport received it, before decoding.</summary>
/// <param name="DeviceAddress">The device's Bluetooth address (or a virtual device's name).</param>
/// <param name="Characteristic">The characteristic the notification came from.</param>
/// <param name="ReceivedUnixNs">Host receive time, nanoseconds since the Unix epoch (the fallback clock).</param>
/// <param name="Payload">The notification value, exactly as sent.</param>
public readonly record struct RawFrame(string DeviceAddress, Guid Characteristic, long ReceivedUnixNs, ReadOnlyMemory<byte> Payload);
