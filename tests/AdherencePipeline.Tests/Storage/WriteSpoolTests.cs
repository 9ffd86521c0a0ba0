using System.Text;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Tests.Storage;

public sealed class WriteSpoolTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("spool-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Peek_AfterAppends_ReturnsBatchesInOrderUntilAcknowledged()
    {
        using var spool = WriteSpool.Open(_directory);
        spool.Append("a 1\n"u8, 1);
        spool.Append("b 2\nc 3\n"u8, 2);

        using (var first = spool.Peek()!)
        {
            Assert.Equal("a 1\n", Text(first));
            Assert.Equal(1, first.LineCount);
            spool.Acknowledge(first.Sequence);
        }

        using var second = spool.Peek()!;
        Assert.Equal("b 2\nc 3\n", Text(second));
        Assert.Equal(2, second.LineCount);
        spool.Acknowledge(second.Sequence);
        Assert.Null(spool.Peek());
        Assert.Equal(0, spool.PendingBytes);
    }

    [Fact]
    public void Open_AfterRestart_RecoversExactlyTheUnacknowledgedBatches()
    {
        using (var spool = WriteSpool.Open(_directory))
        {
            var first = spool.Append("a 1\n"u8, 1);
            spool.Append("b 2\n"u8, 1);
            spool.Append("c 3\n"u8, 1);
            spool.Acknowledge(first);
        }

        using var reopened = WriteSpool.Open(_directory);

        Assert.Equal(2, reopened.PendingBatches);
        using var head = reopened.Peek()!;
        Assert.Equal("b 2\n", Text(head));
        Assert.Equal(2, head.Sequence);
    }

    [Fact]
    public void Append_AfterRestart_ContinuesTheSequence()
    {
        using (var spool = WriteSpool.Open(_directory))
        {
            spool.Append("a 1\n"u8, 1);
        }

        using var reopened = WriteSpool.Open(_directory);

        Assert.Equal(2, reopened.Append("b 2\n"u8, 1));
    }

    [Fact]
    public void Open_TornRecordAtTheEnd_KeepsEverythingBeforeItAndCountsIt()
    {
        using (var spool = WriteSpool.Open(_directory))
        {
            spool.Append("a 1\n"u8, 1);
            spool.Append("b 2\n"u8, 1);
        }

        // A crash in the middle of an append: a header promising 1000 bytes, then only a few.
        var segment = Directory.GetFiles(_directory, "*.seg").Single();
        using (var file = new FileStream(segment, FileMode.Append))
        {
            file.Write([0xE8, 0x03, 0, 0, 1, 2, 3, 4, 5, 6]);
        }

        using var reopened = WriteSpool.Open(_directory);

        Assert.Equal(2, reopened.PendingBatches);
        Assert.Equal(1, reopened.CorruptRecordsAtOpen);
        Assert.Equal(3, reopened.Append("c 3\n"u8, 1));
    }

    [Fact]
    public void Open_FlippedByteInARecord_StopsAtTheDamagedRecord()
    {
        using (var spool = WriteSpool.Open(_directory))
        {
            spool.Append("a 1\n"u8, 1);
            spool.Append("b 2\n"u8, 1);
        }

        var segment = Directory.GetFiles(_directory, "*.seg").Single();
        var bytes = File.ReadAllBytes(segment);
        bytes[^2] ^= 0xFF;
        File.WriteAllBytes(segment, bytes);

        using var reopened = WriteSpool.Open(_directory);

        Assert.Equal(1, reopened.PendingBatches);
        Assert.Equal(1, reopened.CorruptRecordsAtOpen);
    }

    [Fact]
    public void Acknowledge_WholeSegments_DeletesTheirFiles()
    {
        using var spool = WriteSpool.Open(_directory, segmentBytes: 1024);
        var payload = new byte[600];
        payload.AsSpan().Fill((byte)'x');
        long last = 0;
        for (var i = 0; i < 6; i++)
        {
            last = spool.Append(payload, 1);
        }

        Assert.True(Directory.GetFiles(_directory, "*.seg").Length >= 3);

        spool.Acknowledge(last);

        Assert.Empty(Directory.GetFiles(_directory, "*.seg"));
        Assert.Equal(0, spool.PendingBatches);
    }

    [Fact]
    public void Append_BeyondMaxBytes_ThrowsSpoolFullAndKeepsWhatItHas()
    {
        using var spool = WriteSpool.Open(_directory, maxBytes: 10);
        spool.Append("0123456789"u8, 1);

        var ex = Assert.Throws<SpoolFullException>(() => spool.Append("x"u8, 1));

        Assert.Contains(_directory, ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, spool.PendingBatches);
    }

    [Fact]
    public void Open_CorruptAckFile_ResendsRatherThanSkips()
    {
        using (var spool = WriteSpool.Open(_directory))
        {
            spool.Append("a 1\n"u8, 1);
            spool.Acknowledge(1);
            spool.Append("b 2\n"u8, 1);
        }

        File.WriteAllBytes(Path.Combine(_directory, "ack"), [1, 2, 3]);
        using var reopened = WriteSpool.Open(_directory);

        Assert.Equal(2, reopened.PendingBatches);
        using var head = reopened.Peek()!;
        Assert.Equal("a 1\n", Text(head));
    }

    [Fact]
    public void Open_NewestAckSlotTorn_FallsBackToThePreviousAcknowledgement()
    {
        using (var spool = WriteSpool.Open(_directory))
        {
            spool.Append("a 1\n"u8, 1);
            spool.Append("b 2\n"u8, 1);
            spool.Append("c 3\n"u8, 1);
            spool.Acknowledge(1);
            spool.Acknowledge(2);
        }

        // The second acknowledgement went into the second slot; a crash mid-write leaves it torn.
        var path = Path.Combine(_directory, "ack");
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(24, bytes.Length);
        bytes[13] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        using var reopened = WriteSpool.Open(_directory);

        Assert.Equal(1, reopened.AcknowledgedSequence);
        Assert.Equal(2, reopened.PendingBatches);
        using var head = reopened.Peek()!;
        Assert.Equal("b 2\n", Text(head));
    }

    [Fact]
    public void Open_AckFileOfTheSingleSlotFormat_IsReadAndKept()
    {
        Span<byte> slot = stackalloc byte[12];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(slot, 1);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(slot[8..], System.IO.Hashing.Crc32.HashToUInt32(slot[..8]));
        using (var spool = WriteSpool.Open(_directory))
        {
            spool.Append("a 1\n"u8, 1);
            spool.Append("b 2\n"u8, 1);
        }

        File.WriteAllBytes(Path.Combine(_directory, "ack"), slot.ToArray());
        using var reopened = WriteSpool.Open(_directory);

        Assert.Equal(1, reopened.AcknowledgedSequence);
        using var head = reopened.Peek()!;
        Assert.Equal("b 2\n", Text(head));
    }

    private static string Text(SpooledBatch batch) => Encoding.UTF8.GetString(batch.Lines.Span);
}
