namespace AdherencePipeline.Sensors;

/// <summary>
/// Per-sample timestamps for frames that carry one timestamp, that of their last sample. Exact
/// integer arithmetic (128-bit) with round-half-to-even, so results do not depend on the magnitude
/// of the timestamp the way double arithmetic does.
/// </summary>
public static class SampleTimestamps
{
    private const long NanosPerSecond = 1_000_000_000;

    /// <summary>
    /// Fills <paramref name="destination"/> with times ending exactly at <paramref name="lastNs"/>
    /// and spaced <paramref name="intervalNumerator"/>/<paramref name="intervalDenominator"/> ns:
    /// sample i = last − (n − 1 − i) · interval, rounded half to even. False (nothing trustworthy
    /// written) when an interval is not positive or the first sample would be at or before 0.
    /// </summary>
    public static bool TryFill(long lastNs, Int128 intervalNumerator, Int128 intervalDenominator, Span<long> destination)
    {
        var n = destination.Length;
        if (n == 0 || intervalNumerator <= 0 || intervalDenominator <= 0 || lastNs <= 0)
        {
            return false;
        }

        for (var i = 0; i < n; i++)
        {
            Int128 back = (n - 1 - i) * intervalNumerator;
            var (quotient, remainder) = Int128.DivRem(back, intervalDenominator);
            Int128 value = lastNs - quotient;
            var twice = 2 * remainder;
            if (twice > intervalDenominator || (twice == intervalDenominator && !Int128.IsEvenInteger(value)))
            {
                value -= 1;
            }

            if (value <= 0)
            {
                return false;
            }

            destination[i] = (long)value;
        }

        return true;
    }

    /// <summary>
    /// Fills timestamps from the nominal rate: interval = 10⁹ / rate ns. The rate is taken to a
    /// thousandth of a hertz, which is exact for every rate a device advertises (25, 52, 12.5 Hz).
    /// </summary>
    public static bool TryFillFromRate(long lastNs, double sampleRateHz, Span<long> destination)
    {
        if (!(sampleRateHz > 0) || double.IsInfinity(sampleRateHz))
        {
            return false;
        }

        var milliHz = (long)Math.Round(sampleRateHz * 1000.0);
        return milliHz > 0 && TryFill(lastNs, NanosPerSecond * (Int128)1000, milliHz, destination);
    }

    /// <summary>
    /// Fills timestamps that start exactly at <paramref name="firstNs"/>, spaced 10⁹ / rate ns, rounded
    /// half to even: for firmware that stamps a frame with its first sample's time.
    /// </summary>
    public static bool TryFillForwardFromRate(long firstNs, double sampleRateHz, Span<long> destination)
    {
        if (!(sampleRateHz > 0) || double.IsInfinity(sampleRateHz) || firstNs <= 0)
        {
            return false;
        }

        var milliHz = (long)Math.Round(sampleRateHz * 1000.0);
        if (milliHz <= 0)
        {
            return false;
        }

        Int128 numerator = NanosPerSecond * (Int128)1000;
        for (var i = 0; i < destination.Length; i++)
        {
            var (quotient, remainder) = Int128.DivRem(i * numerator, milliHz);
            Int128 value = firstNs + quotient;
            var twice = 2 * remainder;
            if (twice > milliHz || (twice == milliHz && !Int128.IsEvenInteger(value)))
            {
                value += 1;
            }

            if (value > long.MaxValue)
            {
                return false;
            }

            destination[i] = (long)value;
        }

        return true;
    }

    /// <summary>The nominal interval between samples at <paramref name="sampleRateHz"/>, ns.</summary>
    public static double IntervalNs(double sampleRateHz) => NanosPerSecond / sampleRateHz;
}
