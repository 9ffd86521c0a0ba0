using System.IO.Compression;
using AdherencePipeline.Recordings;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AdherencePipeline.Tests.Recordings;

public sealed class RecordingCsvTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static Recording Sample() => new(
        "participant07",
        RecordingSources.ChestAccelCasale,
        new AccelSeries(
            [0, 19_230_769, 38_461_538],
            [0.1f, -1.2345678f, float.Epsilon],
            [1f, 0f, -0f],
            [-0.5f, 3.4028235E+38f, 1e-7f],
            labels: [1, 1, 7],
            clipped: [false, true, false]),
        52,
        AccelScale.Nominal,
        segment: 3,
        startUtc: new DateTimeOffset(2022, 11, 4, 23, 29, 49, TimeSpan.Zero).AddTicks(1234567),
        heartRate: new HeartRateSeries([0, 1_000_000_000], [70, 71.5], [0, 8]),
        rrIntervals: new RrIntervalSeries([5_148_437_500], [1292.96875]));

    [Fact]
    public void Write_SmallRecording_ProducesTheDocumentedText()
    {
        var recording = new Recording("subject1", "daily-sports-torso",
            new AccelSeries([0, 40_000_000], [1f, 0.25f], [0f, -1f], [0.5f, 0.1f], labels: [2, 2]), 25, AccelScale.Calibrated, segment: 1,
            heartRate: new HeartRateSeries([0], [61], [0]));

        var acc = RecordingCsv.Write(recording, Path.Combine(_folder.Path, "subject1-s01"), compress: false);

        Assert.Equal(Path.Combine(_folder.Path, "subject1-s01.acc.csv"), acc);
        Assert.Equal(
            """
            # adherence-recording 1
            # subject: subject1
            # source: daily-sports-torso
            # segment: 1
            # sample_rate_hz: 25
            # accel_scale: calibrated
            # signals: acc,hr
            t_ns,acc_x_g,acc_y_g,acc_z_g,label
            0,1,0,0.5,2
            40000000,0.25,-1,0.1,2

            """,
            File.ReadAllText(acc));
        Assert.Equal("t_ns,hr_bpm,quality\n0,61,0\n", File.ReadAllText(Path.Combine(_folder.Path, "subject1-s01.hr.csv")));
        Assert.False(File.Exists(Path.Combine(_folder.Path, "subject1-s01.rr.csv")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WriteThenRead_AllSignals_GivesIdenticalRecording(bool compress)
    {
        var original = Sample();
        var acc = RecordingCsv.Write(original, Path.Combine(_folder.Path, "p07"), compress);

        var read = RecordingCsv.Read(acc);

        AssertSame(original, read);
        using var probe = File.OpenRead(acc);
        Assert.Equal(compress, probe.ReadByte() == 0x1F);
    }

    [Fact]
    public void Read_Stem_FindsTheFiles()
    {
        RecordingCsv.Write(Sample(), Path.Combine(_folder.Path, "p07"));

        AssertSame(Sample(), RecordingCsv.Read(Path.Combine(_folder.Path, "p07")));
        AssertSame(Sample(), RecordingCsv.Read(Path.Combine(_folder.Path, "p07.hr.csv.gz")));
    }

    [Property(MaxTest = 60, Arbitrary = [typeof(RecordingArbitrary)])]
    public void WriteThenRead_AnyRecording_ArraysAreBitIdentical(Recording original)
    {
        using var folder = new TempFolder();

        var read = RecordingCsv.Read(RecordingCsv.Write(original, Path.Combine(folder.Path, "r"), compress: false));

        AssertSame(original, read);
    }

    [Fact]
    public void Read_HeartRateListedButMissing_ErrorNamesTheMissingFile()
    {
        RecordingCsv.Write(Sample(), Path.Combine(_folder.Path, "p07"));
        File.Delete(Path.Combine(_folder.Path, "p07.hr.csv.gz"));

        FormatErrors.Assert(() => RecordingCsv.Read(Path.Combine(_folder.Path, "p07")), Path.Combine(_folder.Path, "p07.hr.csv.gz"), null, null, "signals line");
    }

    [Fact]
    public void Read_NoSignatureLine_ErrorNamesLineOne()
    {
        var path = _folder.Write("x.acc.csv", "t_ns,acc_x_g,acc_y_g,acc_z_g", "0,1,0,0");

        FormatErrors.Assert(() => RecordingCsv.Read(path), path, 1, null, "expected '# adherence-recording 1'");
    }

    [Fact]
    public void Read_UnknownMetadataKey_ErrorNamesItsLine()
    {
        var path = _folder.Write("x.acc.csv", RecordingCsv.Signature, "# subject: s1", "# source: polar-h10", "# rate: 52", "t_ns,acc_x_g,acc_y_g,acc_z_g");

        FormatErrors.Assert(() => RecordingCsv.Read(path), path, 4, null, "unknown metadata key 'rate'");
    }

    [Fact]
    public void Read_MissingSampleRate_ErrorSaysWhichKey()
    {
        var path = _folder.Write("x.acc.csv", RecordingCsv.Signature, "# subject: s1", "# source: polar-h10", "# accel_scale: calibrated", "# signals: acc",
            "t_ns,acc_x_g,acc_y_g,acc_z_g");

        FormatErrors.Assert(() => RecordingCsv.Read(path), path, null, null, "metadata 'sample_rate_hz' is missing");
    }

    [Fact]
    public void Read_TimeInSecondsInsteadOfNanoseconds_ErrorNamesLineAndColumn()
    {
        var path = _folder.Write("x.acc.csv", RecordingCsv.Signature, "# subject: s1", "# source: polar-h10", "# sample_rate_hz: 52", "# accel_scale: calibrated",
            "# signals: acc", "t_ns,acc_x_g,acc_y_g,acc_z_g", "0,1,0,0", "0.5,1,0,0");

        FormatErrors.Assert(() => RecordingCsv.Read(path), path, 9, 1, "'0.5' is not a non-negative integer");
    }

    [Fact]
    public void Read_ClippedFlagNotZeroOrOne_ErrorNamesColumn()
    {
        var path = _folder.Write("x.acc.csv", RecordingCsv.Signature, "# subject: s1", "# source: polar-h10", "# sample_rate_hz: 52", "# accel_scale: nominal",
            "# signals: acc", "t_ns,acc_x_g,acc_y_g,acc_z_g,label,clipped", "0,1,0,0,4,2");

        var error = FormatErrors.Assert(() => RecordingCsv.Read(path), path, 8, 6, "clipped must be 0 or 1");
        Assert.Equal("clipped", error.ColumnName);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("trailer-cut")]
    [InlineData("flipped")]
    public void Read_DamagedGzip_ErrorNamesFileNotASilentlyShorterRecording(string damage)
    {
        var acc = RecordingCsv.Write(Sample(), Path.Combine(_folder.Path, "p07"));
        var bytes = File.ReadAllBytes(acc);
        if (damage == "truncated")
        {
            bytes = bytes[..(bytes.Length / 2)];
        }
        else if (damage == "trailer-cut")
        {
            bytes = bytes[..^6];
        }
        else
        {
            bytes[^6] ^= 0xFF;
        }

        File.WriteAllBytes(acc, bytes);

        var error = Assert.Throws<RecordingFormatException>(() => RecordingCsv.Read(acc));
        Assert.Equal(acc, error.FilePath);
        Assert.Contains("gzip", error.Message, StringComparison.Ordinal);
    }

    internal static void AssertSame(Recording expected, Recording actual)
    {
        Assert.Equal(expected.SubjectId, actual.SubjectId);
        Assert.Equal(expected.Source, actual.Source);
        Assert.Equal(expected.Segment, actual.Segment);
        Assert.Equal(expected.NominalSampleRateHz, actual.NominalSampleRateHz);
        Assert.Equal(expected.AccelScale, actual.AccelScale);
        Assert.Equal(expected.StartUtc, actual.StartUtc);
        var (e, a) = (expected.Accelerometer, actual.Accelerometer);
        Assert.Equal(e.TimestampNs.ToArray(), a.TimestampNs.ToArray());
        Assert.Equal(Bits(e.XG), Bits(a.XG));
        Assert.Equal(Bits(e.YG), Bits(a.YG));
        Assert.Equal(Bits(e.ZG), Bits(a.ZG));
        Assert.Equal(e.HasLabels, a.HasLabels);
        Assert.Equal(e.Labels.ToArray(), a.Labels.ToArray());
        Assert.Equal(e.HasClipping, a.HasClipping);
        Assert.Equal(e.Clipped.ToArray(), a.Clipped.ToArray());
        Assert.Equal(expected.HeartRate is null, actual.HeartRate is null);
        if (expected.HeartRate is { } hr)
        {
            Assert.Equal(hr.TimestampNs.ToArray(), actual.HeartRate!.TimestampNs.ToArray());
            Assert.Equal(hr.HeartRateBpm.ToArray(), actual.HeartRate.HeartRateBpm.ToArray());
            Assert.Equal(hr.HasQuality, actual.HeartRate.HasQuality);
            Assert.Equal(hr.Quality.ToArray(), actual.HeartRate.Quality.ToArray());
        }

        Assert.Equal(expected.RrIntervals is null, actual.RrIntervals is null);
        if (expected.RrIntervals is { } rr)
        {
            Assert.Equal(rr.TimestampNs.ToArray(), actual.RrIntervals!.TimestampNs.ToArray());
            Assert.Equal(rr.IntervalMs.ToArray(), actual.RrIntervals.IntervalMs.ToArray());
            Assert.Equal(rr.HasQuality, actual.RrIntervals.HasQuality);
            Assert.Equal(rr.Quality.ToArray(), actual.RrIntervals.Quality.ToArray());
        }
    }

    // Compare bit patterns: -0 and 0 must stay apart, and Assert.Equal on floats would hide that.
    private static int[] Bits(ReadOnlyMemory<float> values) => values.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
}

/// <summary>Random but valid recordings: any finite floats, increasing times, optional signals and metadata.</summary>
public static class RecordingArbitrary
{
    public static Arbitrary<Recording> Recordings() =>
        (from count in Gen.Choose(0, 40)
         from steps in Gen.Choose(1, 1_000_000_000).ArrayOf(count)
         from x in FiniteFloat().ArrayOf(count)
         from y in FiniteFloat().ArrayOf(count)
         from z in FiniteFloat().ArrayOf(count)
         from labels in Gen.OneOf(Gen.Constant<int[]?>(null), Gen.Choose(-5, 100).ArrayOf(count).Select(a => (int[]?)a))
         from clipped in Gen.OneOf(Gen.Constant<bool[]?>(null), ArbMap.Default.GeneratorFor<bool>().ArrayOf(count).Select(a => (bool[]?)a))
         from rate in Gen.Elements(25.0, 52.0, 64.0, 200.0, 12.5, 1.0 / 3)
         from scale in Gen.Elements(AccelScale.Calibrated, AccelScale.Nominal)
         from segment in Gen.OneOf(Gen.Constant<int?>(null), Gen.Choose(0, 30).Select(s => (int?)s))
         from startTicks in Gen.OneOf(Gen.Constant<long?>(null), Gen.Choose(0, int.MaxValue).Select(s => (long?)(s * 1_000_000_007L)))
         from hr in Gen.OneOf(Gen.Constant<HeartRateSeries?>(null), Series(static (t, v, q) => new HeartRateSeries(t, v, q)).Select(s => (HeartRateSeries?)s))
         from rr in Gen.OneOf(Gen.Constant<RrIntervalSeries?>(null), Series(static (t, v, q) => new RrIntervalSeries(t, v, q)).Select(s => (RrIntervalSeries?)s))
         select new Recording("s-01", "test_source", new AccelSeries(Times(steps), x, y, z, labels, clipped), rate, scale, segment,
             startTicks is long ticks ? new DateTimeOffset(ticks % DateTimeOffset.MaxValue.UtcTicks, TimeSpan.Zero) : null, hr, rr))
        .ToArbitrary();

    private static Gen<float> FiniteFloat() =>
        Gen.OneOf(
            ArbMap.Default.GeneratorFor<int>().Select(BitConverter.Int32BitsToSingle).Where(float.IsFinite),
            Gen.Choose(-4000, 4000).Select(c => (float)((c - 2048) / 370.0)),
            Gen.Elements(0f, -0f, 1f, -1f, float.MaxValue, float.MinValue, float.Epsilon));

    private static Gen<T> Series<T>(Func<long[], double[], int[]?, T> make) =>
        from count in Gen.Choose(0, 20)
        from steps in Gen.Choose(1, int.MaxValue).ArrayOf(count)
        from values in Gen.OneOf(
            ArbMap.Default.GeneratorFor<long>().Select(b => Math.Abs(BitConverter.Int64BitsToDouble(b))).Where(double.IsFinite),
            Gen.Choose(0, 1000).Select(v => v * 1000.0 / 256)).ArrayOf(count)
        from quality in Gen.OneOf(Gen.Constant<int[]?>(null), ArbMap.Default.GeneratorFor<int>().ArrayOf(count).Select(a => (int[]?)a))
        select make(Times(steps), values, quality);

    private static long[] Times(int[] steps)
    {
        var times = new long[steps.Length];
        var t = 0L;
        for (var i = 0; i < steps.Length; i++)
        {
            times[i] = t;
            t += steps[i];
        }

        return times;
    }
}
