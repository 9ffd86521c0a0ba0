using System.Globalization;
using System.Text;

namespace AdherencePipeline.Recordings;

/// <summary>
/// Reads one subject of <c>chest-hr-hexoskin</c>: <c>subjectNNN-acc.csv.gz</c> (counts at 64 Hz),
/// <c>subjectNNN-hr.csv.gz</c> (bpm at 1 Hz with a quality code) and <c>subjectNNN-rr.csv.gz</c>
/// (RR in 1/256 s with a quality code), joined on their shared time base, plus the subject's
/// <c>start_utc</c> from <c>participants.csv</c> beside them.
/// </summary>
public static class ChestHrHexoskinReader
{
    /// <summary>Nominal accelerometer sample rate, in Hz.</summary>
    public const double SampleRateHz = 64;

    /// <summary>Nominal gain, counts per g (the source states about 256; resting magnitudes measure 244–268).</summary>
    public const double NominalCountsPerG = 256;

    /// <summary>Milliseconds per RR unit: the source gives RR in 1/256 s.</summary>
    public const double MillisecondsPerRrUnit = 1000.0 / 256;

    /// <summary>File name of the start-time and biometrics table.</summary>
    public const string ParticipantsFileName = "participants.csv";

    internal static readonly string[] AccHeader = ["t_s", "acc_x", "acc_y", "acc_z"];
    internal static readonly string[] HrHeader = ["t_s", "hr_bpm", "hr_quality"];
    internal static readonly string[] RrHeader = ["t_s", "rr_1_256s", "rr_quality"];
    internal static readonly string[] ParticipantsHeader = ["subject", "start_utc", "sex", "age", "weight_kg", "height_cm"];

    /// <summary>
    /// Reads a subject given as its stem (<c>…/subject001</c>) or as any one of its three files. All three
    /// files must exist; <c>participants.csv</c> is optional, and without it, or without a row or a
    /// <c>start_utc</c> for the subject, <see cref="Recording.StartUtc"/> is null.
    /// </summary>
    /// <exception cref="RecordingFormatException">A file is missing or malformed; the message names file, line and column.</exception>
    public static Recording Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stem = StemOf(path);
        var subject = RecordingPaths.CheckSubject(path, Path.GetFileName(stem));
        var accPath = Require(stem, "-acc");
        var hrPath = Require(stem, "-hr");
        var rrPath = Require(stem, "-rr");

