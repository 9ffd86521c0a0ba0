namespace AdherencePipeline.Recordings;

/// <summary>The invariants every series checks when it is built.</summary>
internal static class SeriesChecks
{
    public static void TimestampsIncreasing(ReadOnlySpan<long> timestampNs, string parameter)
    {
        var previous = -1L;
        for (var i = 0; i < timestampNs.Length; i++)
        {
            if (timestampNs[i] <= previous)
            {
                throw new ArgumentException(
                    timestampNs[i] < 0
                        ? $"Timestamp {i} is negative ({timestampNs[i]} ns); times are relative to the recording start."
                        : $"Timestamps must strictly increase: sample {i} is at {timestampNs[i]} ns after {previous} ns.",
                    parameter);
            }

            previous = timestampNs[i];
        }
    }

    public static void Finite(ReadOnlySpan<float> values, string parameter)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException($"Value {i} is {values[i]}; only finite values are allowed.", parameter);
            }
        }
    }

    public static void FiniteNonNegative(ReadOnlySpan<double> values, string parameter)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]) || values[i] < 0)
            {
                throw new ArgumentException($"Value {i} is {values[i]}; only finite, non-negative values are allowed.", parameter);
            }
        }
    }
}
