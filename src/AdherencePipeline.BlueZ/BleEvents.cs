using AdherencePipeline.Pipeline;
using AdherencePipeline.Sensors;

namespace AdherencePipeline.BlueZ;

/// <summary>Something that happened to a bound device; the transport publishes these on <see cref="BlueZTransport.Events"/>.</summary>
/// <param name="DeviceAddress">The device's address, <c>AA:BB:CC:DD:EE:FF</c>.</param>
/// <param name="ProfileId">The firmware profile it is bound with.</param>
/// <param name="TimestampUnixNs">When it happened (host clock), ns since the Unix epoch.</param>
public abstract record BleDeviceEvent(string DeviceAddress, string ProfileId, long TimestampUnixNs);

/// <summary>The device is connected and its start sequence has run: frames flow from here on.</summary>
/// <param name="DeviceAddress">The address.</param>
/// <param name="ProfileId">The profile.</param>
/// <param name="TimestampUnixNs">When streaming started.</param>
/// <param name="Connection">1 for the first connection of this run, 2 after the first reconnect, …</param>
public sealed record BleDeviceConnected(string DeviceAddress, string ProfileId, long TimestampUnixNs, int Connection)
    : BleDeviceEvent(DeviceAddress, ProfileId, TimestampUnixNs);

/// <summary>
/// A streaming device's link went down (or its GATT objects vanished); the transport reconnects
/// after <paramref name="RetryIn"/>. Feed <see cref="ToDeviceData"/> to the pipeline to record the gap.
/// </summary>
/// <param name="DeviceAddress">The address.</param>
/// <param name="ProfileId">The profile.</param>
/// <param name="TimestampUnixNs">When the loss was noticed.</param>
/// <param name="LastFrameUnixNs">Receive time of the last frame of the connection (its start when none came).</param>
/// <param name="Reason">What was seen, e.g. <c>Connected=false</c>.</param>
/// <param name="RetryIn">The back-off before the next attempt.</param>
public sealed record BleDeviceDisconnected(string DeviceAddress, string ProfileId, long TimestampUnixNs, long LastFrameUnixNs, string Reason, TimeSpan RetryIn)
    : BleDeviceEvent(DeviceAddress, ProfileId, TimestampUnixNs)
{
    /// <summary>The pipeline's gap marker for this disconnect.</summary>
    public DeviceDisconnected ToDeviceData() => new(DeviceAddress, ProfileId, LastFrameUnixNs, TimestampUnixNs);
}

/// <summary>
/// A connection attempt failed: BlueZ or the device refused a command (a D-Bus error reply), the
/// device was not found, or it lacks a characteristic of its profile. Retried after <paramref name="RetryIn"/>.
/// </summary>
/// <param name="DeviceAddress">The address.</param>
/// <param name="ProfileId">The profile.</param>
/// <param name="TimestampUnixNs">When it failed.</param>
/// <param name="Operation">What was attempted, e.g. <c>WriteValue pmd-control</c>.</param>
/// <param name="ErrorName">The D-Bus error name (e.g. <c>org.bluez.Error.Failed</c>) or a transport reason such as <c>NotFound</c>.</param>
/// <param name="ErrorMessage">The detail BlueZ gave.</param>
/// <param name="RetryIn">The back-off before the next attempt.</param>
public sealed record BleDeviceAttemptFailed(string DeviceAddress, string ProfileId, long TimestampUnixNs, string Operation, string ErrorName, string ErrorMessage, TimeSpan RetryIn)
    : BleDeviceEvent(DeviceAddress, ProfileId, TimestampUnixNs);

/// <summary>The device's status changed (connection, RSSI or battery).</summary>
/// <param name="Status">The new status.</param>
public sealed record BleDeviceStatusChanged(BleDeviceStatus Status)
    : BleDeviceEvent(Status.DeviceAddress, Status.ProfileId, Status.TimestampUnixNs);

/// <summary>What is known about a bound device at one moment; suitable for <c>device_status</c> points.</summary>
/// <param name="DeviceAddress">The address.</param>
/// <param name="ProfileId">The profile.</param>
/// <param name="TimestampUnixNs">When this status was taken.</param>
/// <param name="Connected">True while streaming.</param>
/// <param name="RssiDbm">Last advertised signal strength, dBm, if BlueZ reported one.</param>
/// <param name="BatteryPercent">Battery level 0–100, if the device offers it (Battery1 or 0x2A19).</param>
/// <param name="FramesReceived">Notifications received since the transport started.</param>
/// <param name="Connections">Connections made since the transport started.</param>
/// <param name="FramesDropped">This device's frames dropped because its share of the transport's buffer was full.</param>
public sealed record BleDeviceStatus(string DeviceAddress, string ProfileId, long TimestampUnixNs, bool Connected, short? RssiDbm, byte? BatteryPercent, long FramesReceived, int Connections, long FramesDropped = 0)
{
    /// <summary>This device's frames waiting in the transport's queue now.</summary>
    public int Queued { get; init; }

    /// <summary>The most of this device's frames that waited in the transport's queue at once; never more than its share.</summary>
    public int QueuedPeak { get; init; }
}

/// <summary>
/// One item of the transport's data stream: a notification, or the marker of a disconnect. Both travel
/// through one queue, so a device's disconnect marker always comes after the frames it received before it.
/// </summary>
/// <param name="Frame">The notification; <c>default</c> when this item is a disconnect.</param>
/// <param name="Disconnected">The disconnect, or <c>null</c> when this item is a frame.</param>
public readonly record struct BleData(RawFrame Frame, BleDeviceDisconnected? Disconnected)
{
    /// <summary>The device this item belongs to.</summary>
    public string DeviceAddress => Disconnected?.DeviceAddress ?? Frame.DeviceAddress;

    /// <summary>Whether this item is a notification (else a disconnect).</summary>
    public bool IsFrame => Disconnected is null;
}