        var accelerometer = ReadAcc(accPath);
        var heartRate = ReadHeartRate(hrPath);
        var rr = ReadRr(rrPath);
        var startUtc = ReadStartUtc(Path.Combine(Path.GetDirectoryName(stem) ?? ".", ParticipantsFileName), subject);
        return new Recording(subject, RecordingSources.ChestHrHexoskin, accelerometer, SampleRateHz, AccelScale.Nominal,
            startUtc: startUtc, heartRate: heartRate, rrIntervals: rr);
    }

    /// <summary>
    /// The subject stem of a path: <c>dir/subject001</c> for <c>dir/subject001-acc.csv.gz</c>, its
    /// <c>-hr</c>/<c>-rr</c> siblings or <c>dir/subject001</c> itself.
    /// </summary>
    internal static string StemOf(string path)
    {
        var name = RecordingPaths.WithoutCsvExtension(Path.GetFileName(path));
        foreach (var suffix in (ReadOnlySpan<string>)["-acc", "-hr", "-rr"])
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && name.Length > suffix.Length)
            {
                return Path.Combine(Path.GetDirectoryName(path) ?? string.Empty, name[..^suffix.Length]);
            }
        }

        return path;
    }

    private static string Require(string stem, string suffix) =>
        RecordingPaths.FindCsv(stem, suffix)
        ?? throw new RecordingFormatException(stem + suffix + ".csv.gz", "file not found (a chest-hr-hexoskin subject needs its -acc, -hr and -rr files)");

    private static AccelSeries ReadAcc(string path)
    {
        using var csv = CsvFile.Open(path);
        csv.ExpectHeader(AccHeader);
        const int Capacity = 200_000;
        var time = new ColumnBuilder<long>(Capacity);
        var x = new ColumnBuilder<float>(Capacity);
        var y = new ColumnBuilder<float>(Capacity);
        var z = new ColumnBuilder<float>(Capacity);
        var previousNs = -1L;
        while (csv.TryReadLine(out var line))
        {
            var fields = csv.Row(line);
            var t = ReadTime(csv, ref fields, previousNs);
            x.Add((float)(fields.ReadInt32() / NominalCountsPerG));
            y.Add((float)(fields.ReadInt32() / NominalCountsPerG));
            z.Add((float)(fields.ReadInt32() / NominalCountsPerG));
            fields.End();
            time.Add(t);
            previousNs = t;
        }

        return new AccelSeries(time.ToArray(), x.ToArray(), y.ToArray(), z.ToArray());
    }

    private static HeartRateSeries ReadHeartRate(string path)
    {
        using var csv = CsvFile.Open(path);
        csv.ExpectHeader(HrHeader);
        var time = new ColumnBuilder<long>(4096);
        var bpm = new ColumnBuilder<double>(4096);
        var quality = new ColumnBuilder<int>(4096);
        var previousNs = -1L;
        while (csv.TryReadLine(out var line))
        {
            var fields = csv.Row(line);
            var t = ReadTime(csv, ref fields, previousNs);
            bpm.Add(ReadNonNegative(csv, ref fields));
            quality.Add(fields.ReadInt32());
            fields.End();
            time.Add(t);
            previousNs = t;
        }

        return new HeartRateSeries(time.ToArray(), bpm.ToArray(), quality.ToArray());
    }

    private static RrIntervalSeries ReadRr(string path)
    {
        using var csv = CsvFile.Open(path);
        csv.ExpectHeader(RrHeader);
        var time = new ColumnBuilder<long>(8192);
        var intervalMs = new ColumnBuilder<double>(8192);
        var quality = new ColumnBuilder<int>(8192);
        var previousNs = -1L;
        while (csv.TryReadLine(out var line))
        {
            var fields = csv.Row(line);
            var t = ReadTime(csv, ref fields, previousNs);
            intervalMs.Add(ReadNonNegative(csv, ref fields) * MillisecondsPerRrUnit);
            quality.Add(fields.ReadInt32());
            fields.End();
            time.Add(t);
            previousNs = t;
        }

        return new RrIntervalSeries(time.ToArray(), intervalMs.ToArray(), quality.ToArray());
    }

    private static long ReadTime(CsvFile csv, ref CsvRow fields, long previousNs)
    {
        var t = fields.ReadSecondsAsNs();
        if (t <= previousNs)
        {
            throw csv.TimeNotIncreasing(fields.Column, previousNs, t);
        }

        return t;
    }

    private static double ReadNonNegative(CsvFile csv, ref CsvRow fields)
    {
        var value = fields.ReadDouble();
        if (value < 0)
        {
            throw csv.Fail(fields.Column, null, $"{value.ToString(CultureInfo.InvariantCulture)} is negative");
        }

        return value;
    }

    private static DateTimeOffset? ReadStartUtc(string path, string subject)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        // participants.csv numbers subjects without the prefix: "001" for subject001.
        var number = subject.StartsWith("subject", StringComparison.Ordinal) ? subject["subject".Length..] : subject;
        var wanted = Encoding.UTF8.GetBytes(number);
        using var csv = CsvFile.Open(path);
        csv.ExpectHeader(ParticipantsHeader);
        DateTimeOffset? found = null;
        var seen = false;
        while (csv.TryReadLine(out var line))
        {
            var fields = csv.Row(line);
            if (!fields.ReadText().SequenceEqual(wanted))
            {
                continue;
            }

            if (seen)
            {
                throw csv.Fail(1, null, $"subject '{number}' has a second row");
            }

            seen = true;
            var text = fields.ReadText();
            if (text.IsEmpty)
            {
                continue;
            }

            if (!DateTimeOffset.TryParseExact(Encoding.UTF8.GetString(text), "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var start))
            {
                throw csv.Fail(fields.Column, null, $"'{CsvFile.Show(text)}' is not a UTC time like 2022-11-04T23:29:49Z");
            }

            found = start;
        }

        return found;
    }
}
