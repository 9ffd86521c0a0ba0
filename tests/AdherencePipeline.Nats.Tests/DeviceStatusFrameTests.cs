using AdherencePipeline.Sensors;

namespace AdherencePipeline.Nats.Tests;

public sealed class DeviceStatusFrameTests
{
    [FsCheck.Xunit.Property]
    public bool Status_AnyValues_RoundTripsThroughAFrame(bool connected, short? rssi, byte? battery, long frames, int connections, long dropped, long timestampNs)
    {
        var status = new GatewayDeviceStatus(connected, rssi, battery, frames, connections, dropped);
        var frame = DeviceStatusFrame.ToFrame("A0:9E:1A:00:00:01", timestampNs, status);

        return DeviceStatusFrame.IsStatus(frame) && DeviceStatusFrame.TryRead(frame, out var read) && read == status
            && frame.ReceivedUnixNs == timestampNs && frame.DeviceAddress == "A0:9E:1A:00:00:01";
    }

    [Fact]
    public void Status_Layout_MatchesTheDocumentedBytes()
    {
        var frame = DeviceStatusFrame.ToFrame("A0:9E:1A:00:00:01", 5, new GatewayDeviceStatus(true, -58, null, 2067, 1, 3));

        Assert.Equal(
            [1, 0b011, 0xC6, 0xFF, 0, .. BitConverter.GetBytes(2067L), .. BitConverter.GetBytes(1), .. BitConverter.GetBytes(3L)],
            frame.Payload.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    public void Status_OtherVersionUnknownFlagOrLength_IsNotRead(byte[] payload)
    {
        var frame = new RawFrame("A0:9E:1A:00:00:01", DeviceStatusFrame.Characteristic, 5, payload);

        Assert.True(DeviceStatusFrame.IsStatus(frame));
        Assert.False(DeviceStatusFrame.TryRead(frame, out _));
    }

    [Fact]
    public void Status_SensorFrame_IsNotAStatus()
    {
        var frame = new RawFrame("A0:9E:1A:00:00:01", GattUuid.PmdData, 5, new byte[DeviceStatusFrame.Length]);

        Assert.False(DeviceStatusFrame.IsStatus(frame));
        Assert.False(DeviceStatusFrame.TryRead(frame, out _));
    }
}
