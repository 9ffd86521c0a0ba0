using AdherencePipeline.Recordings;

namespace AdherencePipeline.Tests.Recordings;

/// <summary>Reads the real recordings in place and checks them against their READMEs.</summary>
public sealed class SharedDataTests
{
    [Fact]
    public void DailySportsTorso_Subject1_NineteenBlocksOf7500RowsOf300Seconds()
    {
        var recordings = RecordingReader.Open(SharedData.File("daily-sports-torso", "subject1.csv.gz"));

        Assert.Equal(19, recordings.Count);
        Assert.Equal(142_500, recordings.Sum(r => r.Accelerometer.Count));
        for (var i = 0; i < 19; i++)
        {
            var r = recordings[i];
            Assert.Equal("subject1", r.SubjectId);
            Assert.Equal(i, r.Segment);
            Assert.Equal(7_500, r.Accelerometer.Count);
            Assert.Equal(TimeSpan.FromSeconds(300), r.AccelDuration);
            Assert.Equal(0, r.Accelerometer.TimestampNs.Span[0]);
            Assert.All(r.Accelerometer.Labels.ToArray(), label => Assert.Equal(i + 1, label));
        }
    }

    [Fact]
    public void DailySportsTorso_FirstRow_IsTheFileValueInG()
    {
        var first = RecordingReader.Open(SharedData.File("daily-sports-torso", "subject1.csv.gz"))[0].Accelerometer;

        // 0.00,1,8.1305,1.0349,5.4217
        Assert.Equal((float)(8.1305 / 9.80665), first.XG.Span[0]);
        Assert.Equal((float)(1.0349 / 9.80665), first.YG.Span[0]);
        Assert.Equal((float)(5.4217 / 9.80665), first.ZG.Span[0]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(6)]
    public void DailySportsTorso_RestActivities_MeanMagnitudeNearOneG(int subject)
    {
        var recordings = RecordingReader.Open(SharedData.File("daily-sports-torso", $"subject{subject}.csv.gz"));

        // Activities 1-4 and 7: sitting, standing, lying on back, lying on right side, still in an elevator.
        foreach (var activity in new[] { 1, 2, 3, 4, 7 })
        {
            var mean = MeanMagnitudeG(recordings[activity - 1].Accelerometer);
            Assert.InRange(mean, 0.99, 1.01);
        }

        // Running (12) shakes the torso: clearly above 1 g on average (README: about 12.2 m/s²).
        Assert.InRange(MeanMagnitudeG(recordings[11].Accelerometer), 1.1, 1.6);
    }

    [Fact]
    public void DailySportsTorso_WholeFolder_SixSubjectsTimesNineteenBlocks()
    {
        var recordings = RecordingReader.Open(SharedData.Folder("daily-sports-torso"));

        Assert.Equal(6 * 19, recordings.Count);
        Assert.Equal(["subject1", "subject2", "subject3", "subject4", "subject5", "subject6"], recordings.Select(r => r.SubjectId).Distinct());
    }

    [Theory]
    [InlineData("participant01", 162_501, 0)]
    [InlineData("participant02", 138_001, 10)]
    [InlineData("participant06", 140_901, 8)]
    [InlineData("participant08", 138_001, 6)]
    [InlineData("participant09", 166_741, 0)]
    [InlineData("participant13", 67_651, 0)]
    public void ChestAccelCasale_Participant_RowCountDurationAndClippedSamples(string participant, int rows, int clippedSamples)
    {
        var recording = Assert.Single(RecordingReader.Open(SharedData.File("chest-accel-casale", participant + ".csv.gz")));

        Assert.Equal(participant, recording.SubjectId);
        Assert.Equal(AccelScale.Nominal, recording.AccelScale);
        Assert.Equal(rows, recording.Accelerometer.Count);
        Assert.Equal(rows / 52.0 * 1000, recording.AccelDuration.TotalMilliseconds, 0.001);
        Assert.Equal(clippedSamples, recording.Accelerometer.ClippedCount);
    }

    [Fact]
    public void ChestAccelCasale_Participant01_SecondsPerLabelAsInTheReadme()
    {
        var recording = Assert.Single(RecordingReader.Open(SharedData.File("chest-accel-casale", "participant01.csv.gz")));
        var rows = new int[8];
        foreach (var label in recording.Accelerometer.Labels.Span)
        {
            rows[label]++;
        }

        // README, participant 1: 0, 648, 18, 215, 517, 61, 56, 1611 s for labels 0-7.
        int[] seconds = [0, 648, 18, 215, 517, 61, 56, 1611];
        for (var label = 0; label < 8; label++)
        {
            Assert.Equal(seconds[label], rows[label] / 52.0, 0.5 + 1e-9);
        }
    }

    [Fact]
    public void ChestAccelCasale_Participant01_StandingMagnitudeRoughlyOneNominalG()
    {
        var recording = Assert.Single(RecordingReader.Open(SharedData.File("chest-accel-casale", "participant01.csv.gz")));

        var standing = Select(recording.Accelerometer, label: 3);

        // Nominal, not calibrated: only "about 1 g" can be promised (see docs/recordings.md).
        Assert.InRange(MeanMagnitudeG(standing), 0.8, 1.3);
    }

    [Fact]
    public void ChestHrHexoskin_Subject001_CountsFirstValuesAndStart()
    {
        var recording = Assert.Single(RecordingReader.Open(SharedData.File("chest-hr-hexoskin", "subject001")));

        Assert.Equal(new DateTimeOffset(2022, 11, 4, 23, 29, 49, TimeSpan.Zero), recording.StartUtc);
        Assert.Equal(AccelScale.Nominal, recording.AccelScale);
        Assert.Equal(139_832, recording.Accelerometer.Count);
        Assert.Equal(2_184_859_375_000L, recording.Accelerometer.TimestampNs.Span[^1]);
        Assert.Equal([12f / 256, -71f / 256, -262f / 256], [recording.Accelerometer.XG.Span[0], recording.Accelerometer.YG.Span[0], recording.Accelerometer.ZG.Span[0]]);

        var hr = recording.HeartRate!;
        Assert.Equal(2_184, hr.Count);
        Assert.Equal([0L, 1_000_000_000L, 2_000_000_000L, 3_000_000_000L], hr.TimestampNs[..4].ToArray());
        Assert.Equal([70.0, 70.0, 70.0, 70.0], hr.HeartRateBpm[..4].ToArray());
        Assert.Equal([0, 0, 0, 0], hr.Quality[..4].ToArray());
        Assert.Equal(93.0, hr.HeartRateBpm.Span[^1]);
        Assert.Equal(2_183_000_000_000L, hr.TimestampNs.Span[^1]);

        var rr = recording.RrIntervals!;
        Assert.Equal(4_016, rr.Count);
        Assert.Equal(5_148_437_500L, rr.TimestampNs.Span[0]);
        Assert.Equal([0.0, 331 * 1000.0 / 256, 294 * 1000.0 / 256], rr.IntervalMs[..3].ToArray());
        Assert.Equal(129, rr.Quality.Span[0]);
    }

    [Fact]
    public void ChestHrHexoskin_Subject009_HasStartButNoBiometrics()
    {
        var recording = Assert.Single(RecordingReader.Open(SharedData.File("chest-hr-hexoskin", "subject009-acc.csv.gz")));

        Assert.Equal(new DateTimeOffset(2022, 12, 2, 22, 6, 50, TimeSpan.Zero), recording.StartUtc);
    }

    [Fact]
    public void ChestHrHexoskin_WholeFolder_ElevenSubjectsAtRestNearOneNominalG()
    {
        var recordings = RecordingReader.Open(SharedData.Folder("chest-hr-hexoskin"));

        Assert.Equal(11, recordings.Count);
        Assert.All(recordings, r => Assert.NotNull(r.StartUtc));
        var largest = recordings.MaxBy(r => r.Accelerometer.Count)!;
        Assert.Equal("subject013", largest.SubjectId);
        Assert.Equal(307_984, largest.Accelerometer.Count);

        // The nominal 256 counts/g must give about 1 g over each recording's first 10 s
        // (README: median magnitude 244-268 counts at rest), i.e. the scale is right to within ~15 %.
        foreach (var r in recordings)
        {
            Assert.InRange(MeanMagnitudeG(Head(r.Accelerometer, 640)), 0.85, 1.15);
        }
    }

    [Fact]
    public void ChestHrHexoskin_Subject013_LowHeartRateDefectIsKept()
    {
        var hr = Assert.Single(RecordingReader.Open(SharedData.File("chest-hr-hexoskin", "subject013"))).HeartRate!;

        Assert.Equal(4_812, hr.Count);
        Assert.Equal(30.0, hr.HeartRateBpm.ToArray().Min());
    }

    [Fact]
    public void ProjectFormat_HexoskinSubjectWrittenAndReadBack_IsIdentical()
    {
        using var folder = new TempFolder();
        var original = Assert.Single(RecordingReader.Open(SharedData.File("chest-hr-hexoskin", "subject001")));

        var copy = Assert.Single(RecordingReader.Open(RecordingCsv.Write(original, Path.Combine(folder.Path, "subject001"))));

        RecordingCsvTests.AssertSame(original, copy);
    }

    private static double MeanMagnitudeG(AccelSeries series)
    {
        var x = series.XG.Span;
        var y = series.YG.Span;
        var z = series.ZG.Span;
        var sum = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            sum += Math.Sqrt((x[i] * (double)x[i]) + (y[i] * (double)y[i]) + (z[i] * (double)z[i]));
        }

        return sum / x.Length;
    }

    private static AccelSeries Head(AccelSeries series, int count) =>
        new(series.TimestampNs[..count].ToArray(), series.XG[..count].ToArray(), series.YG[..count].ToArray(), series.ZG[..count].ToArray());

    private static AccelSeries Select(AccelSeries series, int label)
    {
        var keep = Enumerable.Range(0, series.Count).Where(i => series.Labels.Span[i] == label).ToArray();
        return new AccelSeries(
            keep.Select(i => series.TimestampNs.Span[i]).ToArray(),
            keep.Select(i => series.XG.Span[i]).ToArray(),
            keep.Select(i => series.YG.Span[i]).ToArray(),
            keep.Select(i => series.ZG.Span[i]).ToArray());
    }
}
