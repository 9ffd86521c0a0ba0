using System.Reactive.Linq;
using AdherencePipeline.Archive;
using AdherencePipeline.Pipeline;
using Microsoft.Reactive.Testing;

namespace AdherencePipeline.Tests.Archive;

public sealed class ParticipantArchiveTests : IDisposable
{
    private const long Second = 1_000_000_000;
    private static readonly long Start = DateTimeOffset.Parse("2026-03-02T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() * 1_000_000;
    private readonly string _root = Directory.CreateTempSubdirectory("archive-test-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Read_AfterWrite_GivesBackEveryRecordBitForBit()
    {
        var data = Stream(seconds: 60, seed: 1);

        Write(data);
        var issues = new List<ArchiveIssue>();
        var read = ParticipantArchive.Read(_root, "P001", issues.Add).ToList();

        Assert.Empty(issues);
        AssertSame(data, read);
    }

    [Fact]
    public void Read_ValuesNotInWholeMilliG_KeepsTheirFloatBits()
    {
        var t = new long[] { Start, Start + 20_000_000, Start + 41_000_000 };
        var odd = new AccelerationData("aa:bb", "generic", 50, t, [0.0012345f, -0f, float.Epsilon], [1f, 2f, 3f], [float.MaxValue, -1.5f, 0.25f]);
        var heart = new HeartRateData("aa:bb", "generic", Start, 71.5, [812.25, -0.0], null);

        Write([odd, heart]);
        var read = ParticipantArchive.Read(_root, "P001", _ => Assert.Fail("no damage expected")).ToList();

        AssertSame([odd, heart], read);
    }

    [Fact]
    public void Append_DataOverTwoLocalDays_WritesOneFilePerDayOfTheParticipantsZone()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        // 04:59:50Z to 05:00:10Z on 2026-03-03 is midnight in New York (UTC-5).
        var midnight = DateTimeOffset.Parse("2026-03-03T05:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() * 1_000_000;
        var before = new HeartRateData("aa:bb", "polar-h10", midnight - 10 * Second, 80, [], true);
        var after = new HeartRateData("aa:bb", "polar-h10", midnight + 10 * Second, 81, [], true);

        using (var writer = new ParticipantArchiveWriter(_root, "P001", new ParticipantArchiveOptions { LocalDate = t => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(t, zone).DateTime) }))
        {
            writer.Append(before);
            writer.Append(after);
        }

        Assert.Equal([new DateOnly(2026, 3, 2), new DateOnly(2026, 3, 3)], ParticipantArchive.Days(_root, "P001"));
        Assert.Equal([80.0], ParticipantArchive.Read(_root, "P001", _ => { }, new DateOnly(2026, 3, 2), new DateOnly(2026, 3, 2)).Cast<HeartRateData>().Select(h => h.HeartRateBpm));
    }

    [Fact]
    public void Read_CorruptBlockInTheMiddle_ReportsFileAndOffsetAndReadsTheRest()
    {
        var data = Stream(seconds: 60, seed: 2);
        Write(data);
        var path = ArchiveFormat.PathFor(_root, "P001", new DateOnly(2026, 3, 2));
        var bytes = File.ReadAllBytes(path);
        var blocks = ArchiveFileReader.Blocks(bytes, path, _ => { }).ToList();
        Assert.True(blocks.Count >= 4);
        var damaged = blocks[1];
        var lost = Decode(bytes.AsSpan(damaged.Offset, damaged.Length));
        var kept = RecordsBefore(blocks, 1, bytes);
        bytes[damaged.Offset + damaged.Length / 2] ^= 0x5A;
        File.WriteAllBytes(path, bytes);

        var issues = new List<ArchiveIssue>();
        var read = ParticipantArchive.Read(_root, "P001", issues.Add).ToList();

        var issue = Assert.Single(issues);
        Assert.Equal(ArchiveIssueKind.CorruptBlock, issue.Kind);
        Assert.Equal(damaged.Offset, issue.Offset);
        Assert.Contains(path, issue.ToString(), StringComparison.Ordinal);
        Assert.Contains($"offset {damaged.Offset}", issue.ToString(), StringComparison.Ordinal);
        Assert.NotEmpty(lost);
        Assert.Equal(data.Count - lost.Count, read.Count);
        AssertSame([.. data.Take(kept), .. data.Skip(kept + lost.Count)], read);
    }

    [Fact]
    public void Open_FileWithTornTail_CutsItKeepsTheBytesAsideAndAppends()
    {
        var first = Stream(seconds: 30, seed: 3);
        Write(first);
        var path = ArchiveFormat.PathFor(_root, "P001", new DateOnly(2026, 3, 2));
        var bytes = File.ReadAllBytes(path);
        var blocks = ArchiveFileReader.Blocks(bytes, path, _ => { }).ToList();
        var last = blocks[^1];
        var tornAt = last.Offset + last.Length - 7;
        File.WriteAllBytes(path, bytes.AsSpan(0, tornAt).ToArray());
        var issues = new List<ArchiveIssue>();
        var beforeRepair = ParticipantArchive.Read(_root, "P001", issues.Add).ToList();
        Assert.Equal(ArchiveIssueKind.TornTail, Assert.Single(issues).Kind);
        Assert.Equal(last.Offset, issues[0].Offset);

        var second = new HeartRateData("aa:bb", "polar-h10", Start + 40 * Second, 99, [600], true);
        using (var writer = new ParticipantArchiveWriter(_root, "P001"))
        {
            writer.Append(second);
            writer.Flush();
            Assert.Equal(ArchiveIssueKind.TornTail, Assert.Single(writer.Issues).Kind);
        }

        var after = ParticipantArchive.Read(_root, "P001", _ => Assert.Fail("the torn tail should be gone")).ToList();
        AssertSame([.. beforeRepair, second], after);
        Assert.Equal(tornAt - last.Offset, new FileInfo($"{path}.{last.Offset}.torn").Length);
    }

    [Fact]
    public void Open_FileWithDamagedHeader_KeepsItAsideAndStartsTheDayAgain()
    {
        Write(Stream(seconds: 20, seed: 5));
        var path = ArchiveFormat.PathFor(_root, "P001", new DateOnly(2026, 3, 2));
        var bytes = File.ReadAllBytes(path);
        bytes[11] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        var later = new HeartRateData("aa:bb", "polar-h10", Start + 60 * Second, 75, [], true);

        using (var writer = new ParticipantArchiveWriter(_root, "P001"))
        {
            writer.Append(later);
            writer.Flush();
            var issue = Assert.Single(writer.Issues);
            Assert.Equal(ArchiveIssueKind.CorruptHeader, issue.Kind);
            Assert.Contains($"{path}.damaged-1", issue.Description, StringComparison.Ordinal);
        }

        Assert.Equal(bytes, File.ReadAllBytes($"{path}.damaged-1"));
        AssertSame([later], ParticipantArchive.Read(_root, "P001", _ => Assert.Fail("the new file should be intact")).ToList());
    }

    [Fact]
    public void Open_FileThatIsNotAnArchive_RefusesNamingTheFile()
    {
        var path = ArchiveFormat.PathFor(_root, "P001", new DateOnly(2026, 3, 2));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "timestamp,x,y,z\n1,2,3,4\n");

        var writer = new ParticipantArchiveWriter(_root, "P001");
        writer.Append(new HeartRateData("aa:bb", "polar-h10", Start, 80, [], true));
        var error = Assert.Throws<InvalidDataException>(writer.Flush);
        // The block could not be written anywhere, so closing says so too rather than drop it.
        Assert.Throws<InvalidDataException>(writer.Dispose);

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal("timestamp,x,y,z\n1,2,3,4\n", File.ReadAllText(path));
    }

