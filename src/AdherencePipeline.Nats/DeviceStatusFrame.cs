using System.Buffers.Binary;
using AdherencePipeline.Sensors;

namespace AdherencePipeline.Nats;

/// <summary>A device's link as its gateway sees it: what the BLE worker writes as <c>device_status</c>.</summary>
/// <param name="Connected">Whether the device is connected and streaming.</param>
/// <param name="RssiDbm">Signal strength, when known.</param>
/// <param name="BatteryPercent">Battery level, when known.</param>
/// <param name="FramesReceived">Notifications received from the device since the gateway started.</param>
/// <param name="Connections">Connections made since the gateway started.</param>
/// <param name="FramesDropped">Frames the gateway's transport dropped because the device's share of its queue was full.</param>
public readonly record struct GatewayDeviceStatus(bool Connected, short? RssiDbm, byte? BatteryPercent, long FramesReceived, int Connections, long FramesDropped);

/// <summary>
/// A <see cref="GatewayDeviceStatus"/> travels as a frame of the device on the participant's subject, under a
/// characteristic no GATT device has: so it is spooled, de-duplicated and ordered with the device's frames, and
/// reaches whichever worker owns the participant. The payload (little-endian): version 1, flags (1 connected,
/// 2 RSSI known, 4 battery known), RSSI as int16 dBm, battery percent, frames received as int64,
/// connections as int32, frames dropped as int64: 25 bytes.
/// </summary>
public static class DeviceStatusFrame
{
    /// <summary>The characteristic that marks a status frame (a random UUID, outside the Bluetooth SIG's base).</summary>
    public static readonly Guid Characteristic = new("5b0e7c2a-91d4-4f63-a8e2-3c6d1f0b9a47");

    /// <summary>The payload's format version.</summary>
    public const byte Version = 1;

    /// <summary>The payload's length in bytes.</summary>
    public const int Length = 25;

    /// <summary>The status of the device at <paramref name="deviceAddress"/> at <paramref name="timestampUnixNs"/>, as a frame.</summary>
    public static RawFrame ToFrame(string deviceAddress, long timestampUnixNs, in GatewayDeviceStatus status)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceAddress);
        var payload = new byte[Length];
        payload[0] = Version;
        payload[1] = (byte)((status.Connected ? 1 : 0) | (status.RssiDbm is null ? 0 : 2) | (status.BatteryPercent is null ? 0 : 4));
        BinaryPrimitives.WriteInt16LittleEndian(payload.AsSpan(2), status.RssiDbm ?? 0);
        payload[4] = status.BatteryPercent ?? 0;
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(5), status.FramesReceived);
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(13), status.Connections);
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(17), status.FramesDropped);
        return new RawFrame(deviceAddress, Characteristic, timestampUnixNs, payload);
    }

    /// <summary>Whether <paramref name="frame"/> carries a device status rather than sensor data.</summary>
    public static bool IsStatus(in RawFrame frame) => frame.Characteristic == Characteristic;

    /// <summary>Reads the status of a status frame; false when its payload is not one of this version.</summary>
    public static bool TryRead(in RawFrame frame, out GatewayDeviceStatus status)
    {
        status = default;
        var payload = frame.Payload.Span;
        if (!IsStatus(frame) || payload.Length != Length || payload[0] != Version || (payload[1] & ~7) != 0)
        {
            return false;
        }

        var flags = payload[1];
        status = new GatewayDeviceStatus(
            (flags & 1) != 0,
            (flags & 2) != 0 ? BinaryPrimitives.ReadInt16LittleEndian(payload[2..]) : null,
            (flags & 4) != 0 ? payload[4] : null,
            BinaryPrimitives.ReadInt64LittleEndian(payload[5..]),
            BinaryPrimitives.ReadInt32LittleEndian(payload[13..]),
            BinaryPrimitives.ReadInt64LittleEndian(payload[17..]));
        return true;
    }
}
