using AdherencePipeline.Recordings;
using AdherencePipeline.Tests.Pipeline;

namespace AdherencePipeline.Tests.Recordings;

public sealed class RecordingSliceTests
{
    [Fact]
    public void Slice_MiddleTenSeconds_RestartsTimeAndMovesTheStart()
    {
        var start = new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
        var walk = RecordingReplayTests.Walk(60);
        var recording = new Recording(walk.SubjectId, walk.Source, walk.Accelerometer, 64, AccelScale.Calibrated, startUtc: start, heartRate: walk.HeartRate);

        var excerpt = recording.Slice(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(10));

        Assert.Equal(640, excerpt.Accelerometer.Count);
        Assert.Equal(0, excerpt.Accelerometer.TimestampNs.Span[0]);
        Assert.Equal(recording.Accelerometer.YG.Span[20 * 64], excerpt.Accelerometer.YG.Span[0]);
        Assert.Equal(start.AddSeconds(20), excerpt.StartUtc);
        Assert.Equal(10, excerpt.HeartRate!.Count);
        Assert.Equal(recording.HeartRate!.HeartRateBpm.Span[20], excerpt.HeartRate.HeartRateBpm.Span[0]);
    }

    [Fact]
    public void Slice_BeyondTheEnd_IsRefusedWithTheRange()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => RecordingReplayTests.Walk(10).Slice(TimeSpan.FromSeconds(30)));

        Assert.Contains("00:00:30", ex.Message, StringComparison.Ordinal);
    }
}
