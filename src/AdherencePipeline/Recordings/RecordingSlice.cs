namespace AdherencePipeline.Recordings;

/// <summary>Cutting a recording in time, e.g. a short excerpt for a demo or a test.</summary>
public static class RecordingSlice
{
    /// <summary>
    /// The part of <paramref name="recording"/> from <paramref name="from"/> (since its start) for
    /// <paramref name="length"/> (to the end when null). Times restart at zero and the start time
    /// moves with them; labels, clipping flags and quality codes travel with their samples.
    /// </summary>
    public static Recording Slice(this Recording recording, TimeSpan from, TimeSpan? length = null)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentOutOfRangeException.ThrowIfLessThan(from, TimeSpan.Zero);
        var fromNs = from.Ticks * 100;
        var toNs = length is { } l ? fromNs + l.Ticks * 100 : long.MaxValue;
        var acc = recording.Accelerometer;
        var (a0, a1) = Range(acc.TimestampNs.Span, fromNs, toNs);
        if (a1 <= a0)
        {
            throw new ArgumentOutOfRangeException(nameof(from), $"The recording has no accelerometer samples between {from} and {(length is null ? "its end" : from + length)}.");
        }

        var sliced = new AccelSeries(
            Shift(acc.TimestampNs.Span[a0..a1], fromNs),
            acc.XG.Span[a0..a1].ToArray(),
            acc.YG.Span[a0..a1].ToArray(),
            acc.ZG.Span[a0..a1].ToArray(),
            acc.HasLabels ? acc.Labels.Span[a0..a1].ToArray() : null,
            acc.HasClipping ? acc.Clipped.Span[a0..a1].ToArray() : null);

        HeartRateSeries? heartRate = null;
        if (recording.HeartRate is { } hr)
        {
            var (h0, h1) = Range(hr.TimestampNs.Span, fromNs, toNs);
            heartRate = new HeartRateSeries(Shift(hr.TimestampNs.Span[h0..h1], fromNs), hr.HeartRateBpm.Span[h0..h1].ToArray(), hr.HasQuality ? hr.Quality.Span[h0..h1].ToArray() : null);
        }

        RrIntervalSeries? rr = null;
        if (recording.RrIntervals is { } intervals)
        {
            var (r0, r1) = Range(intervals.TimestampNs.Span, fromNs, toNs);
            rr = new RrIntervalSeries(Shift(intervals.TimestampNs.Span[r0..r1], fromNs), intervals.IntervalMs.Span[r0..r1].ToArray(), intervals.HasQuality ? intervals.Quality.Span[r0..r1].ToArray() : null);
        }

        return new Recording(recording.SubjectId, recording.Source, sliced, recording.NominalSampleRateHz, recording.AccelScale, recording.Segment,
            recording.StartUtc + from, heartRate, rr);
    }

    private static (int Start, int End) Range(ReadOnlySpan<long> timestamps, long fromNs, long toNs)
    {
        var start = 0;
        while (start < timestamps.Length && timestamps[start] < fromNs)
        {
            start++;
        }

        var end = start;
        while (end < timestamps.Length && timestamps[end] < toNs)
        {
            end++;
        }

        return (start, end);
    }

    private static long[] Shift(ReadOnlySpan<long> timestamps, long byNs)
    {
        var result = new long[timestamps.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = timestamps[i] - byNs;
        }

        return result;
    }
}
