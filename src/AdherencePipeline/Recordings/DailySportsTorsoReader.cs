namespace AdherencePipeline.Recordings;

/// <summary>
/// Reads <c>daily-sports-torso/subjectN.csv.gz</c> (<c>t_s,activity_id,acc_x_ms2,acc_y_ms2,acc_z_ms2</c>):
/// m/s² at 25 Hz, one 300-s activity block after another. Each block was recorded on its own, so each
/// becomes its own <see cref="Recording"/> (segment 0, 1, …, time restarting at 0): nothing downstream can
/// window across the discontinuity between two blocks.
/// </summary>
public static class DailySportsTorsoReader
{
    /// <summary>Nominal sample rate of the Xsens MTx unit, in Hz.</summary>
    public const double SampleRateHz = 25;

    /// <summary>Standard gravity, m/s² per g, used to convert the source's m/s².</summary>
    public const double StandardGravityMs2 = 9.80665;

    /// <summary>The source's header line.</summary>
    internal static readonly string[] Header = ["t_s", "activity_id", "acc_x_ms2", "acc_y_ms2", "acc_z_ms2"];

    private const int ExpectedRows = 142_500;

    /// <summary>
    /// Reads one subject file and returns one recording per activity block, in file order. A block ends
    /// where <c>activity_id</c> changes. <c>t_s</c> must equal row index / 25 (to within 50 µs), which
    /// also proves that no row is missing.
    /// </summary>
    /// <exception cref="RecordingFormatException">The file is missing or malformed; the message names file, line and column.</exception>
    public static IReadOnlyList<Recording> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var subject = RecordingPaths.SubjectFromFileName(path);
        using var csv = CsvFile.Open(path);
        csv.ExpectHeader(Header);

        var time = new ColumnBuilder<long>(ExpectedRows);
        var labels = new ColumnBuilder<int>(ExpectedRows);
        var x = new ColumnBuilder<float>(ExpectedRows);
        var y = new ColumnBuilder<float>(ExpectedRows);
        var z = new ColumnBuilder<float>(ExpectedRows);
        var row = 0L;
        var previousNs = -1L;
        while (csv.TryReadLine(out var line))
        {
            var fields = csv.Row(line);
            var t = fields.ReadSecondsAsNs();
            RowClock.Check(csv, fields.Column, row, t, previousNs, SampleRateHz);
            labels.Add(fields.ReadInt32());
            x.Add((float)(fields.ReadDouble() / StandardGravityMs2));
            y.Add((float)(fields.ReadDouble() / StandardGravityMs2));
            z.Add((float)(fields.ReadDouble() / StandardGravityMs2));
            fields.End();
            time.Add(t);
            previousNs = t;
            row++;
        }

        var recordings = new List<Recording>(19);
        var start = 0;
        for (var i = 1; i <= labels.Count; i++)
        {
            if (i < labels.Count && labels[i] == labels[start])
            {
                continue;
            }

            var length = i - start;
            var blockTime = time.ToArray(start, length);
            var origin = blockTime[0];
            for (var k = 0; k < blockTime.Length; k++)
            {
                blockTime[k] -= origin;
            }

            var series = new AccelSeries(blockTime, x.ToArray(start, length), y.ToArray(start, length), z.ToArray(start, length), labels.ToArray(start, length));
            recordings.Add(new Recording(subject, RecordingSources.DailySportsTorso, series, SampleRateHz, AccelScale.Calibrated, segment: recordings.Count));
            start = i;
        }

        return recordings;
    }
}
