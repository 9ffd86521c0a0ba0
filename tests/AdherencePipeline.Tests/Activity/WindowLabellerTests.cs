using AdherencePipeline.Activity;
using AdherencePipeline.Recordings;

namespace AdherencePipeline.Tests.Activity;

public sealed class WindowLabellerTests
{
    private static Recording Synthetic(params (int Label, int Samples)[] blocks)
    {
        var n = blocks.Sum(b => b.Samples);
        var t = new long[n];
        var x = new float[n];
        var y = new float[n];
        var z = new float[n];
        var labels = new int[n];
        var i = 0;
        foreach (var (label, samples) in blocks)
        {
            for (var k = 0; k < samples; k++, i++)
            {
                t[i] = i * 40_000_000L;
                x[i] = 0.1f * MathF.Sin(i * 0.5f);
                y[i] = 1;
                labels[i] = label;
            }
        }

        return new Recording("subject9", RecordingSources.DailySportsTorso, new AccelSeries(t, x, y, z, labels), 25, AccelScale.Calibrated);
    }

    [Fact]
    public void Label_WindowAcrossALabelChange_IsLeftOut()
    {
        // 20 s of walking (9) then 20 s of sitting (1): windows every 2.5 s, 5 s long.
        var windows = WindowLabeller.Label(Synthetic((9, 500), (1, 500)));

        Assert.NotEmpty(windows);
        Assert.DoesNotContain(windows, w => w.StartNs < 20_000_000_000L && w.StartNs + 5_000_000_000L > 20_000_000_000L);
        Assert.All(windows.Where(w => w.StartNs + 5_000_000_000L <= 20_000_000_000L), w => Assert.Equal(ActivityClass.Walking, w.Label));
        Assert.All(windows.Where(w => w.StartNs >= 20_000_000_000L), w => Assert.Equal(ActivityClass.Rest, w.Label));
        Assert.All(windows, w => Assert.Equal(ActivityFeatures.Count, w.Features.Length));
    }

    [Fact]
    public void Label_LeftOutSourceLabel_GivesNoWindows() =>
        Assert.Empty(WindowLabeller.Label(Synthetic((8, 1000))));

    [Fact]
    public void Label_RealSubject_GivesOneActivityPerBlockAndNoElevatorWindows()
    {
        var recordings = RecordingReader.Open(Recordings.SharedData.File("daily-sports-torso", "subject4.csv.gz"));
        var windows = WindowLabeller.Label(recordings);

        // 18 mapped blocks of 300 s: complete 5-s windows every 2.5 s, none from block 8 (index 7).
        Assert.Equal(18 * 119, windows.Count);
        Assert.DoesNotContain(windows, w => w.Recording.EndsWith("#7", StringComparison.Ordinal));
        Assert.All(windows, w => Assert.Equal("daily-sports-torso/subject4", w.Subject));
    }
}