    [Fact]
    public void Writer_ParticipantCodeWithPathSeparator_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new ParticipantArchiveWriter(_root, "../P001"));
    }

    [Fact]
    public void Archive_StreamCompletes_PassesEverythingOnAndSealsTheOpenBlock()
    {
        var scheduler = new TestScheduler();
        var data = Stream(seconds: 3, seed: 4);
        var source = scheduler.CreateColdObservable([
            .. data.Select((d, i) => ReactiveTest.OnNext(100 + i, d)),
            ReactiveTest.OnCompleted<DeviceData>(100 + data.Count),
        ]);
        using var writer = new ParticipantArchiveWriter(_root, "P001");

        var observer = scheduler.Start(() => source.Archive(writer), 0, 0, ReactiveTest.Disposed);

        Assert.Equal(data, observer.Messages.Where(m => m.Value.HasValue).Select(m => m.Value.Value));
        Assert.Equal(1, writer.Blocks);
        AssertSame(data, ParticipantArchive.Read(_root, "P001", _ => { }).ToList());
    }

    private static List<DeviceData> Decode(ReadOnlySpan<byte> block)
    {
        var output = new List<DeviceData>();
        Assert.True(ArchiveFileReader.TryDecodeBlock(block, output, out _));
        return output;
    }

    private static int RecordsBefore(List<(int Offset, int Length)> blocks, int index, byte[] bytes)
    {
        var count = 0;
        for (var i = 0; i < index; i++)
        {
            count += Decode(bytes.AsSpan(blocks[i].Offset, blocks[i].Length)).Count;
        }

        return count;
    }

    private void Write(IEnumerable<DeviceData> data)
    {
        using var writer = new ParticipantArchiveWriter(_root, "P001");
        foreach (var d in data)
        {
            writer.Append(d);
        }
    }

    /// <summary>A strap's decoded stream: 50 Hz frames of 36 samples with clock jitter, heart rate each second, a fault and a disconnect.</summary>
    private static List<DeviceData> Stream(int seconds, int seed)
    {
        var random = new Random(seed);
        var data = new List<DeviceData>();
        var t = Start;
        long nextHeart = Start;
        while (t < Start + seconds * Second)
        {
            var n = 36;
            var ts = new long[n];
            var x = new float[n];
            var y = new float[n];
            var z = new float[n];
            for (var i = 0; i < n; i++)
            {
                t += 20_000_000 + random.Next(-3, 4);
                ts[i] = t;
                x[i] = (float)(random.Next(-2000, 2000) / 1000.0);
                y[i] = (float)(random.Next(-2000, 2000) / 1000.0);
                z[i] = (float)(random.Next(-2000, 2000) / 1000.0);
            }

            data.Add(new AccelerationData("aa:bb", "polar-h10", 50, ts, x, y, z));
            while (nextHeart <= t)
            {
                var rr = Enumerable.Range(0, random.Next(0, 3)).Select(_ => AdherencePipeline.Sensors.HeartRateMeasurement.RrToMilliseconds((ushort)random.Next(400, 1200))).ToArray();
                bool? contact = random.Next(3) switch { 0 => null, 1 => false, _ => true };
                data.Add(new HeartRateData("aa:bb", "polar-h10", nextHeart + random.Next(0, 1_000_000), random.Next(50, 180), rr, contact));
                nextHeart += Second;
            }
        }

        data.Add(new DeviceFault("aa:bb", "polar-h10", t + 1, "PMD frame: expected 2 bytes of sample, found 1 at offset 10"));
        data.Add(new DeviceDisconnected("aa:bb", "polar-h10", t, t + 5 * Second));
        data.Add(new HeartRateData("cc:dd", "generic-hrs", t + 6 * Second, 64, [], null));
        return data;
    }

    private static void AssertSame(List<DeviceData> expected, List<DeviceData> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            switch (expected[i], actual[i])
            {
                case (AccelerationData e, AccelerationData a):
                    Assert.Equal((e.DeviceAddress, e.DeviceModel, e.SampleRateHz), (a.DeviceAddress, a.DeviceModel, a.SampleRateHz));
                    Assert.Equal(e.TimestampsNs, a.TimestampsNs);
                    Assert.Equal(e.X.Select(BitConverter.SingleToInt32Bits), a.X.Select(BitConverter.SingleToInt32Bits));
                    Assert.Equal(e.Y.Select(BitConverter.SingleToInt32Bits), a.Y.Select(BitConverter.SingleToInt32Bits));
                    Assert.Equal(e.Z.Select(BitConverter.SingleToInt32Bits), a.Z.Select(BitConverter.SingleToInt32Bits));
                    break;
                case (HeartRateData e, HeartRateData a):
                    Assert.Equal((e.DeviceAddress, e.DeviceModel, e.TimestampNs, e.SkinContact), (a.DeviceAddress, a.DeviceModel, a.TimestampNs, a.SkinContact));
                    Assert.Equal(BitConverter.DoubleToInt64Bits(e.HeartRateBpm), BitConverter.DoubleToInt64Bits(a.HeartRateBpm));
                    Assert.Equal(e.RrIntervalsMs.Select(BitConverter.DoubleToInt64Bits), a.RrIntervalsMs.Select(BitConverter.DoubleToInt64Bits));
                    break;
                default:
                    Assert.Equal(expected[i], actual[i]);
                    break;
            }
        }
    }
}
