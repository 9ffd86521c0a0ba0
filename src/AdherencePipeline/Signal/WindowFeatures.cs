using System.Security.Cryptography;
using System.Text;
using NWaves.Transforms;

namespace AdherencePipeline.Signal;

/// <summary>Which signal a feature is computed from; the classifier uses acceleration only.</summary>
public enum FeatureGroup
{
    /// <summary>From acceleration alone.</summary>
    Acceleration,

    /// <summary>From heart rate.</summary>
    HeartRate,

    /// <summary>Data quality of the window.</summary>
    Quality,
}

/// <summary>A feature's stable name, unit and group.</summary>
/// <param name="Name">Stable name, used in model cards and stored data.</param>
/// <param name="Unit">Unit, or "1" for dimensionless.</param>
/// <param name="Group">The signal it comes from.</param>
public readonly record struct FeatureDefinition(string Name, string Unit, FeatureGroup Group);

/// <summary>A heart-rate sample inside a window: time and beats per minute (already artefact-filtered).</summary>
/// <param name="TimestampNs">Time of the sample, ns since the Unix epoch.</param>
/// <param name="HeartRateBpm">Heart rate.</param>
public readonly record struct HeartRateSample(long TimestampNs, float HeartRateBpm);

/// <summary>What is needed for %HRR: resting and maximum heart rate.</summary>
/// <param name="RestingBpm">Resting heart rate.</param>
/// <param name="MaximumBpm">Maximum heart rate (measured, or 208 − 0.7·age).</param>
public readonly record struct HeartRateReserve(double RestingBpm, double MaximumBpm)
{
    /// <summary>%HRR = (HR − HRrest) / (HRmax − HRrest) · 100.</summary>
    public double PercentOf(double heartRateBpm) => (heartRateBpm - RestingBpm) / (MaximumBpm - RestingBpm) * 100;
}

/// <summary>
/// The features of one analysis window, computed the same way for training, evaluation and live
/// classification. Names and order are fixed; <see cref="SchemaHash"/> changes whenever they do, so
/// a model trained on another feature set is refused instead of scoring garbage.
/// </summary>
/// <remarks>
/// Undefined values (heart rate missing, too few samples for a statistic) are NaN, which the
/// classifier treats as missing. Not thread-safe: one instance per pipeline stage.
/// </remarks>
public sealed class WindowFeatures
{
    /// <summary>Version of the feature code; part of the schema hash.</summary>
    public const string Version = "3";

    private const int FftSize = 128;

    // m/s² per g.
    private const double StandardGravity = 9.80665;

