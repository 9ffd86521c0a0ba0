namespace AdherencePipeline.Recordings;

/// <summary>
/// The time check for sources whose time column is defined as row index / rate (daily-sports-torso,
/// chest-accel-casale): time must increase, and must match the row index to within half of the file's
/// last printed digit, so a missing, repeated or reordered row is an error rather than a silent jump.
/// </summary>
internal static class RowClock
{
    /// <summary>Half of 0.0001 s, the coarsest rounding used by the sources (4 decimals).</summary>
    private const long ToleranceNs = 50_000;

    public static void Check(CsvFile csv, int column, long rowIndex, long timeNs, long previousNs, double rateHz)
    {
        if (timeNs <= previousNs)
        {
            throw csv.TimeNotIncreasing(column, previousNs, timeNs);
        }

        var expectedNs = ExpectedNs(rowIndex, rateHz);
        if (Math.Abs(timeNs - expectedNs) > ToleranceNs)
        {
            throw csv.Fail(column, null,
                $"time {CsvFile.FormatSeconds(timeNs)} s is not row {rowIndex} / {rateHz} Hz = {CsvFile.FormatSeconds(expectedNs)} s: a row is missing, repeated or out of order");
        }
    }

    /// <summary>Row index / rate in nanoseconds, rounded to the nearest nanosecond.</summary>
    public static long ExpectedNs(long rowIndex, double rateHz) => (long)Math.Round(rowIndex * 1e9 / rateHz);
}
