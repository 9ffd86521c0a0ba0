using AdherencePipeline.BlueZ;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Service.Worker;

/// <summary>How a device's status becomes a <c>device_status</c> point (documented in docs/schema.md).</summary>
internal static class DeviceStatusPoints
{
    /// <summary>The measurement.</summary>
    public const string Measurement = "device_status";

    /// <summary>
    /// The point for <paramref name="status"/> of the device worn by <paramref name="participant"/>, with the
    /// decoder's <paramref name="faults"/> (undecodable frames, sensor-clock resets) since the service started.
    /// </summary>
    public static Point ToPoint(BleDeviceStatus status, string participant, (long DecodeFaults, long ClockResets) faults = default)
    {
        ArgumentNullException.ThrowIfNull(status);
        var builder = Point.For(Measurement)
            .Tag("participant", participant)
            .Tag("device", status.DeviceAddress)
            .Tag("device_model", status.ProfileId)
            .Field("connected", status.Connected)
            .Field("frames", status.FramesReceived)
            .Field("connections", (long)status.Connections)
            .Field("frames_dropped", status.FramesDropped)
            .Field("decode_faults", faults.DecodeFaults)
            .Field("clock_resets", faults.ClockResets);
        if (status.RssiDbm is { } rssi)
        {
            builder = builder.Field("rssi_dbm", (long)rssi);
        }

        if (status.BatteryPercent is { } battery)
        {
            builder = builder.Field("battery_pct", (long)battery);
        }

        return builder.At(status.TimestampUnixNs);
    }
}