    /// <summary>Every feature, in output order.</summary>
    public static IReadOnlyList<FeatureDefinition> Schema { get; } =
    [
        new("mag_mean", "g", FeatureGroup.Acceleration),
        new("mag_sd", "g", FeatureGroup.Acceleration),
        new("mag_min", "g", FeatureGroup.Acceleration),
        new("mag_max", "g", FeatureGroup.Acceleration),
        new("mag_p10", "g", FeatureGroup.Acceleration),
        new("mag_p25", "g", FeatureGroup.Acceleration),
        new("mag_p50", "g", FeatureGroup.Acceleration),
        new("mag_p75", "g", FeatureGroup.Acceleration),
        new("mag_p90", "g", FeatureGroup.Acceleration),
        new("mag_iqr", "g", FeatureGroup.Acceleration),
        new("mag_skewness", "1", FeatureGroup.Acceleration),
        new("mag_kurtosis", "1", FeatureGroup.Acceleration),
        new("enmo_mean_mg", "mg", FeatureGroup.Acceleration),
        new("enmo_sd_mg", "mg", FeatureGroup.Acceleration),
        new("enmo_max_mg", "mg", FeatureGroup.Acceleration),
        new("body_mag_mean", "g", FeatureGroup.Acceleration),
        new("body_mag_sd", "g", FeatureGroup.Acceleration),
        new("vertical_sd", "g", FeatureGroup.Acceleration),
        new("vertical_range", "g", FeatureGroup.Acceleration),
        new("horizontal_mean", "g", FeatureGroup.Acceleration),
        new("horizontal_sd", "g", FeatureGroup.Acceleration),
        new("x_mean", "g", FeatureGroup.Acceleration),
        new("x_sd", "g", FeatureGroup.Acceleration),
        new("y_mean", "g", FeatureGroup.Acceleration),
        new("y_sd", "g", FeatureGroup.Acceleration),
        new("z_mean", "g", FeatureGroup.Acceleration),
        new("z_sd", "g", FeatureGroup.Acceleration),
        new("inclination_x_deg", "deg", FeatureGroup.Acceleration),
        new("inclination_y_deg", "deg", FeatureGroup.Acceleration),
        new("inclination_z_deg", "deg", FeatureGroup.Acceleration),
        new("tilt_change_deg", "deg", FeatureGroup.Acceleration),
        new("dominant_freq_hz", "Hz", FeatureGroup.Acceleration),
        new("dominant_power_frac", "1", FeatureGroup.Acceleration),
        new("band_0_1hz_frac", "1", FeatureGroup.Acceleration),
        new("band_1_3hz_frac", "1", FeatureGroup.Acceleration),
        new("band_3_5hz_frac", "1", FeatureGroup.Acceleration),
        new("band_5_8hz_frac", "1", FeatureGroup.Acceleration),
        new("band_8_12hz_frac", "1", FeatureGroup.Acceleration),
        new("spectral_entropy", "1", FeatureGroup.Acceleration),
        new("cadence_spm", "1/min", FeatureGroup.Acceleration),
        new("cadence_power_frac", "1", FeatureGroup.Acceleration),
        new("autocorr_peak", "1", FeatureGroup.Acceleration),
        new("autocorr_lag_s", "s", FeatureGroup.Acceleration),
        new("step_regularity", "1", FeatureGroup.Acceleration),
        new("stride_regularity", "1", FeatureGroup.Acceleration),
        new("step_symmetry", "1", FeatureGroup.Acceleration),
        new("step_lag_s", "s", FeatureGroup.Acceleration),
        new("vertical_harmonic_ratio", "1", FeatureGroup.Acceleration),
        new("vertical_skewness", "1", FeatureGroup.Acceleration),
        new("vertical_kurtosis", "1", FeatureGroup.Acceleration),
        new("vertical_band_0_1hz_frac", "1", FeatureGroup.Acceleration),
        new("vertical_band_1_3hz_frac", "1", FeatureGroup.Acceleration),
        new("vertical_band_3_5hz_frac", "1", FeatureGroup.Acceleration),
        new("vertical_band_5_12hz_frac", "1", FeatureGroup.Acceleration),
        new("vertical_jerk_sd", "g/s", FeatureGroup.Acceleration),
        new("body_jerk_mean", "g/s", FeatureGroup.Acceleration),
        new("tilt_sway_deg", "deg", FeatureGroup.Acceleration),
        new("horizontal_vertical_ratio", "1", FeatureGroup.Acceleration),
        new("vertical_sd_rel", "1", FeatureGroup.Acceleration),
        new("body_mag_mean_rel", "1", FeatureGroup.Acceleration),
        new("body_mag_sd_rel", "1", FeatureGroup.Acceleration),
        new("horizontal_major_sd", "g", FeatureGroup.Acceleration),
        new("horizontal_minor_sd", "g", FeatureGroup.Acceleration),
        new("horizontal_axis_ratio", "1", FeatureGroup.Acceleration),
        new("vertical_major_corr", "1", FeatureGroup.Acceleration),
        new("vertical_major_xcorr", "1", FeatureGroup.Acceleration),
        new("vertical_major_lag_s", "s", FeatureGroup.Acceleration),
        new("horizontal_major_excursion_cm", "cm", FeatureGroup.Acceleration),
        new("coverage", "1", FeatureGroup.Quality),
        new("straddles_gap", "1", FeatureGroup.Quality),
        new("hr_mean_bpm", "bpm", FeatureGroup.HeartRate),
        new("hr_min_bpm", "bpm", FeatureGroup.HeartRate),
        new("hr_max_bpm", "bpm", FeatureGroup.HeartRate),
        new("hr_slope_bpm_per_min", "bpm/min", FeatureGroup.HeartRate),
        new("hr_valid_frac", "1", FeatureGroup.HeartRate),
        new("hr_missing", "1", FeatureGroup.HeartRate),
        new("hrr_mean_pct", "%", FeatureGroup.HeartRate),
    ];

    /// <summary>A short hash of the version, names and units; stored in model cards.</summary>
    public static string SchemaHash { get; } = ComputeSchemaHash();

    private static readonly int GaitIndex = IndexOf("step_regularity");
    private static readonly int HorizontalAxisIndex = IndexOf("horizontal_major_sd");
    private static readonly int CoverageIndex = IndexOf("coverage");

    /// <summary>How many features <see cref="Extract"/> writes.</summary>
    public static int Count => Schema.Count;

    private readonly double _sampleRateHz;
    private readonly RealFft _fft = new(FftSize);
    private readonly float[] _fftInput = new float[FftSize];
    private readonly float[] _spectrum = new float[FftSize / 2 + 1];
    private readonly float[] _hann = new float[FftSize];

