namespace AdherencePipeline.Signal;

/// <summary>
/// The result of a gravity-sphere calibration: per-axis offset and gain so that
/// calibrated = (raw + offset) · gain, and the fit's error before and after.
/// </summary>
/// <param name="OffsetX">Offset added to x before scaling, in input units.</param>
/// <param name="OffsetY">Offset added to y.</param>
/// <param name="OffsetZ">Offset added to z.</param>
/// <param name="GainX">Gain applied to x.</param>
/// <param name="GainY">Gain applied to y.</param>
/// <param name="GainZ">Gain applied to z.</param>
/// <param name="StillPoints">Still periods used.</param>
/// <param name="ErrorBeforeMg">Mean | |v| − 1 g | of the still periods before calibration, in mg.</param>
/// <param name="ErrorAfterMg">The same after calibration.</param>
/// <param name="Status">Whether the fit could be made and was applied.</param>
public sealed record GravityCalibrationResult(
    double OffsetX, double OffsetY, double OffsetZ,
    double GainX, double GainY, double GainZ,
    int StillPoints, double ErrorBeforeMg, double ErrorAfterMg, CalibrationStatus Status)
{
    /// <summary>The identity: no change.</summary>
    public static GravityCalibrationResult Identity(CalibrationStatus status, int stillPoints = 0, double errorMg = double.NaN) =>
        new(0, 0, 0, 1, 1, 1, stillPoints, errorMg, errorMg, status);

    /// <summary>Applies the calibration to one sample.</summary>
    public (float X, float Y, float Z) Apply(float x, float y, float z) =>
        ((float)((x + OffsetX) * GainX), (float)((y + OffsetY) * GainY), (float)((z + OffsetZ) * GainZ));
}

/// <summary>The outcome of a calibration attempt.</summary>
public enum CalibrationStatus
{
    /// <summary>The fit converged and reduced the error: applied.</summary>
    Calibrated,

    /// <summary>
    /// The still periods did not point in enough directions for six parameters (a chest sensor worn
    /// upright, say), so one gain for all axes was fitted to bring them to 1 g: applied.
    /// </summary>
    ScaleOnly,

    /// <summary>The device reports calibrated values; nothing to do.</summary>
    NotNeeded,

    /// <summary>Too few still periods, or they do not point in enough directions to fit six parameters.</summary>
    InsufficientData,

    /// <summary>The fit did not reduce the error; the data is left as it was.</summary>
    NoImprovement,
}

/// <summary>
/// Auto-calibration against gravity, as GGIR does it (van Hees et al., J Appl Physiol 2014): during
/// still periods the only acceleration is 1 g, so the mean vectors of still periods should lie on the
/// unit sphere; offset and gain per axis are fitted by iterated least squares until they do.
/// </summary>
public static class GravityCalibration
{
    /// <summary>Still period length: 10 s, as GGIR.</summary>
    public static readonly TimeSpan StillPeriod = TimeSpan.FromSeconds(10);

    /// <summary>Largest per-axis standard deviation of a still period, in g (GGIR: 13 mg).</summary>
    public const double StillSdG = 0.013;

    /// <summary>How far still points must reach on both sides of each axis (GGIR's sphere criterion: 0.3 g).</summary>
    public const double SphereCriterionG = 0.3;

