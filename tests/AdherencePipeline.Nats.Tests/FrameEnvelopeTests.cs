using AdherencePipeline.Sensors;

namespace AdherencePipeline.Nats.Tests;

public sealed class FrameEnvelopeTests
{
    private static readonly Guid PmdData = Guid.Parse("fb005c82-02e7-f387-1cad-8acd2d8df0c8");

    private static FrameEnvelope Sample(byte[]? payload = null) => new(
        "oslo", "P001", "polar-h10", 1_733_200_000_000_001,
        new RawFrame("A0:9E:1A:00:00:01", PmdData, 1_767_603_600_123_456_789, payload ?? [0x02, 0x00, 0x94, 0x35, 0x77, 0x01]));

    [Fact]
    public void Envelope_WriteThenRead_GivesTheSameFrame()
    {
        var envelope = Sample();
        var bytes = FrameEnvelopeCodec.ToArray(envelope);

        var fault = FrameEnvelopeCodec.TryRead(bytes, out var read);

        Assert.Equal(FrameEnvelopeFault.None, fault);
        Assert.Equal(envelope.Site, read.Site);
        Assert.Equal(envelope.Participant, read.Participant);
        Assert.Equal(envelope.ProfileId, read.ProfileId);
        Assert.Equal(envelope.DeviceSequence, read.DeviceSequence);
        Assert.Equal(envelope.Frame.DeviceAddress, read.Frame.DeviceAddress);
        Assert.Equal(envelope.Frame.Characteristic, read.Frame.Characteristic);
        Assert.Equal(envelope.Frame.ReceivedUnixNs, read.Frame.ReceivedUnixNs);
        Assert.Equal(envelope.Frame.Payload.ToArray(), read.Frame.Payload.ToArray());
    }

    [Fact]
    public void Envelope_Layout_MatchesTheDocumentedBytes()
    {
        var bytes = FrameEnvelopeCodec.ToArray(Sample([0xAB]));

        Assert.Equal(1, bytes[0]);
        Assert.Equal(0, bytes[1]);
        Assert.Equal(BitConverter.GetBytes(1_767_603_600_123_456_789L), bytes[2..10]);
        Assert.Equal(BitConverter.GetBytes(1_733_200_000_000_001L), bytes[10..18]);
        Assert.Equal(Convert.FromHexString("fb005c8202e7f3871cad8acd2d8df0c8"), bytes[18..34]);
        Assert.Equal(4, bytes[34]);
        Assert.Equal("oslo"u8.ToArray(), bytes[35..39]);
        Assert.Equal([0x01, 0x00, 0xAB], bytes[^3..]);
        Assert.Equal(34 + 5 + 5 + 18 + 10 + 2 + 1, bytes.Length);
    }

    [Fact]
    public void Envelope_EveryShorterPrefix_IsTruncatedNeverAnException()
    {
        var bytes = FrameEnvelopeCodec.ToArray(Sample());

        for (var length = 0; length < bytes.Length; length++)
        {
            var fault = FrameEnvelopeCodec.TryRead(bytes.AsMemory(0, length), out _);
            Assert.True(fault == FrameEnvelopeFault.Truncated, $"prefix of {length} bytes read as {fault}");
        }
    }

    [Theory]
    [InlineData(0, 2, FrameEnvelopeFault.UnknownVersion)]
    [InlineData(1, 0x80, FrameEnvelopeFault.UnknownFlags)]
    [InlineData(35, (byte)'.', FrameEnvelopeFault.InvalidField)]
    [InlineData(35, 0xFF, FrameEnvelopeFault.InvalidField)]
    [InlineData(34, 0, FrameEnvelopeFault.InvalidField)]
    public void Envelope_DamagedByte_IsTheTypedFault(int offset, byte value, FrameEnvelopeFault expected)
    {
        var bytes = FrameEnvelopeCodec.ToArray(Sample());
        bytes[offset] = value;

        Assert.Equal(expected, FrameEnvelopeCodec.TryRead(bytes, out _));
    }

    [Fact]
    public void Envelope_BytesAfterThePayload_AreTrailingBytes()
    {
        var bytes = FrameEnvelopeCodec.ToArray(Sample());

        Assert.Equal(FrameEnvelopeFault.TrailingBytes, FrameEnvelopeCodec.TryRead((byte[])[.. bytes, 0], out _));
    }

    [Theory]
    [InlineData("os.lo", "P001")]
    [InlineData("oslo", "P*1")]
    [InlineData("", "P001")]
    [InlineData("oslo", "P 01")]
    public void Envelope_SiteOrParticipantNotAToken_IsRefusedWhenWritten(string site, string participant)
    {
        var envelope = Sample() with { Site = site, Participant = participant };

        Assert.Throws<ArgumentException>(() => FrameEnvelopeCodec.ToArray(envelope));
    }

    [Fact]
    public void Envelope_MessageId_IsSiteParticipantDeviceAndSequence()
    {
        Assert.Equal("oslo.P001.A0:9E:1A:00:00:01-1733200000000001", Sample().MessageId);
    }

    [Fact]
    public void Subjects_SiteAndParticipant_FormTheFrameSubjectAndConsumerName()
    {
        Assert.Equal("adherence.frames.oslo.P001", FrameSubjects.Frames("oslo", "P001"));
        Assert.Equal("adherence.frames.oslo.>", FrameSubjects.Site("oslo"));
        Assert.Equal("frames=oslo=P001", FrameSubjects.ConsumerName("oslo", "P001"));
        Assert.Throws<ArgumentException>(() => FrameSubjects.Frames("oslo", "P001.x"));
    }

    [FsCheck.Xunit.Property]
    public bool Envelope_AnyFrame_RoundTrips(long received, long sequence, Guid characteristic, byte[] payload, FsCheck.PositiveInt deviceLength)
    {
        payload ??= [];
        var device = new string('A', Math.Min(deviceLength.Get, 255));
        var envelope = new FrameEnvelope("site-1", "OSL-017", "lab_imu", sequence, new RawFrame(device, characteristic, received, payload));

        var fault = FrameEnvelopeCodec.TryRead(FrameEnvelopeCodec.ToArray(envelope), out var read);

        return fault == FrameEnvelopeFault.None && read.DeviceSequence == sequence && read.Frame.ReceivedUnixNs == received
            && read.Frame.Characteristic == characteristic && read.Frame.DeviceAddress == device && read.Frame.Payload.Span.SequenceEqual(payload);
    }

    [FsCheck.Xunit.Property]
    public bool Envelope_AnyBytes_ReadWithoutException(byte[] bytes)
    {
        var fault = FrameEnvelopeCodec.TryRead(bytes ?? [], out _);
        return Enum.IsDefined(fault);
    }

    [Fact]
    public void Sequencer_NumbersPerDevice_RiseByOneFromTheRunStart()
    {
        var time = new FixedTime(DateTimeOffset.FromUnixTimeMilliseconds(1_767_603_600_000));
        var sequencer = new FrameSequencer(time);

        Assert.Equal(1_767_603_600_000_000, sequencer.Next("a"));
        Assert.Equal(1_767_603_600_000_001, sequencer.Next("a"));
        Assert.Equal(1_767_603_600_000_000, sequencer.Next("b"));
        Assert.True(new FrameSequencer(new FixedTime(time.GetUtcNow().AddMilliseconds(1))).Next("a") > sequencer.Next("a"));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
