using AdherencePipeline.Recordings;

namespace AdherencePipeline.Tests.Recordings;

public sealed class DailySportsTorsoReaderTests : IDisposable
{
    private const string Header = "t_s,activity_id,acc_x_ms2,acc_y_ms2,acc_z_ms2";
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Read_TwoActivityBlocks_ReturnsOneRecordingPerBlockWithTimeFromZero()
    {
        var path = _folder.Write("subject7.csv.gz", Header,
            "0.00,1,9.80665,0,0",
            "0.04,1,0,-9.80665,0",
            "0.08,1,0,0,4.903325",
            "0.12,2,1.5,2.5,-3.25",
            "0.16,2,0,0,0");

        var recordings = DailySportsTorsoReader.Read(path);

        Assert.Equal(2, recordings.Count);
        var first = recordings[0];
        Assert.Equal("subject7", first.SubjectId);
        Assert.Equal(RecordingSources.DailySportsTorso, first.Source);
        Assert.Equal(0, first.Segment);
        Assert.Equal(25, first.NominalSampleRateHz);
        Assert.Equal(AccelScale.Calibrated, first.AccelScale);
        Assert.Null(first.StartUtc);
        Assert.Null(first.HeartRate);
        Assert.Equal([0L, 40_000_000L, 80_000_000L], first.Accelerometer.TimestampNs.ToArray());
        Assert.Equal([1f, 0f, 0f], first.Accelerometer.XG.ToArray());
        Assert.Equal([0f, -1f, 0f], first.Accelerometer.YG.ToArray());
        Assert.Equal([0f, 0f, 0.5f], first.Accelerometer.ZG.ToArray());
        Assert.Equal([1, 1, 1], first.Accelerometer.Labels.ToArray());
        Assert.False(first.Accelerometer.HasClipping);
        Assert.Equal(TimeSpan.FromMilliseconds(120), first.AccelDuration);

        var second = recordings[1];
        Assert.Equal(1, second.Segment);
        Assert.Equal([0L, 40_000_000L], second.Accelerometer.TimestampNs.ToArray());
        Assert.Equal([(float)(1.5 / 9.80665), 0f], second.Accelerometer.XG.ToArray());
        Assert.Equal([(float)(-3.25 / 9.80665), 0f], second.Accelerometer.ZG.ToArray());
        Assert.Equal([2, 2], second.Accelerometer.Labels.ToArray());
        Assert.Equal("daily-sports-torso/subject7#1", second.ToString());
    }

    [Fact]
    public void Read_HeaderInGInsteadOfMs2_ErrorNamesLineOneAndTheColumn()
    {
        var path = _folder.Write("subject1.csv", "t_s,activity_id,acc_x_g,acc_y_ms2,acc_z_ms2", "0.00,1,1,2,3");

        FormatErrors.Assert(() => DailySportsTorsoReader.Read(path), path, 1, 3, "header column is 'acc_x_g', expected 'acc_x_ms2'");
    }

    [Fact]
    public void Read_ValueNotANumber_ErrorNamesLineAndColumn()
    {
        var path = _folder.Write("subject1.csv", Header, "0.00,1,1,2,3", "0.04,1,1,abc,3");

        var error = FormatErrors.Assert(() => DailySportsTorsoReader.Read(path), path, 3, 4, "'abc' is not a finite number");
        Assert.Equal("acc_y_ms2", error.ColumnName);
    }

    [Fact]
    public void Read_TimeGoesBackwards_ErrorNamesLineAndTimeColumn()
    {
        var path = _folder.Write("subject1.csv", Header, "0.00,1,1,2,3", "0.04,1,1,2,3", "0.00,1,1,2,3");

        FormatErrors.Assert(() => DailySportsTorsoReader.Read(path), path, 4, 1, "time goes backwards: 0 s after 0.04 s");
    }

    [Fact]
    public void Read_RowMissing_ErrorSaysTimeIsNotRowOverRate()
    {
        var path = _folder.Write("subject1.csv", Header, "0.00,1,1,2,3", "0.08,1,1,2,3");

        FormatErrors.Assert(() => DailySportsTorsoReader.Read(path), path, 3, 1, "is not row 1 / 25 Hz = 0.04 s");
    }

    [Fact]
    public void Read_LineWithTooFewColumns_ErrorNamesTheMissingColumn()
    {
        var path = _folder.Write("subject1.csv", Header, "0.00,1,1,2");

        FormatErrors.Assert(() => DailySportsTorsoReader.Read(path), path, 2, 5, "missing value");
    }

    [Fact]
    public void Read_EmptyLineInTheMiddle_IsAnErrorNotSkipped()
    {
        var path = _folder.Write("subject1.csv", Header, "0.00,1,1,2,3", string.Empty, "0.04,1,1,2,3");

        FormatErrors.Assert(() => DailySportsTorsoReader.Read(path), path, 3, null, "empty line");
    }

    [Fact]
    public void Read_MissingFile_ErrorNamesTheFile()
    {
        var path = Path.Combine(_folder.Path, "subject9.csv.gz");

        FormatErrors.Assert(() => DailySportsTorsoReader.Read(path), path, null, null, "file not found");
    }

    [Fact]
    public void Read_FileNameIsNoSubjectCode_ErrorNamesTheFile()
    {
        var path = _folder.Write("subject 1 (copy).csv", Header, "0.00,1,1,2,3");

        FormatErrors.Assert(() => DailySportsTorsoReader.Read(path), path, null, null, "does not give a subject code ('subject 1 (copy)')");
    }

    [Fact]
    public void Read_CrlfLineEndings_ReadLikeLf()
    {
        var path = _folder.Write("subject2.csv", Header + "\r", "0.00,3,0,0,-9.80665\r");

        var recording = Assert.Single(DailySportsTorsoReader.Read(path));

        Assert.Equal([-1f], recording.Accelerometer.ZG.ToArray());
        Assert.Equal([3], recording.Accelerometer.Labels.ToArray());
    }
}
