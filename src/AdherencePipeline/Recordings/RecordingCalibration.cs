using AdherencePipeline.Signal;

namespace AdherencePipeline.Recordings;

/// <summary>
/// Brings a recording whose acceleration is only nominally scaled (raw counts divided by a guessed
/// sensitivity) to g with the gravity calibration, as the pipeline does for such devices.
/// Calibrated recordings pass through unchanged.
/// </summary>
public static class RecordingCalibration
{
    /// <summary>
    /// The recording calibrated (marked <see cref="AccelScale.Calibrated"/> when a fit was applied)
    /// and the fit with its error before and after, to be reported with any result made from it.
    /// </summary>
    public static (Recording Recording, GravityCalibrationResult Fit) Calibrate(Recording recording)
    {
        ArgumentNullException.ThrowIfNull(recording);
        if (recording.AccelScale == AccelScale.Calibrated)
        {
            return (recording, GravityCalibrationResult.Identity(CalibrationStatus.NotNeeded));
        }

        var acc = recording.Accelerometer;
        var samplesPerPeriod = (int)Math.Round(recording.NominalSampleRateHz * GravityCalibration.StillPeriod.TotalSeconds);
        var fit = GravityCalibration.Fit(acc.XG.Span, acc.YG.Span, acc.ZG.Span, Math.Max(2, samplesPerPeriod));
        if (fit.Status is not (CalibrationStatus.Calibrated or CalibrationStatus.ScaleOnly))
        {
            return (recording, fit);
        }

        var n = acc.Count;
        var x = new float[n];
        var y = new float[n];
        var z = new float[n];
        for (var i = 0; i < n; i++)
        {
            (x[i], y[i], z[i]) = fit.Apply(acc.XG.Span[i], acc.YG.Span[i], acc.ZG.Span[i]);
        }

        var calibrated = new AccelSeries(acc.TimestampNs.ToArray(), x, y, z,
            acc.HasLabels ? acc.Labels.ToArray() : null, acc.HasClipping ? acc.Clipped.ToArray() : null);
        return (new Recording(recording.SubjectId, recording.Source, calibrated, recording.NominalSampleRateHz, AccelScale.Calibrated,
            recording.Segment, recording.StartUtc, recording.HeartRate, recording.RrIntervals), fit);
    }
}
