using AdherencePipeline.Signal;
using static AdherencePipeline.Tests.Signal.SignalTestData;

namespace AdherencePipeline.Tests.Signal;

public sealed class WindowFeaturesTests
{
    private static float[] Features(AccelerationWindow window, HeartRateSample[]? hr = null, HeartRateReserve? reserve = null)
    {
        var features = new float[WindowFeatures.Count];
        new WindowFeatures().Extract(window, hr ?? [], reserve, features);
        return features;
    }

    private static float F(float[] features, string name) => features[WindowFeatures.IndexOf(name)];

    private static AccelerationWindow CompleteWindow(AccelerationBuffer input, double rateHz = 25) =>
        Run(new AccelerationProcessor(rateHz), input).Windows.First(w => w.IsComplete);

    [Fact]
    public void Enmo_ConstantOneG_IsZeroInAnyOrientation()
    {
        var buffer = new AccelerationBuffer();
        var start = 1_790_000_000L * Second;
        var s = (float)Math.Sqrt(1.0 / 3);
        for (var i = 0; i < 25 * 20; i++)
        {
            buffer.Add(start + i * 40_000_000L, s, -s, s);
        }

        var features = Features(CompleteWindow(buffer));

        Assert.Equal(0, F(features, "enmo_mean_mg"), 3);
        Assert.Equal(1, F(features, "mag_mean"), 5);
        Assert.Equal(0, F(features, "mag_sd"), 5);
        Assert.Equal(0, F(features, "dominant_freq_hz"));
        Assert.Equal(0, F(features, "cadence_spm"));
        Assert.Equal(125.26, F(features, "inclination_y_deg"), 1);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    [InlineData(2.8)]
    public void DominantFrequency_PureSine_IsItsFrequency(double frequencyHz)
    {
        var features = Features(CompleteWindow(Oscillation(25, 20, frequencyHz, 0.3)));

        // One FFT bin at 25 Hz over 128 points is 0.195 Hz.
        Assert.Equal(frequencyHz, F(features, "dominant_freq_hz"), tolerance: 0.2);
        Assert.Equal(frequencyHz * 60, F(features, "cadence_spm"), tolerance: 12);
        Assert.True(F(features, "autocorr_peak") > 0.5);
        Assert.Equal(1 / frequencyHz, F(features, "autocorr_lag_s"), tolerance: 0.05);
    }

    // Steps at 1.8 Hz along gravity; limpAmplitudeG adds a stride-rate (0.9 Hz) part, so that every
    // other step differs.
    private static AccelerationWindow Gait(double limpAmplitudeG)
    {
        var buffer = new AccelerationBuffer();
        var start = 1_790_000_000L * Second;
        for (var i = 0; i < 25 * 20; i++)
        {
            var t = i / 25.0;
            var vertical = 0.3 * Math.Sin(2 * Math.PI * 1.8 * t) + limpAmplitudeG * Math.Sin(2 * Math.PI * 0.9 * t);
            buffer.Add(start + i * 40_000_000L, 0, 0, (float)(1 + vertical));
        }

        return CompleteWindow(buffer);
    }

    [Fact]
    public void Gait_EvenSteps_AreRegularSymmetricAndInEvenHarmonics()
    {
        var features = Features(Gait(limpAmplitudeG: 0));

        Assert.Equal(1 / 1.8, F(features, "step_lag_s"), tolerance: 0.05);
        Assert.True(F(features, "step_regularity") > 0.8);
        Assert.True(F(features, "stride_regularity") > 0.8);
        Assert.Equal(1, F(features, "step_symmetry"), tolerance: 0.15);
        Assert.True(F(features, "vertical_harmonic_ratio") > 2);
        Assert.True(F(features, "vertical_band_1_3hz_frac") > 0.8);
    }

    [Fact]
    public void Gait_UnevenSteps_LowerStepRegularityAndSymmetryButNotStrideRegularity()
    {
        var even = Features(Gait(limpAmplitudeG: 0));
        var limp = Features(Gait(limpAmplitudeG: 0.2));

        Assert.True(F(limp, "step_regularity") < 0.6);
        Assert.True(F(limp, "stride_regularity") > 0.8);
        Assert.True(F(limp, "step_symmetry") < F(even, "step_symmetry") - 0.3);
        Assert.True(F(limp, "vertical_harmonic_ratio") < F(even, "vertical_harmonic_ratio") / 2);
    }

    [Fact]
    public void Gait_StillWindow_HasNoStepsAndNoSway()
    {
        var buffer = new AccelerationBuffer();
        var start = 1_790_000_000L * Second;
        for (var i = 0; i < 25 * 20; i++)
        {
            buffer.Add(start + i * 40_000_000L, 0, 0, 1);
        }

        var features = Features(CompleteWindow(buffer));

        Assert.Equal(0, F(features, "step_regularity"));
        Assert.Equal(0, F(features, "step_lag_s"));
        Assert.Equal(0, F(features, "vertical_harmonic_ratio"));
        Assert.Equal(0, F(features, "tilt_sway_deg"), 3);
        Assert.Equal(0, F(features, "vertical_jerk_sd"), 3);
    }

    [Fact]
    public void Gait_GainError_LeavesTheRelativeLevelsAlone()
    {
        var scaled = new AccelerationBuffer();
        var start = 1_790_000_000L * Second;
        for (var i = 0; i < 25 * 20; i++)
        {
            var t = i / 25.0;
            scaled.Add(start + i * 40_000_000L, 0, 0, (float)(1.1 * (1 + 0.3 * Math.Sin(2 * Math.PI * 1.8 * t))));
        }

        var even = Features(Gait(limpAmplitudeG: 0));
        var gained = Features(CompleteWindow(scaled));

        Assert.Equal(F(even, "vertical_sd") * 1.1, F(gained, "vertical_sd"), tolerance: 1e-3);
        Assert.Equal(F(even, "vertical_sd_rel"), F(gained, "vertical_sd_rel"), tolerance: 1e-4);
        Assert.Equal(F(even, "body_mag_mean_rel"), F(gained, "body_mag_mean_rel"), tolerance: 1e-4);
    }

    [Fact]
    public void HorizontalAxis_RockingAlongOneDirection_IsFoundWithItsSpreadTimingAndExcursion()
    {
        // Gravity on z, a 1.8-Hz bounce of 0.2 g, and in step with it a 0.1-g rocking along the
        // diagonal of x and y, with 0.02 g across it at 5 Hz.
        var buffer = new AccelerationBuffer();
        var start = 1_790_000_000L * Second;
        var d = (float)Math.Sqrt(0.5);
        for (var i = 0; i < 25 * 20; i++)
        {
            var t = i / 25.0;
            var step = Math.Sin(2 * Math.PI * 1.8 * t);
            var along = 0.1 * step;
            var across = 0.02 * Math.Sin(2 * Math.PI * 5 * t);
            buffer.Add(start + i * 40_000_000L, (float)(d * (along + across)), (float)(d * (along - across)), (float)(1 + 0.2 * step));
        }

        // The third window, 5 s in: integrating twice magnifies the gravity filter's settling in the first.
        var features = Features(Run(new AccelerationProcessor(25), buffer).Windows.Where(w => w.IsComplete).ElementAt(2));

        Assert.Equal(0.1 / Math.Sqrt(2), F(features, "horizontal_major_sd"), tolerance: 0.005);
        Assert.Equal(0.02 / Math.Sqrt(2), F(features, "horizontal_minor_sd"), tolerance: 0.003);
        Assert.Equal(5, F(features, "horizontal_axis_ratio"), tolerance: 0.8);
        Assert.True(F(features, "vertical_major_corr") > 0.95);
        Assert.True(F(features, "vertical_major_xcorr") >= F(features, "vertical_major_corr"));
        Assert.Equal(0, F(features, "vertical_major_lag_s"), tolerance: 0.041);
        // 0.1 g at 1.8 Hz moves the trunk ±0.1·9.81/(2π·1.8)² m = ±0.77 cm, an RMS of 0.54 cm.
        Assert.Equal(0.1 * 9.80665 / Math.Pow(2 * Math.PI * 1.8, 2) / Math.Sqrt(2) * 100, F(features, "horizontal_major_excursion_cm"), tolerance: 0.06);
    }

    [Fact]
    public void Enmo_Oscillation_CountsOnlyWhatExceedsOneG()
    {
        var features = Features(CompleteWindow(Oscillation(25, 20, 2, 0.5)));

        // |1 + 0.5 sin| − 1 is positive half the time with mean 0.5·(1/π) g ≈ 159 mg.
        Assert.Equal(159, F(features, "enmo_mean_mg"), tolerance: 1);
        Assert.Equal(500, F(features, "enmo_max_mg"), tolerance: 1);
    }

    [Fact]
    public void HeartRate_Missing_IsFlaggedAndLeftUndefined()
    {
        var features = Features(CompleteWindow(Oscillation(25, 20, 2, 0.3)));

        Assert.Equal(1, F(features, "hr_missing"));
        Assert.Equal(0, F(features, "hr_valid_frac"));
        Assert.True(float.IsNaN(F(features, "hr_mean_bpm")));
        Assert.True(float.IsNaN(F(features, "hrr_mean_pct")));
    }

    [Fact]
    public void HeartRate_RisingOneBpmPerSecond_GivesMeanSlopeAndReserve()
    {
        var window = CompleteWindow(Oscillation(25, 20, 2, 0.3));
        var hr = Enumerable.Range(0, 5).Select(i => new HeartRateSample(window.StartNs + i * Second, 120 + i)).ToArray();

        var features = Features(window, hr, new HeartRateReserve(60, 180));

        Assert.Equal(122, F(features, "hr_mean_bpm"), 4);
        Assert.Equal(60, F(features, "hr_slope_bpm_per_min"), 3);
        Assert.Equal(1, F(features, "hr_valid_frac"));
        Assert.Equal(0, F(features, "hr_missing"));
        Assert.Equal(51.667, F(features, "hrr_mean_pct"), 2);
    }

    [Fact]
    public void Schema_NamesAreUniqueAndTheHashIsPinned()
    {
        Assert.Equal(WindowFeatures.Count, WindowFeatures.Schema.Select(f => f.Name).Distinct().Count());
        // Changing a feature's name, unit, group or order changes this hash, and models trained
        // before the change are then refused. Update it deliberately, with the feature version.
        Assert.Equal("99a56ff9e1095189", WindowFeatures.SchemaHash);
    }
}
