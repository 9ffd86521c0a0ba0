using AdherencePipeline.Activity;
using AdherencePipeline.Recordings;
using AdherencePipeline.Signal;

namespace AdherencePipeline.Tests.Activity;

public sealed class ActivityFeaturesTests
{
    // A rotation by 50° about (1, 2, 3)/√14: no axis stays put, so every axis-bound feature moves.
    private static readonly double[,] Rotation = AxisAngle(1, 2, 3, 50 * Math.PI / 180);

    private static double[,] AxisAngle(double ax, double ay, double az, double angle)
    {
        var n = Math.Sqrt(ax * ax + ay * ay + az * az);
        var (x, y, z) = (ax / n, ay / n, az / n);
        var (c, s, t) = (Math.Cos(angle), Math.Sin(angle), 1 - Math.Cos(angle));
        return new[,]
        {
            { t * x * x + c, t * x * y - s * z, t * x * z + s * y },
            { t * x * y + s * z, t * y * y + c, t * y * z - s * x },
            { t * x * z - s * y, t * y * z + s * x, t * z * z + c },
        };
    }

    // 20 s of a walking-like trunk signal: gravity on z, a 1.8-Hz vertical bounce, a 0.9-Hz sway and a little 5.3-Hz jitter.
    private static Recording Walking(double[,]? rotation = null)
    {
        const int n = 25 * 20;
        var t = new long[n];
        var x = new float[n];
        var y = new float[n];
        var z = new float[n];
        var labels = new int[n];
        for (var i = 0; i < n; i++)
        {
            var s = i / 25.0;
            var a = (X: 0.1 * Math.Sin(2 * Math.PI * 0.9 * s), Y: 0.05 * Math.Sin(2 * Math.PI * 5.3 * s), Z: 1 + 0.3 * Math.Sin(2 * Math.PI * 1.8 * s));
            var r = rotation ?? new[,] { { 1.0, 0, 0 }, { 0, 1.0, 0 }, { 0, 0, 1.0 } };
            t[i] = i * 40_000_000L;
            x[i] = (float)(r[0, 0] * a.X + r[0, 1] * a.Y + r[0, 2] * a.Z);
            y[i] = (float)(r[1, 0] * a.X + r[1, 1] * a.Y + r[1, 2] * a.Z);
            z[i] = (float)(r[2, 0] * a.X + r[2, 1] * a.Y + r[2, 2] * a.Z);
            labels[i] = 9;
        }

        return new Recording("subject9", RecordingSources.DailySportsTorso, new AccelSeries(t, x, y, z, labels), 25, AccelScale.Calibrated);
    }

    [Fact]
    public void Features_RotatedMounting_AreTheSameForEveryClassifierInput()
    {
        var upright = WindowLabeller.Label(Walking());
        var rotated = WindowLabeller.Label(Walking(Rotation));

        Assert.Equal(upright.Count, rotated.Count);
        Assert.NotEmpty(upright);
        for (var w = 0; w < upright.Count; w++)
        {
            for (var f = 0; f < ActivityFeatures.Count; f++)
            {
                var expected = upright[w].Features[f];
                // Angles come from a float acos, which is coarse near 0°: a few thousandths of a degree.
                var tolerance = (ActivityFeatures.Names[f].EndsWith("_deg", StringComparison.Ordinal) ? 0.02 : 1e-3) + 1e-3 * Math.Abs(expected);
                Assert.True(Math.Abs(rotated[w].Features[f] - expected) <= tolerance,
                    $"{ActivityFeatures.Names[f]} of window {w}: {rotated[w].Features[f]} rotated, {expected} upright");
            }
        }
    }

    [Fact]
    public void Features_RotatedMounting_MoveTheAxisBoundFeaturesTheClassifierLeavesOut()
    {
        var upright = Extract(Walking());
        var rotated = Extract(Walking(Rotation));

        // Guards the invariance test: the rotation really changes what a mounting-dependent feature sees.
        Assert.All(ActivityFeatures.AxisBound, name =>
            Assert.True(Math.Abs(rotated[WindowFeatures.IndexOf(name)] - upright[WindowFeatures.IndexOf(name)]) > 0.01, name));
        Assert.DoesNotContain(ActivityFeatures.Names, ActivityFeatures.AxisBound.Contains);
    }

    private static float[] Extract(Recording recording)
    {
        var acc = recording.Accelerometer;
        var processor = new AccelerationProcessor(recording.NominalSampleRateHz);
        var windows = new List<AccelerationWindow>();
        processor.Process(acc.TimestampNs.Span, acc.XG.Span, acc.YG.Span, acc.ZG.Span, windows, []);
        processor.Complete(windows);
        var features = new float[WindowFeatures.Count];
        new WindowFeatures().Extract(windows.Last(w => w.IsComplete), [], null, features);
        return features;
    }
}
