using AdherencePipeline.Recordings;

namespace AdherencePipeline.Tests.Recordings;

public sealed class RecordingReaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string DailySports(string name) =>
        _folder.Write(name, "t_s,activity_id,acc_x_ms2,acc_y_ms2,acc_z_ms2", "0.00,1,0,0,9.80665", "0.04,2,0,0,9.80665");

    private string Casale(string name) =>
        _folder.Write(name, "t_s,activity_id,acc_x_raw,acc_y_raw,acc_z_raw", "0.0000,1,2048,2388,2048");

    private void Hexoskin(string stem)
    {
        _folder.Write(stem + "-acc.csv.gz", "t_s,acc_x,acc_y,acc_z", "0.0,0,256,0");
        _folder.Write(stem + "-hr.csv.gz", "t_s,hr_bpm,hr_quality", "0.0,70,0");
        _folder.Write(stem + "-rr.csv.gz", "t_s,rr_1_256s,rr_quality", "0.5,200,129");
    }

    [Fact]
    public void Detect_EachFormatByHeader_RegardlessOfName()
    {
        var daily = DailySports("a.csv");
        var casale = Casale("b.csv.gz");
        Hexoskin("c");
        var project = RecordingCsv.Write(Assert.Single(RecordingReader.Open(casale)), Path.Combine(_folder.Path, "d"));

        Assert.Equal(RecordingFormat.DailySportsTorso, RecordingReader.Detect(daily));
        Assert.Equal(RecordingFormat.ChestAccelCasale, RecordingReader.Detect(casale));
        Assert.Equal(RecordingFormat.ChestHrHexoskin, RecordingReader.Detect(Path.Combine(_folder.Path, "c-hr.csv.gz")));
        Assert.Equal(RecordingFormat.AdherenceCsv, RecordingReader.Detect(project));
    }

    [Fact]
    public void Detect_Stems_FindTheirFiles()
    {
        Hexoskin("subject001");
        RecordingCsv.Write(Assert.Single(RecordingReader.Open(Casale("participant01.csv.gz"))), Path.Combine(_folder.Path, "replay"));

        Assert.Equal(RecordingFormat.ChestHrHexoskin, RecordingReader.Detect(Path.Combine(_folder.Path, "subject001")));
        Assert.Equal(RecordingFormat.AdherenceCsv, RecordingReader.Detect(Path.Combine(_folder.Path, "replay")));
        Assert.Equal(RecordingFormat.ChestAccelCasale, RecordingReader.Detect(Path.Combine(_folder.Path, "participant01")));
    }

    [Fact]
    public void Open_HexoskinStem_ReadsTheSubject()
    {
        Hexoskin("subject001");

        var recording = Assert.Single(RecordingReader.Open(Path.Combine(_folder.Path, "subject001")));

        Assert.Equal("subject001", recording.SubjectId);
        Assert.Equal(1, recording.HeartRate!.Count);
    }

    [Fact]
    public void Open_Folder_ReadsEveryRecordingOnceInNameOrder()
    {
        DailySports("subject1.csv.gz");
        Casale("participant01.csv");
        Hexoskin("subject001");
        _folder.Write("participants.csv", "subject,start_utc,sex,age,weight_kg,height_cm", "001,2022-11-04T23:29:49Z,M,25,81.6,183.5");
        _folder.Write("README.md", "# not a recording");

        var recordings = RecordingReader.Open(_folder.Path);

        Assert.Equal(
            ["chest-accel-casale/participant01", "chest-hr-hexoskin/subject001", "daily-sports-torso/subject1#0", "daily-sports-torso/subject1#1"],
            recordings.Select(r => r.ToString()));
        Assert.Equal(new DateTimeOffset(2022, 11, 4, 23, 29, 49, TimeSpan.Zero), recordings[1].StartUtc);
    }

    [Fact]
    public void Open_WrongHeaderInADataSetFolder_ReaderNamesTheColumn()
    {
        var path = _folder.Write(Path.Combine("daily-sports-torso", "subject1.csv"), "t_s,activity,acc_x_ms2,acc_y_ms2,acc_z_ms2", "0.00,1,0,0,9.8");

        FormatErrors.Assert(() => RecordingReader.Open(path), path, 1, 2, "header column is 'activity', expected 'activity_id'");
    }

    [Fact]
    public void Open_UnknownHeader_ErrorNamesFileAndLineOne()
    {
        var path = _folder.Write("mystery.csv", "time,ax,ay,az", "0,1,2,3");

        FormatErrors.Assert(() => RecordingReader.Open(path), path, 1, null, "not a known recording format");
    }

    [Fact]
    public void Open_NothingThere_ErrorNamesThePath()
    {
        var path = Path.Combine(_folder.Path, "subject404");

        FormatErrors.Assert(() => RecordingReader.Open(path), path, null, null, "no such file or folder");
    }

    [Fact]
    public void Open_EmptyFolder_ErrorSaysNoRecording()
    {
        FormatErrors.Assert(() => RecordingReader.Open(_folder.Path), _folder.Path, null, null, "folder holds no recording");
    }
}
