using AdherencePipeline.Signal;

namespace AdherencePipeline.Tests.Signal;

public sealed class GravityCalibrationTests
{
    private static List<(double X, double Y, double Z)> StillPointsOnSphere(int count, int seed)
    {
        var random = new Random(seed);
        var points = new List<(double, double, double)>();
        while (points.Count < count)
        {
            var x = random.NextDouble() * 2 - 1;
            var y = random.NextDouble() * 2 - 1;
            var z = random.NextDouble() * 2 - 1;
            var n = Math.Sqrt(x * x + y * y + z * z);
            if (n is > 0.1 and <= 1)
            {
                points.Add((x / n, y / n, z / n));
            }
        }

        return points;
    }

    [Fact]
    public void FitStillPoints_RotatedAndScaledGravity_RecoversOffsetAndGain()
    {
        // A device that reads (true / gain) − offset: offsets of tens of mg, gains a few % off.
        var truth = StillPointsOnSphere(60, 1);
        var raw = truth.Select(p => (p.X / 1.04 - 0.05, p.Y / 0.97 + 0.03, p.Z / 1.02 - 0.02)).ToList();

        var fit = GravityCalibration.FitStillPoints(raw);

        Assert.Equal(CalibrationStatus.Calibrated, fit.Status);
        Assert.Equal(0.05, fit.OffsetX, tolerance: 1e-4);
        Assert.Equal(-0.03, fit.OffsetY, tolerance: 1e-4);
        Assert.Equal(0.02, fit.OffsetZ, tolerance: 1e-4);
        Assert.Equal(1.04, fit.GainX, tolerance: 1e-4);
        Assert.Equal(0.97, fit.GainY, tolerance: 1e-4);
        Assert.Equal(1.02, fit.GainZ, tolerance: 1e-4);
        Assert.True(fit.ErrorBeforeMg > 20, $"error before {fit.ErrorBeforeMg:0.0} mg");
        Assert.True(fit.ErrorAfterMg < 0.1, $"error after {fit.ErrorAfterMg:0.000} mg");
        var (cx, cy, cz) = fit.Apply((float)raw[0].Item1, (float)raw[0].Item2, (float)raw[0].Item3);
        Assert.Equal(1, Math.Sqrt(cx * cx + cy * cy + cz * cz), tolerance: 1e-4);
    }

    [Fact]
    public void FitStillPoints_AllPointsInOneDirection_FitsOneGainToBringThemToOneG()
    {
        // An upright chest sensor reading 20 % high: offsets cannot be told from gains, one gain can.
        var raw = Enumerable.Range(0, 50).Select(i => (0.02 * Math.Sin(i), 1.2 + 0.001 * (i % 5), 0.02 * Math.Cos(i))).ToList();

        var fit = GravityCalibration.FitStillPoints(raw);

        Assert.Equal(CalibrationStatus.ScaleOnly, fit.Status);
        Assert.Equal(1 / 1.2, fit.GainY, tolerance: 2e-3);
        Assert.Equal(fit.GainX, fit.GainZ);
        Assert.Equal(0, fit.OffsetY);
        Assert.True(fit.ErrorAfterMg < 2, $"error after {fit.ErrorAfterMg:0.00} mg");
        Assert.Equal(50, fit.StillPoints);
    }

    [Fact]
    public void FitStillPoints_TooFewStillPeriods_LeavesTheDataAlone()
    {
        var fit = GravityCalibration.FitStillPoints([(0, 1.2, 0), (0, 1.19, 0.01)]);

        Assert.Equal(CalibrationStatus.InsufficientData, fit.Status);
        Assert.Equal(1, fit.GainY);
    }

    [Fact]
    public void Fit_RecordingWithStillPeriodsInSixPostures_FindsThemAndCalibrates()
    {
        // Six postures, 30 s each at 25 Hz, with sensor noise below the 13 mg still threshold.
        var random = new Random(3);
        (double, double, double)[] postures = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1), (0.6, 0.8, 0), (0, 0.6, -0.8), (-0.8, 0, 0.6), (0.577, -0.577, 0.577)];
        var x = new List<float>();
        var y = new List<float>();
        var z = new List<float>();
        foreach (var (px, py, pz) in postures)
        {
            for (var i = 0; i < 25 * 30; i++)
            {
                x.Add((float)(px / 1.03 + 0.04 + 0.004 * (random.NextDouble() - 0.5)));
                y.Add((float)(py / 0.98 - 0.01 + 0.004 * (random.NextDouble() - 0.5)));
                z.Add((float)(pz + 0.004 * (random.NextDouble() - 0.5)));
            }
        }

        var fit = GravityCalibration.Fit(x.ToArray(), y.ToArray(), z.ToArray(), 25 * 10);

        Assert.Equal(CalibrationStatus.Calibrated, fit.Status);
        Assert.Equal(30, fit.StillPoints);
        Assert.Equal(-0.04, fit.OffsetX, tolerance: 2e-3);
        Assert.Equal(1.03, fit.GainX, tolerance: 2e-3);
        Assert.True(fit.ErrorAfterMg < 2, $"error after {fit.ErrorAfterMg:0.00} mg");
    }
}