    /// <summary>
    /// Finds still periods in a recording (acceleration in nominal g) and fits the calibration.
    /// Samples must be in time order; <paramref name="samplesPerPeriod"/> is the rate times 10 s.
    /// </summary>
    public static GravityCalibrationResult Fit(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> z, int samplesPerPeriod)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samplesPerPeriod, 2);
        var points = new List<(double X, double Y, double Z)>();
        for (var start = 0; start + samplesPerPeriod <= x.Length; start += samplesPerPeriod)
        {
            var (mx, sx) = MeanSd(x.Slice(start, samplesPerPeriod));
            var (my, sy) = MeanSd(y.Slice(start, samplesPerPeriod));
            var (mz, sz) = MeanSd(z.Slice(start, samplesPerPeriod));
            if (sx < StillSdG && sy < StillSdG && sz < StillSdG)
            {
                points.Add((mx, my, mz));
            }
        }

        return FitStillPoints(points);
    }

    /// <summary>Fits offset and gain to the mean vectors of still periods.</summary>
    public static GravityCalibrationResult FitStillPoints(IReadOnlyList<(double X, double Y, double Z)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var before = Error(points, 0, 0, 0, 1, 1, 1);
        if (points.Count < 10)
        {
            return GravityCalibrationResult.Identity(CalibrationStatus.InsufficientData, points.Count, before);
        }

        if (!CoversSphere(points))
        {
            return FitScale(points, before);
        }

        double ox = 0, oy = 0, oz = 0, gx = 1, gy = 1, gz = 1;
        var n = points.Count;
        var cx = new double[n];
        var cy = new double[n];
        var cz = new double[n];
        for (var iteration = 0; iteration < 1000; iteration++)
        {
            // Target: each calibrated point moved onto the unit sphere along its own direction.
            for (var i = 0; i < n; i++)
            {
                var vx = (points[i].X + ox) * gx;
                var vy = (points[i].Y + oy) * gy;
                var vz = (points[i].Z + oz) * gz;
                var norm = Math.Sqrt(vx * vx + vy * vy + vz * vz);
                cx[i] = vx / norm;
                cy[i] = vy / norm;
                cz[i] = vz / norm;
            }

            // Per axis, target ≈ (raw + offset)·gain is a straight line in raw: regress it.
            var (nox, ngx) = AxisFit(points, p => p.X, cx);
            var (noy, ngy) = AxisFit(points, p => p.Y, cy);
            var (noz, ngz) = AxisFit(points, p => p.Z, cz);
            var change = Math.Abs(nox - ox) + Math.Abs(noy - oy) + Math.Abs(noz - oz) + Math.Abs(ngx - gx) + Math.Abs(ngy - gy) + Math.Abs(ngz - gz);
            (ox, oy, oz, gx, gy, gz) = (nox, noy, noz, ngx, ngy, ngz);
            if (change < 1e-10)
            {
                break;
            }
        }

        var after = Error(points, ox, oy, oz, gx, gy, gz);
        if (!(after < before) || !double.IsFinite(after))
        {
            // Points that only seem to cover the sphere (large offsets spread them) can make the
            // six-parameter fit diverge; one gain is the safe fallback.
            return FitScale(points, before);
        }

        return new GravityCalibrationResult(ox, oy, oz, gx, gy, gz, n, before, after, CalibrationStatus.Calibrated);
    }

    // With still periods in a few postures only, six parameters are not identifiable; per-axis
    // offsets with one shared gain usually are (each posture adds a constraint on |v|), and one gain
    // alone always is. Each is kept only if it brings the still periods closer to 1 g.
    private static GravityCalibrationResult FitScale(IReadOnlyList<(double X, double Y, double Z)> points, double before)
    {
        var best = GravityCalibrationResult.Identity(CalibrationStatus.NoImprovement, points.Count, before);
        var sum = 0.0;
        foreach (var (x, y, z) in points)
        {
            sum += Math.Sqrt(x * x + y * y + z * z);
        }

        var gain = points.Count / sum;
        var gainOnly = Error(points, 0, 0, 0, gain, gain, gain);
        if (gainOnly < before)
        {
            best = new GravityCalibrationResult(0, 0, 0, gain, gain, gain, points.Count, before, gainOnly, CalibrationStatus.ScaleOnly);
        }

        var (ox, oy, oz, g) = FitOffsetsSharedGain(points);
        var shared = Error(points, ox, oy, oz, g, g, g);
        if (double.IsFinite(shared) && shared < best.ErrorAfterMg && g is > 0.5 and < 2 && Math.Abs(ox) < 1 && Math.Abs(oy) < 1 && Math.Abs(oz) < 1)
        {
            best = new GravityCalibrationResult(ox, oy, oz, g, g, g, points.Count, before, shared, CalibrationStatus.ScaleOnly);
        }

        return best;
    }

    private static (double OffsetX, double OffsetY, double OffsetZ, double Gain) FitOffsetsSharedGain(IReadOnlyList<(double X, double Y, double Z)> points)
    {
        double ox = 0, oy = 0, oz = 0, g = 1;
        var n = points.Count;
        for (var iteration = 0; iteration < 500; iteration++)
        {
            // Targets on the unit sphere; then target = g·raw + c per axis, one g for all axes.
            double mrx = 0, mry = 0, mrz = 0, mtx = 0, mty = 0, mtz = 0;
            var targets = new (double X, double Y, double Z)[n];
            for (var i = 0; i < n; i++)
            {
                var (x, y, z) = points[i];
                var vx = (x + ox) * g;
                var vy = (y + oy) * g;
                var vz = (z + oz) * g;
                var norm = Math.Sqrt(vx * vx + vy * vy + vz * vz);
                targets[i] = (vx / norm, vy / norm, vz / norm);
                mrx += x;
                mry += y;
                mrz += z;
                mtx += targets[i].X;
                mty += targets[i].Y;
                mtz += targets[i].Z;
            }

            mrx /= n;
            mry /= n;
            mrz /= n;
            mtx /= n;
            mty /= n;
            mtz /= n;
            double numerator = 0, denominator = 0;
            for (var i = 0; i < n; i++)
            {
                var (x, y, z) = points[i];
                numerator += (x - mrx) * (targets[i].X - mtx) + (y - mry) * (targets[i].Y - mty) + (z - mrz) * (targets[i].Z - mtz);
                denominator += (x - mrx) * (x - mrx) + (y - mry) * (y - mry) + (z - mrz) * (z - mrz);
            }

            if (denominator < 1e-12)
            {
                break;
            }

            var ng = numerator / denominator;
            var nox = (mtx - ng * mrx) / ng;
            var noy = (mty - ng * mry) / ng;
            var noz = (mtz - ng * mrz) / ng;
            var change = Math.Abs(ng - g) + Math.Abs(nox - ox) + Math.Abs(noy - oy) + Math.Abs(noz - oz);
            (ox, oy, oz, g) = (nox, noy, noz, ng);
            if (change < 1e-10)
            {
                break;
            }
        }

        return (ox, oy, oz, g);
    }

    private static (double Offset, double Gain) AxisFit(IReadOnlyList<(double X, double Y, double Z)> points, Func<(double X, double Y, double Z), double> axis, double[] target)
    {
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        var n = points.Count;
        for (var i = 0; i < n; i++)
        {
            var r = axis(points[i]);
            sx += r;
            sy += target[i];
            sxx += r * r;
            sxy += r * target[i];
        }

        var gain = (n * sxy - sx * sy) / (n * sxx - sx * sx);
        var intercept = (sy - gain * sx) / n;
        return (intercept / gain, gain);
    }

    private static bool CoversSphere(IReadOnlyList<(double X, double Y, double Z)> points)
    {
        double minX = double.MaxValue, maxX = double.MinValue, minY = double.MaxValue, maxY = double.MinValue, minZ = double.MaxValue, maxZ = double.MinValue;
        foreach (var (x, y, z) in points)
        {
            minX = Math.Min(minX, x);
            maxX = Math.Max(maxX, x);
            minY = Math.Min(minY, y);
            maxY = Math.Max(maxY, y);
            minZ = Math.Min(minZ, z);
            maxZ = Math.Max(maxZ, z);
        }

        return minX < -SphereCriterionG && maxX > SphereCriterionG
            && minY < -SphereCriterionG && maxY > SphereCriterionG
            && minZ < -SphereCriterionG && maxZ > SphereCriterionG;
    }

    private static double Error(IReadOnlyList<(double X, double Y, double Z)> points, double ox, double oy, double oz, double gx, double gy, double gz)
    {
        if (points.Count == 0)
        {
            return double.NaN;
        }

        var sum = 0.0;
        foreach (var (x, y, z) in points)
        {
            var vx = (x + ox) * gx;
            var vy = (y + oy) * gy;
            var vz = (z + oz) * gz;
            sum += Math.Abs(Math.Sqrt(vx * vx + vy * vy + vz * vz) - 1);
        }

        return sum / points.Count * 1000;
    }

    private static (double Mean, double Sd) MeanSd(ReadOnlySpan<float> values)
    {
        var mean = 0.0;
        foreach (var v in values)
        {
            mean += v;
        }

        mean /= values.Length;
        var variance = 0.0;
        foreach (var v in values)
        {
            variance += (v - mean) * (v - mean);
        }

        return (mean, Math.Sqrt(variance / values.Length));
    }
}
