namespace AdherencePipeline.Recordings;

/// <summary>
/// Reads <c>chest-accel-casale/participantNN.csv.gz</c> (<c>t_s,activity_id,acc_x_raw,acc_y_raw,acc_z_raw</c>):
/// uncalibrated 12-bit counts at 52 Hz. Counts become g with a nominal zero point and gain, and the
/// recording is marked <see cref="AccelScale.Nominal"/>; samples at the ADC rails are flagged as clipped.
/// </summary>
public static class ChestAccelCasaleReader
{
    /// <summary>Nominal sample rate, in Hz.</summary>
    public const double SampleRateHz = 52;

    /// <summary>Nominal zero-g point: mid-scale of the 12-bit ADC, in counts. Not a calibration.</summary>
    public const double NominalZeroGCounts = 2048;

    /// <summary>
    /// Nominal gain, counts per g: the round figure that puts the median participant's standing
    /// magnitude at 1 g with a zero point of 2,048 (per participant 0.79–1.34 g). Not a calibration;
    /// see docs/recordings.md.
    /// </summary>
    public const double NominalCountsPerG = 370;

    /// <summary>Largest count a 12-bit ADC delivers.</summary>
    public const int MaxCount = 4095;

    /// <summary>Counts at or below this are at the lower rail.</summary>
    public const int LowRailCount = 2;

    /// <summary>Counts at or above this are at the upper rail.</summary>
    public const int HighRailCount = 4094;

    /// <summary>The source's header line.</summary>
    internal static readonly string[] Header = ["t_s", "activity_id", "acc_x_raw", "acc_y_raw", "acc_z_raw"];

    /// <summary>
    /// Reads one participant file. <c>t_s</c> must equal row index / 52 to within 50 µs (the file
    /// rounds it to 4 decimals); the stored time is the exact row index / 52 in nanoseconds. Counts must
    /// be integers in 0–4095.
    /// </summary>
    /// <exception cref="RecordingFormatException">The file is missing or malformed; the message names file, line and column.</exception>
    public static Recording Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var subject = RecordingPaths.SubjectFromFileName(path);
        using var csv = CsvFile.Open(path);
        csv.ExpectHeader(Header);

        const int Capacity = 170_000;
        var time = new ColumnBuilder<long>(Capacity);
        var labels = new ColumnBuilder<int>(Capacity);
        var x = new ColumnBuilder<float>(Capacity);
        var y = new ColumnBuilder<float>(Capacity);
        var z = new ColumnBuilder<float>(Capacity);
        var clipped = new ColumnBuilder<bool>(Capacity);
        var row = 0L;
        var previousNs = -1L;
        while (csv.TryReadLine(out var line))
        {
            var fields = csv.Row(line);
            var t = fields.ReadSecondsAsNs();
            RowClock.Check(csv, fields.Column, row, t, previousNs, SampleRateHz);
            labels.Add(fields.ReadInt32());
            var cx = ReadCount(csv, ref fields);
            var cy = ReadCount(csv, ref fields);
            var cz = ReadCount(csv, ref fields);
            fields.End();
            x.Add(ToG(cx));
            y.Add(ToG(cy));
            z.Add(ToG(cz));
            clipped.Add(AtRail(cx) || AtRail(cy) || AtRail(cz));

            // The file's t_s is rounded to 0.1 ms; the source defines time as row / 52, so keep that exactly.
            time.Add(RowClock.ExpectedNs(row, SampleRateHz));
            previousNs = t;
            row++;
        }

        var series = new AccelSeries(time.ToArray(), x.ToArray(), y.ToArray(), z.ToArray(), labels.ToArray(), clipped.ToArray());
        return new Recording(subject, RecordingSources.ChestAccelCasale, series, SampleRateHz, AccelScale.Nominal);
    }

    /// <summary>Converts counts to nominal g: (counts − 2048) / 370.</summary>
    public static float ToG(int counts) => (float)((counts - NominalZeroGCounts) / NominalCountsPerG);

    private static bool AtRail(int counts) => counts is <= LowRailCount or >= HighRailCount;

    private static int ReadCount(CsvFile csv, ref CsvRow fields)
    {
        var counts = fields.ReadInt32();
        if (counts is < 0 or > MaxCount)
        {
            throw csv.Fail(fields.Column, null, $"{counts} counts is outside the 12-bit range 0–{MaxCount}");
        }

        return counts;
    }
}