    /// <summary>Creates an extractor for windows at <paramref name="sampleRateHz"/> (the analysis rate).</summary>
    public WindowFeatures(double sampleRateHz = 25)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(sampleRateHz, 0);
        _sampleRateHz = sampleRateHz;
    }

    /// <summary>The index of a feature by name, for readers of the vector.</summary>
    public static int IndexOf(string name)
    {
        for (var i = 0; i < Schema.Count; i++)
        {
            if (Schema[i].Name == name)
            {
                return i;
            }
        }

        throw new KeyNotFoundException($"No feature is named '{name}'.");
    }

    /// <summary>
    /// Computes every feature of <paramref name="window"/> into <paramref name="output"/> (length
    /// <see cref="Count"/>). <paramref name="heartRate"/> holds the valid heart-rate samples inside the
    /// window; <paramref name="reserve"/> enables %HRR.
    /// </summary>
    public void Extract(AccelerationWindow window, ReadOnlySpan<HeartRateSample> heartRate, HeartRateReserve? reserve, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (output.Length != Count)
        {
            throw new ArgumentException($"The output must hold {Count} features.", nameof(output));
        }

        output.Fill(float.NaN);
        if (window.Count >= 2)
        {
            ExtractAcceleration(window, output);
        }

        var k = CoverageIndex;
        output[k] = (float)window.Coverage;
        output[k + 1] = window.StraddlesGap ? 1 : 0;
        ExtractHeartRate(window, heartRate, reserve, output[(k + 2)..]);
    }

    private void ExtractAcceleration(AccelerationWindow w, Span<float> o)
    {
        var n = w.Count;
        Span<float> mag = n <= 512 ? stackalloc float[n] : new float[n];
        Span<float> vertical = n <= 512 ? stackalloc float[n] : new float[n];
        Span<float> horizontal = n <= 512 ? stackalloc float[n] : new float[n];
        Span<float> body = n <= 512 ? stackalloc float[n] : new float[n];
        Span<float> enmo = n <= 512 ? stackalloc float[n] : new float[n];
        for (var i = 0; i < n; i++)
        {
            var x = w.X[i];
            var y = w.Y[i];
            var z = w.Z[i];
            mag[i] = MathF.Sqrt(x * x + y * y + z * z);
            enmo[i] = MathF.Max(0, mag[i] - 1) * 1000;
            var gx = w.GravityX[i];
            var gy = w.GravityY[i];
            var gz = w.GravityZ[i];
            var gn = MathF.Sqrt(gx * gx + gy * gy + gz * gz);
            var bx = x - gx;
            var by = y - gy;
            var bz = z - gz;
            body[i] = MathF.Sqrt(bx * bx + by * by + bz * bz);
            var v = gn > 0 ? (bx * gx + by * gy + bz * gz) / gn : 0;
            vertical[i] = v;
            horizontal[i] = MathF.Sqrt(MathF.Max(0, body[i] * body[i] - v * v));
        }

        var (magMean, magSd, magSkew, magKurt) = Moments(mag);
        o[0] = magMean;
        o[1] = magSd;
        Span<float> sorted = n <= 512 ? stackalloc float[n] : new float[n];
        mag.CopyTo(sorted);
        sorted.Sort();
        o[2] = sorted[0];
        o[3] = sorted[^1];
        o[4] = Percentile(sorted, 0.10);
        o[5] = Percentile(sorted, 0.25);
        o[6] = Percentile(sorted, 0.50);
        o[7] = Percentile(sorted, 0.75);
        o[8] = Percentile(sorted, 0.90);
        o[9] = o[7] - o[5];
        o[10] = magSkew;
        o[11] = magKurt;
        var (enmoMean, enmoSd, _, _) = Moments(enmo);
        o[12] = enmoMean;
        o[13] = enmoSd;
        o[14] = Max(enmo);
        (o[15], o[16], _, _) = Moments(body);
        (_, o[17], _, _) = Moments(vertical);
        o[18] = Max(vertical) - Min(vertical);
        (o[19], o[20], _, _) = Moments(horizontal);
        (o[21], o[22], _, _) = Moments(w.X);
        (o[23], o[24], _, _) = Moments(w.Y);
        (o[25], o[26], _, _) = Moments(w.Z);

        var gMeanX = Mean(w.GravityX);
        var gMeanY = Mean(w.GravityY);
        var gMeanZ = Mean(w.GravityZ);
        var gNorm = MathF.Sqrt(gMeanX * gMeanX + gMeanY * gMeanY + gMeanZ * gMeanZ);
        if (gNorm > 0)
        {
            o[27] = Degrees(MathF.Acos(Math.Clamp(gMeanX / gNorm, -1, 1)));
            o[28] = Degrees(MathF.Acos(Math.Clamp(gMeanY / gNorm, -1, 1)));
            o[29] = Degrees(MathF.Acos(Math.Clamp(gMeanZ / gNorm, -1, 1)));
        }

        o[30] = AngleBetween(w.GravityX[0], w.GravityY[0], w.GravityZ[0], w.GravityX[^1], w.GravityY[^1], w.GravityZ[^1]);

        Spectrum(mag, magMean);
        var total = 0.0;
        var best = 1;
        for (var i = 1; i < _spectrum.Length; i++)
        {
            total += _spectrum[i];
            if (_spectrum[i] > _spectrum[best])
            {
                best = i;
            }
        }

        var binHz = _sampleRateHz / FftSize;
        if (total > 1e-12)
        {
            o[31] = (float)(best * binHz);
            o[32] = (float)(_spectrum[best] / total);
            o[33] = BandFraction(0, 1, binHz, total);
            o[34] = BandFraction(1, 3, binHz, total);
            o[35] = BandFraction(3, 5, binHz, total);
            o[36] = BandFraction(5, 8, binHz, total);
            o[37] = BandFraction(8, 12.5, binHz, total);
            var entropy = 0.0;
            for (var i = 1; i < _spectrum.Length; i++)
            {
                var p = _spectrum[i] / total;
                if (p > 0)
                {
                    entropy -= p * Math.Log(p);
                }
            }

            o[38] = (float)(entropy / Math.Log(_spectrum.Length - 1));
        }
        else
        {
            o[31] = 0;
            o[32] = 0;
            o[33] = o[34] = o[35] = o[36] = o[37] = 0;
            o[38] = 0;
        }

        // Cadence: the step frequency shows as the strongest vertical oscillation between 0.8 and 3.5 Hz.
        var (vMean, _, _, _) = Moments(vertical);
        Spectrum(vertical, vMean);
        var vTotal = 0.0;
        var step = -1;
        for (var i = 1; i < _spectrum.Length; i++)
        {
            vTotal += _spectrum[i];
            var f = i * binHz;
            if (f is >= 0.8 and <= 3.5 && (step < 0 || _spectrum[i] > _spectrum[step]))
            {
                step = i;
            }
        }

        o[39] = vTotal > 1e-12 && step > 0 ? (float)(step * binHz * 60) : 0;
        o[40] = vTotal > 1e-12 && step > 0 ? (float)(_spectrum[step] / vTotal) : 0;

        var (peak, lag) = AutocorrelationPeak(mag, magMean, (int)Math.Round(0.3 * _sampleRateHz), (int)Math.Round(2.0 * _sampleRateHz));
        o[41] = peak;
        o[42] = (float)(lag / _sampleRateHz);

        ExtractGait(w, vertical, horizontal, body, vMean, vTotal, binHz, magMean, o[GaitIndex..]);
        ExtractHorizontalAxis(w, vertical, o[HorizontalAxisIndex..]);
    }

    // Gait seen along gravity, after Moe-Nilssen and Helbostad (J Biomech 2004;37:121-126): how alike
    // successive steps and strides are, and whether the vertical bounce comes in step pairs. Walking,
    // stairs and the machines of a gym differ in these more than in amplitude, and every one of them
    // is taken along or across gravity, so it does not depend on how the device is mounted.
    // _spectrum still holds the vertical component's power spectrum.
    private void ExtractGait(AccelerationWindow w, ReadOnlySpan<float> vertical, ReadOnlySpan<float> horizontal, ReadOnlySpan<float> body,
        float vMean, double vTotal, double binHz, float magMean, Span<float> o)
    {
        var n = vertical.Length;
        var maxLag = Math.Min(n - 1, (int)Math.Round(2.0 * _sampleRateHz));
        Span<double> acf = stackalloc double[maxLag + 1];
        var variance = 0.0;
        foreach (var v in vertical)
        {
            variance += (v - vMean) * (v - vMean);
        }

        variance /= n;
        var stepLag = 0;
        var strideLag = 0;
        float stepRegularity = 0, strideRegularity = 0;
        if (variance > 1e-10 && maxLag >= 2)
        {
            // Unbiased autocorrelation: each lag's mean product over the pairs it has, over the variance.
            for (var lag = 0; lag <= maxLag; lag++)
            {
                var sum = 0.0;
                for (var i = 0; i + lag < n; i++)
                {
                    sum += (vertical[i] - vMean) * (vertical[i + lag] - vMean);
                }

                acf[lag] = sum / (n - lag) / variance;
            }

            // A step takes 0.3-0.8 s (75-200 steps/min); the stride is the strongest match near two steps.
            stepLag = PeakLag(acf, (int)Math.Round(0.3 * _sampleRateHz), (int)Math.Round(0.8 * _sampleRateHz));
            if (stepLag > 0)
            {
                stepRegularity = (float)acf[stepLag];
                strideLag = PeakLag(acf, (int)Math.Floor(1.6 * stepLag), (int)Math.Ceiling(2.4 * stepLag));
                strideRegularity = strideLag > 0 ? (float)acf[strideLag] : 0;
            }
        }

        o[0] = stepRegularity;
        o[1] = strideRegularity;
        o[2] = strideRegularity > 1e-3f ? Math.Clamp(stepRegularity / strideRegularity, -2f, 2f) : 0;
        o[3] = (float)(stepLag / _sampleRateHz);
        o[4] = strideLag > 0 ? HarmonicRatio(vertical, vMean, strideLag) : 0;

        var (_, vSd, vSkew, vKurt) = Moments(vertical);
        o[5] = vSkew;
        o[6] = vKurt;
        if (vTotal > 1e-12)
        {
            o[7] = BandFraction(0, 1, binHz, vTotal);
            o[8] = BandFraction(1, 3, binHz, vTotal);
            o[9] = BandFraction(3, 5, binHz, vTotal);
            o[10] = BandFraction(5, 12.5, binHz, vTotal);
        }
        else
        {
            o[7] = o[8] = o[9] = o[10] = 0;
        }

        // Jerk: how abruptly the trunk is accelerated; a stair step lands harder than a level one.
        double jerkSum = 0, jerkSquares = 0, bodyJerk = 0;
        for (var i = 1; i < n; i++)
        {
            var dv = (vertical[i] - vertical[i - 1]) * _sampleRateHz;
            jerkSum += dv;
            jerkSquares += dv * dv;
            bodyJerk += Math.Abs(body[i] - body[i - 1]) * _sampleRateHz;
        }

        var jerkMean = jerkSum / (n - 1);
        o[11] = (float)Math.Sqrt(Math.Max(0, jerkSquares / (n - 1) - jerkMean * jerkMean));
        o[12] = (float)(bodyJerk / (n - 1));

        // Sway: how far the slow gravity direction wanders from its mean in the window.
        var gx = Mean(w.GravityX);
        var gy = Mean(w.GravityY);
        var gz = Mean(w.GravityZ);
        var sway = 0.0;
        for (var i = 0; i < n; i++)
        {
            var angle = AngleBetween(w.GravityX[i], w.GravityY[i], w.GravityZ[i], gx, gy, gz);
            sway += float.IsNaN(angle) ? 0 : angle * angle;
        }

        o[13] = (float)Math.Sqrt(sway / n);
        var hRms = 0.0;
        foreach (var h in horizontal)
        {
            hRms += h * h;
        }

        hRms = Math.Sqrt(hRms / n);
        o[14] = vSd > 1e-6f ? (float)(hRms / vSd) : 0;

        // Levels relative to the window's mean magnitude, about 1 g on any device: a gain error of the
        // device (or of its calibration) scales both and cancels.
        var (bodyMean, bodySd, _, _) = Moments(body);
        o[15] = magMean > 0 ? vSd / magMean : float.NaN;
        o[16] = magMean > 0 ? bodyMean / magMean : float.NaN;
        o[17] = magMean > 0 ? bodySd / magMean : float.NaN;
    }

    // The horizontal movement along its own main direction. Walking and climbing rock the trunk forward
    // and back with every step; which way that is in the device's axes depends on the mounting, so the
    // direction is found in the window itself: the principal axis of the acceleration across gravity.
    // Its spread, the spread across it, how the vertical bounce and the main horizontal movement go
    // together, and how far the trunk travels back and forth along it (twice integrated, trend removed,
    // in cm). A stair step swings the trunk further forward and back than a level step does.
    private void ExtractHorizontalAxis(AccelerationWindow w, ReadOnlySpan<float> vertical, Span<float> o)
    {
        var n = w.Count;
        var (gx, gy, gz) = (Mean(w.GravityX), Mean(w.GravityY), Mean(w.GravityZ));
        var gn = MathF.Sqrt(gx * gx + gy * gy + gz * gz);
        if (gn <= 0)
        {
            return;
        }

        // Two unit vectors spanning the plane across the mean gravity u: any axis not along u, made
        // orthogonal to it (a), and u × a (b). Which pair is taken does not matter: the principal axis
        // found in the plane is the same.
        double ux = gx / gn, uy = gy / gn, uz = gz / gn;
        var (ex, ey, ez) = Math.Abs(ux) <= Math.Abs(uy) && Math.Abs(ux) <= Math.Abs(uz) ? (1.0, 0.0, 0.0) : Math.Abs(uy) <= Math.Abs(uz) ? (0.0, 1.0, 0.0) : (0.0, 0.0, 1.0);
        var dot = ex * ux + ey * uy + ez * uz;
        double ax = ex - dot * ux, ay = ey - dot * uy, az = ez - dot * uz;
        var an = Math.Sqrt(ax * ax + ay * ay + az * az);
        (ax, ay, az) = (ax / an, ay / an, az / an);
        double bx = uy * az - uz * ay, by = uz * ax - ux * az, bz = ux * ay - uy * ax;

        Span<double> ha = n <= 512 ? stackalloc double[n] : new double[n];
        Span<double> hb = n <= 512 ? stackalloc double[n] : new double[n];
        double meanA = 0, meanB = 0;
        for (var i = 0; i < n; i++)
        {
            // The horizontal body acceleration: the body part less its component along the sample's gravity.
            var sx = w.GravityX[i];
            var sy = w.GravityY[i];
            var sz = w.GravityZ[i];
            var sn = MathF.Sqrt(sx * sx + sy * sy + sz * sz);
            double hx = w.X[i] - sx, hy = w.Y[i] - sy, hz = w.Z[i] - sz;
            if (sn > 0)
            {
                var v = (hx * sx + hy * sy + hz * sz) / sn;
                hx -= v * sx / sn;
                hy -= v * sy / sn;
                hz -= v * sz / sn;
            }

            ha[i] = hx * ax + hy * ay + hz * az;
            hb[i] = hx * bx + hy * by + hz * bz;
            meanA += ha[i];
            meanB += hb[i];
        }

        meanA /= n;
        meanB /= n;
        double caa = 0, cbb = 0, cab = 0;
        for (var i = 0; i < n; i++)
        {
            var da = ha[i] - meanA;
            var db = hb[i] - meanB;
            caa += da * da;
            cbb += db * db;
            cab += da * db;
        }

        caa /= n;
        cbb /= n;
        cab /= n;
        var half = (caa + cbb) / 2;
        var spread = Math.Sqrt((caa - cbb) * (caa - cbb) / 4 + cab * cab);
        var major = half + spread;
        var minor = Math.Max(0, half - spread);
        var theta = 0.5 * Math.Atan2(2 * cab, caa - cbb);
        var (cos, sin) = (Math.Cos(theta), Math.Sin(theta));
        Span<double> h1 = n <= 512 ? stackalloc double[n] : new double[n];
        for (var i = 0; i < n; i++)
        {
            h1[i] = (ha[i] - meanA) * cos + (hb[i] - meanB) * sin;
        }

        o[0] = (float)Math.Sqrt(major);
        o[1] = (float)Math.Sqrt(minor);
        o[2] = minor > 1e-12 ? (float)Math.Sqrt(major / minor) : 0;

        // The sign of the main axis is arbitrary, so correlations count by their size; the lag (within
        // ±0.5 s) of the strongest one says how the bounce and the rocking are timed.
        var maxLag = Math.Min(n - 2, (int)Math.Round(0.5 * _sampleRateHz));
        var atZero = Correlation(vertical, h1, 0);
        var best = atZero;
        var bestLag = 0;
        for (var lag = 1; lag <= maxLag; lag++)
        {
            foreach (var l in (ReadOnlySpan<int>)[-lag, lag])
            {
                var r = Correlation(vertical, h1, l);
                if (Math.Abs(r) > Math.Abs(best))
                {
                    best = r;
                    bestLag = l;
                }
            }
        }

        o[3] = (float)Math.Abs(atZero);
        o[4] = (float)Math.Abs(best);
        o[5] = (float)(bestLag / _sampleRateHz);
        o[6] = (float)(Excursion(h1, _sampleRateHz) * 100);
    }

    // Pearson correlation of x[i] and y[i + lag] over the pairs both have.
    private static double Correlation(ReadOnlySpan<float> x, ReadOnlySpan<double> y, int lag)
    {
        double sx = 0, sy = 0;
        var count = 0;
        for (var i = Math.Max(0, -lag); i < x.Length && i + lag < y.Length; i++)
        {
            sx += x[i];
            sy += y[i + lag];
            count++;
        }

        if (count < 2)
        {
            return 0;
        }

        double mx = sx / count, my = sy / count, sxy = 0, sxx = 0, syy = 0;
        for (var i = Math.Max(0, -lag); i < x.Length && i + lag < y.Length; i++)
        {
            var dx = x[i] - mx;
            var dy = y[i + lag] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }

        return sxx > 1e-15 && syy > 1e-15 ? sxy / Math.Sqrt(sxx * syy) : 0;
    }

    // Standard deviation (m) of the position reached by integrating an acceleration (g) twice, the
    // mean and then the linear trend taken out after each integration so that drift does not count.
    private static double Excursion(ReadOnlySpan<double> acceleration, double sampleRateHz)
    {
        var n = acceleration.Length;
        var mean = 0.0;
        foreach (var a in acceleration)
        {
            mean += a;
        }

        mean /= n;
        Span<double> velocity = n <= 512 ? stackalloc double[n] : new double[n];
        var sum = 0.0;
        for (var i = 0; i < n; i++)
        {
            sum += (acceleration[i] - mean) * StandardGravity / sampleRateHz;
            velocity[i] = sum;
        }

        RemoveTrend(velocity);
        Span<double> position = n <= 512 ? stackalloc double[n] : new double[n];
        sum = 0;
        for (var i = 0; i < n; i++)
        {
            sum += velocity[i] / sampleRateHz;
            position[i] = sum;
        }

        RemoveTrend(position);
        var squares = 0.0;
        foreach (var p in position)
        {
            squares += p * p;
        }

        return Math.Sqrt(squares / n);
    }

    // Subtracts the least-squares line through (i, x[i]).
    private static void RemoveTrend(Span<double> x)
    {
        var n = x.Length;
        double st = 0, sx = 0, stt = 0, stx = 0;
        for (var i = 0; i < n; i++)
        {
            st += i;
            sx += x[i];
            stt += (double)i * i;
            stx += i * x[i];
        }

        var denominator = n * stt - st * st;
        var slope = denominator > 0 ? (n * stx - st * sx) / denominator : 0;
        var intercept = (sx - slope * st) / n;
        for (var i = 0; i < n; i++)
        {
            x[i] -= intercept + slope * i;
        }
    }

    // The lag in [from, to] of the highest local maximum of the autocorrelation, or 0 when there is none.
    private static int PeakLag(ReadOnlySpan<double> acf, int from, int to)
    {
        from = Math.Max(1, from);
        to = Math.Min(acf.Length - 2, to);
        var best = 0;
        for (var lag = from; lag <= to; lag++)
        {
            if (acf[lag] >= acf[lag - 1] && acf[lag] >= acf[lag + 1] && (best == 0 || acf[lag] > acf[best]))
            {
                best = lag;
            }
        }

        return best;
    }

    // Even over odd harmonics of the stride frequency (Smidt et al. 1977): a vertical bounce that
    // repeats every step puts its power in the even harmonics. A rotating phasor per harmonic keeps
    // the loop free of trigonometry per sample.
    private static float HarmonicRatio(ReadOnlySpan<float> x, float mean, int strideLag)
    {
        const int Harmonics = 10;
        double even = 0, odd = 0;
        for (var k = 1; k <= Harmonics && 2 * k < strideLag; k++)
        {
            var step = 2 * Math.PI * k / strideLag;
            var (cosStep, sinStep) = (Math.Cos(step), Math.Sin(step));
            double c = 1, s = 0, re = 0, im = 0;
            for (var i = 0; i < x.Length; i++)
            {
                var d = x[i] - mean;
                re += d * c;
                im -= d * s;
                (c, s) = (c * cosStep - s * sinStep, s * cosStep + c * sinStep);
            }

            var amplitude = Math.Sqrt(re * re + im * im);
            if (k % 2 == 0)
            {
                even += amplitude;
            }
            else
            {
                odd += amplitude;
            }
        }

        return odd > 1e-12 ? (float)(even / odd) : 0;
    }

    private static void ExtractHeartRate(AccelerationWindow w, ReadOnlySpan<HeartRateSample> hr, HeartRateReserve? reserve, Span<float> o)
    {
        var seconds = (w.EndNs - w.StartNs) / 1e9;
        if (hr.IsEmpty)
        {
            o[4] = 0;
            o[5] = 1;
            return;
        }

        double sum = 0, min = double.MaxValue, max = double.MinValue;
        double st = 0, sh = 0, stt = 0, sth = 0;
        foreach (var s in hr)
        {
            var t = (s.TimestampNs - w.StartNs) / 6e10;
            sum += s.HeartRateBpm;
            min = Math.Min(min, s.HeartRateBpm);
            max = Math.Max(max, s.HeartRateBpm);
            st += t;
            sh += s.HeartRateBpm;
            stt += t * t;
            sth += t * s.HeartRateBpm;
        }

        var n = hr.Length;
        var mean = sum / n;
        o[0] = (float)mean;
        o[1] = (float)min;
        o[2] = (float)max;
        var denominator = n * stt - st * st;
        o[3] = n >= 2 && denominator > 1e-12 ? (float)((n * sth - st * sh) / denominator) : float.NaN;
        o[4] = (float)Math.Min(1, n / seconds);
        o[5] = 0;
        o[6] = reserve is { } r ? (float)r.PercentOf(mean) : float.NaN;
    }

    private void Spectrum(ReadOnlySpan<float> signal, float mean)
    {
        var n = Math.Min(signal.Length, FftSize);
        for (var i = 0; i < FftSize; i++)
        {
            _hann[i] = i < n ? 0.5f - 0.5f * MathF.Cos(2 * MathF.PI * i / (n - 1)) : 0;
            _fftInput[i] = i < n ? (signal[i] - mean) * _hann[i] : 0;
        }

        _fft.PowerSpectrum(_fftInput, _spectrum, normalize: false);
    }

    private float BandFraction(double fromHz, double toHz, double binHz, double total)
    {
        var sum = 0.0;
        for (var i = 1; i < _spectrum.Length; i++)
        {
            var f = i * binHz;
            if (f >= fromHz && f < toHz)
            {
                sum += _spectrum[i];
            }
        }

        return (float)(sum / total);
    }

    private static (float Peak, int Lag) AutocorrelationPeak(ReadOnlySpan<float> x, float mean, int minLag, int maxLag)
    {
        var variance = 0.0;
        foreach (var v in x)
        {
            variance += (v - mean) * (v - mean);
        }

        if (variance < 1e-12 || x.Length <= minLag)
        {
            return (0, 0);
        }

        var bestLag = 0;
        var best = double.MinValue;
        for (var lag = minLag; lag <= Math.Min(maxLag, x.Length - 1); lag++)
        {
            var sum = 0.0;
            for (var i = 0; i + lag < x.Length; i++)
            {
                sum += (x[i] - mean) * (x[i + lag] - mean);
            }

            var r = sum / variance;
            if (r > best)
            {
                best = r;
                bestLag = lag;
            }
        }

        return ((float)best, bestLag);
    }

    private static (float Mean, float Sd, float Skewness, float Kurtosis) Moments(ReadOnlySpan<float> x)
    {
        var n = x.Length;
        var mean = 0.0;
        foreach (var v in x)
        {
            mean += v;
        }

        mean /= n;
        double m2 = 0, m3 = 0, m4 = 0;
        foreach (var v in x)
        {
            var d = v - mean;
            var d2 = d * d;
            m2 += d2;
            m3 += d2 * d;
            m4 += d2 * d2;
        }

        m2 /= n;
        m3 /= n;
        m4 /= n;
        var sd = Math.Sqrt(m2);
        var skew = m2 > 1e-12 ? m3 / Math.Pow(m2, 1.5) : 0;
        var kurt = m2 > 1e-12 ? m4 / (m2 * m2) - 3 : 0;
        return ((float)mean, (float)sd, (float)skew, (float)kurt);
    }

    private static float Mean(ReadOnlySpan<float> x)
    {
        var sum = 0.0;
        foreach (var v in x)
        {
            sum += v;
        }

        return (float)(sum / x.Length);
    }

    private static float Max(ReadOnlySpan<float> x)
    {
        var m = float.MinValue;
        foreach (var v in x)
        {
            m = MathF.Max(m, v);
        }

        return m;
    }

    private static float Min(ReadOnlySpan<float> x)
    {
        var m = float.MaxValue;
        foreach (var v in x)
        {
            m = MathF.Min(m, v);
        }

        return m;
    }

    // Linear interpolation between closest ranks (the "type 7" definition of R and NumPy).
    private static float Percentile(ReadOnlySpan<float> sorted, double p)
    {
        var h = (sorted.Length - 1) * p;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return (float)(sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]));
    }

    private static float Degrees(float radians) => radians * 180 / MathF.PI;

    private static float AngleBetween(float ax, float ay, float az, float bx, float by, float bz)
    {
        var na = MathF.Sqrt(ax * ax + ay * ay + az * az);
        var nb = MathF.Sqrt(bx * bx + by * by + bz * bz);
        if (na == 0 || nb == 0)
        {
            return float.NaN;
        }

        return Degrees(MathF.Acos(Math.Clamp((ax * bx + ay * by + az * bz) / (na * nb), -1, 1)));
    }

    private static string ComputeSchemaHash()
    {
        var text = new StringBuilder("WindowFeatures v" + Version);
        foreach (var f in Schema)
        {
            text.Append('\n').Append(f.Name).Append(' ').Append(f.Unit).Append(' ').Append(f.Group);
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }
}
