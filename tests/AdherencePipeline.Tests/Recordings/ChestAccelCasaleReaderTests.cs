using AdherencePipeline.Recordings;

namespace AdherencePipeline.Tests.Recordings;

public sealed class ChestAccelCasaleReaderTests : IDisposable
{
    private const string Header = "t_s,activity_id,acc_x_raw,acc_y_raw,acc_z_raw";
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Read_Counts_ConvertedWithNominalScaleAndMarkedNominal()
    {
        var path = _folder.Write("participant05.csv.gz", Header,
            "0.0000,1,2048,2418,1678",
            "0.0192,3,2233,2048,2048",
            "0.0385,0,1863,2048,2048");

        var recording = ChestAccelCasaleReader.Read(path);

        Assert.Equal("participant05", recording.SubjectId);
        Assert.Equal(RecordingSources.ChestAccelCasale, recording.Source);
        Assert.Null(recording.Segment);
        Assert.Equal(AccelScale.Nominal, recording.AccelScale);
        Assert.Equal(52, recording.NominalSampleRateHz);
        Assert.Equal([0f, 0.5f, -0.5f], recording.Accelerometer.XG.ToArray());
        Assert.Equal([1f, 0f, 0f], recording.Accelerometer.YG.ToArray());
        Assert.Equal([-1f, 0f, 0f], recording.Accelerometer.ZG.ToArray());
        Assert.Equal([1, 3, 0], recording.Accelerometer.Labels.ToArray());
    }

    [Fact]
    public void Read_RoundedTimeColumn_StoresExactRowOverRate()
    {
        var path = _folder.Write("participant05.csv", Header, "0.0000,1,1,2,3", "0.0192,1,1,2,3", "0.0385,1,1,2,3", "0.0577,1,1,2,3");

        var recording = ChestAccelCasaleReader.Read(path);

        // 1/52 s = 19,230,769.23 ns: the exact row time, not the file's 4-decimal rounding.
        Assert.Equal([0L, 19_230_769L, 38_461_538L, 57_692_308L], recording.Accelerometer.TimestampNs.ToArray());
    }

    [Fact]
    public void Read_ValuesAtTheRails_FlaggedAndCounted()
    {
        var path = _folder.Write("participant02.csv", Header,
            "0.0000,1,2000,2000,2000",
            "0.0192,1,0,2000,2000",
            "0.0385,1,2000,4095,2000",
            "0.0577,1,3,4093,2000",
            "0.0769,1,2000,2000,2");

        var recording = ChestAccelCasaleReader.Read(path);

        Assert.True(recording.Accelerometer.HasClipping);
        Assert.Equal([false, true, true, false, true], recording.Accelerometer.Clipped.ToArray());
        Assert.Equal(3, recording.Accelerometer.ClippedCount);
        Assert.Equal(ChestAccelCasaleReader.ToG(0), recording.Accelerometer.XG.Span[1]);
    }

    [Fact]
    public void Read_CountAbove12Bit_ErrorNamesLineAndColumn()
    {
        var path = _folder.Write("participant02.csv", Header, "0.0000,1,2000,4096,2000");

        FormatErrors.Assert(() => ChestAccelCasaleReader.Read(path), path, 2, 4, "4096 counts is outside the 12-bit range");
    }

    [Fact]
    public void Read_FractionalCount_ErrorSaysNotAnInteger()
    {
        var path = _folder.Write("participant02.csv", Header, "0.0000,1,2000,2000,20.5");

        FormatErrors.Assert(() => ChestAccelCasaleReader.Read(path), path, 2, 5, "'20.5' is not an integer");
    }

    [Fact]
    public void Read_TimeRepeats_ErrorNamesLine()
    {
        var path = _folder.Write("participant02.csv", Header, "0.0000,1,1,2,3", "0.0192,1,1,2,3", "0.0192,1,1,2,3");

        FormatErrors.Assert(() => ChestAccelCasaleReader.Read(path), path, 4, 1, "repeats the previous line's time");
    }

    [Fact]
    public void Read_SourceHeaderWithSequenceColumn_ErrorNamesFirstColumn()
    {
        var path = _folder.Write("participant02.csv", "seq,activity_id,acc_x_raw,acc_y_raw,acc_z_raw", "0,1,1,2,3");

        FormatErrors.Assert(() => ChestAccelCasaleReader.Read(path), path, 1, 1, "header column is 'seq', expected 't_s'");
    }
}
