using AdherencePipeline.Recordings;

namespace AdherencePipeline.Tests.Recordings;

public sealed class ChestHrHexoskinReaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private void WriteSubject(string number, bool participants = true)
    {
        _folder.Write($"subject{number}-acc.csv.gz", "t_s,acc_x,acc_y,acc_z",
            "0.000000,256,-128,0",
            "0.015625,-64,512,-256",
            "0.031250,1,2,3");
        _folder.Write($"subject{number}-hr.csv.gz", "t_s,hr_bpm,hr_quality",
            "0.000,70,0",
            "1.000,72,8");
        _folder.Write($"subject{number}-rr.csv.gz", "t_s,rr_1_256s,rr_quality",
            "5.1484375,0,129",
            "6.44140625,256,129",
            "7.58984375,331,1");
        if (participants)
        {
            _folder.Write("participants.csv", "subject,start_utc,sex,age,weight_kg,height_cm",
                "001,2022-11-04T23:29:49Z,M,25,81.6,183.5",
                $"{number},2022-12-02T22:06:50Z,,,,",
                "013,2022-12-10T00:20:11Z,M,22,69.7,185.0");
        }
    }

    [Fact]
    public void Read_SubjectStem_JoinsAccHeartRateRrAndStartTime()
    {
        WriteSubject("009");

        var recording = ChestHrHexoskinReader.Read(Path.Combine(_folder.Path, "subject009"));

        Assert.Equal("subject009", recording.SubjectId);
        Assert.Equal(RecordingSources.ChestHrHexoskin, recording.Source);
        Assert.Equal(AccelScale.Nominal, recording.AccelScale);
        Assert.Equal(64, recording.NominalSampleRateHz);
        Assert.Equal(new DateTimeOffset(2022, 12, 2, 22, 6, 50, TimeSpan.Zero), recording.StartUtc);

        var acc = recording.Accelerometer;
        Assert.Equal([0L, 15_625_000L, 31_250_000L], acc.TimestampNs.ToArray());
        Assert.Equal([1f, -0.25f, 1f / 256], acc.XG.ToArray());
        Assert.Equal([-0.5f, 2f, 2f / 256], acc.YG.ToArray());
        Assert.Equal([0f, -1f, 3f / 256], acc.ZG.ToArray());
        Assert.False(acc.HasLabels);
        Assert.False(acc.HasClipping);

        var hr = recording.HeartRate!;
        Assert.Equal([0L, 1_000_000_000L], hr.TimestampNs.ToArray());
        Assert.Equal([70.0, 72.0], hr.HeartRateBpm.ToArray());
        Assert.Equal([0, 8], hr.Quality.ToArray());

        var rr = recording.RrIntervals!;
        Assert.Equal([5_148_437_500L, 6_441_406_250L, 7_589_843_750L], rr.TimestampNs.ToArray());
        Assert.Equal([0.0, 1000.0, 1292.96875], rr.IntervalMs.ToArray());
        Assert.Equal([129, 129, 1], rr.Quality.ToArray());

        Assert.Equal(1_670_018_810_000_000_000L + 15_625_000L, recording.ToUnixTimeNs(15_625_000L));
    }

    [Theory]
    [InlineData("subject004-acc.csv.gz")]
    [InlineData("subject004-hr.csv.gz")]
    [InlineData("subject004-rr.csv.gz")]
    public void Read_AnyOfTheThreeFiles_ReadsTheWholeSubject(string file)
    {
        WriteSubject("004");

        var recording = ChestHrHexoskinReader.Read(Path.Combine(_folder.Path, file));

        Assert.Equal("subject004", recording.SubjectId);
        Assert.Equal(3, recording.Accelerometer.Count);
        Assert.Equal(2, recording.HeartRate!.Count);
        Assert.Equal(3, recording.RrIntervals!.Count);
    }

    [Fact]
    public void Read_NoRowInParticipants_StartUnknown()
    {
        WriteSubject("021");
        _folder.Write("participants.csv", "subject,start_utc,sex,age,weight_kg,height_cm", "001,2022-11-04T23:29:49Z,M,25,81.6,183.5");

        var recording = ChestHrHexoskinReader.Read(Path.Combine(_folder.Path, "subject021"));

        Assert.Null(recording.StartUtc);
        Assert.Null(recording.ToUnixTimeNs(0));
    }

    [Fact]
    public void Read_NoParticipantsFile_StartUnknown()
    {
        WriteSubject("001", participants: false);

        Assert.Null(ChestHrHexoskinReader.Read(Path.Combine(_folder.Path, "subject001")).StartUtc);
    }

    [Fact]
    public void Read_HeartRateFileMissing_ErrorNamesIt()
    {
        WriteSubject("001");
        File.Delete(Path.Combine(_folder.Path, "subject001-hr.csv.gz"));

        FormatErrors.Assert(() => ChestHrHexoskinReader.Read(Path.Combine(_folder.Path, "subject001")),
            Path.Combine(_folder.Path, "subject001-hr.csv.gz"), null, null, "file not found");
    }

    [Fact]
    public void Read_RrTimeGoesBackwards_ErrorNamesRrFileLineAndColumn()
    {
        WriteSubject("001");
        var rr = _folder.Write("subject001-rr.csv.gz", "t_s,rr_1_256s,rr_quality", "5.1484375,0,129", "5.0,256,129");

        FormatErrors.Assert(() => ChestHrHexoskinReader.Read(Path.Combine(_folder.Path, "subject001")), rr, 3, 1, "time goes backwards: 5 s after 5.1484375 s");
    }

    [Fact]
    public void Read_HeartRateNotANumber_ErrorNamesColumn()
    {
        WriteSubject("001");
        var hr = _folder.Write("subject001-hr.csv.gz", "t_s,hr_bpm,hr_quality", "0.000,70,0", "1.000,,0");

        var error = FormatErrors.Assert(() => ChestHrHexoskinReader.Read(Path.Combine(_folder.Path, "subject001")), hr, 3, 2, "empty value");
        Assert.Equal("hr_bpm", error.ColumnName);
    }

    [Fact]
    public void Read_BadStartTime_ErrorNamesParticipantsLineAndColumn()
    {
        WriteSubject("001", participants: false);
        var table = _folder.Write("participants.csv", "subject,start_utc,sex,age,weight_kg,height_cm", "001,2022-11-04 23:29,M,25,81.6,183.5");

        FormatErrors.Assert(() => ChestHrHexoskinReader.Read(Path.Combine(_folder.Path, "subject001")), table, 2, 2, "is not a UTC time");
    }

    [Fact]
    public void Read_AccHeaderWithExtraColumn_ErrorNamesIt()
    {
        WriteSubject("001");
        var acc = _folder.Write("subject001-acc.csv.gz", "t_s,acc_x,acc_y,acc_z,temp", "0.0,1,2,3,36");

        FormatErrors.Assert(() => ChestHrHexoskinReader.Read(Path.Combine(_folder.Path, "subject001")), acc, 1, 5, "unexpected extra column 'temp'");
    }
}
