using AdherencePipeline.Activity;
using AdherencePipeline.Recordings;

namespace AdherencePipeline.Tests.Activity;

public sealed class LabelAlignmentTests
{
    private const int RateHz = 25;

    // Standing (3) for 120 s, walking (4) for 120 s, standing for 120 s; the walking itself starts
    // movementLagSeconds after its label, as in chest-accel-casale.
    private static Recording Casale(int movementLagSeconds)
    {
        var n = 360 * RateHz;
        var t = new long[n];
        var x = new float[n];
        var y = new float[n];
        var z = new float[n];
        var labels = new int[n];
        var random = new Random(5);
        for (var i = 0; i < n; i++)
        {
            var seconds = (double)i / RateHz;
            t[i] = i * (1_000_000_000L / RateHz);
            labels[i] = seconds is >= 120 and < 240 ? 4 : 3;
            var walking = seconds >= 120 + movementLagSeconds && seconds < 240 + movementLagSeconds;
            var noise = 0.005f * (float)(random.NextDouble() - 0.5);
            x[i] = noise;
            y[i] = 1 + (walking ? 0.3f * MathF.Sin(2 * MathF.PI * 1.8f * (float)seconds) : noise);
            z[i] = noise;
        }

        return new Recording("participant99", RecordingSources.ChestAccelCasale, new AccelSeries(t, x, y, z, labels), RateHz, AccelScale.Calibrated);
    }

    [Fact]
    public void Fit_LabelsAheadOfTheMovement_FindsTheLag()
    {
        var shift = LabelAlignment.Fit(Casale(movementLagSeconds: 37));

        Assert.Equal(37, shift.ShiftSeconds);
        Assert.True(shift.SeparationAfter > shift.SeparationBefore);
    }

    [Fact]
    public void Fit_LabelsOnTheMovement_KeepsThemWhereTheyAre() =>
        Assert.Equal(0, LabelAlignment.Fit(Casale(movementLagSeconds: 0)).ShiftSeconds);

    [Fact]
    public void Apply_MovesOnlyTheLabels()
    {
        var recording = Casale(movementLagSeconds: 37);

        var aligned = LabelAlignment.Apply(recording, 37);

        var before = recording.Accelerometer;
        var after = aligned.Accelerometer;
        Assert.Equal(before.TimestampNs.ToArray(), after.TimestampNs.ToArray());
        Assert.Equal(before.YG.ToArray(), after.YG.ToArray());
        Assert.Equal(LabelAlignment.Unlabelled, after.Labels.Span[0]);
        Assert.Equal(3, after.Labels.Span[37 * RateHz]);
        Assert.Equal(3, after.Labels.Span[(157 * RateHz) - 1]);
        Assert.Equal(4, after.Labels.Span[157 * RateHz]);
        Assert.Equal(4, after.Labels.Span[(277 * RateHz) - 1]);
        Assert.Equal(3, after.Labels.Span[277 * RateHz]);
    }

    [Fact]
    public void Apply_ThenLabel_GivesWalkingWindowsOnlyWhereItWalks()
    {
        var recording = Casale(movementLagSeconds: 37);

        var windows = WindowLabeller.Label(LabelAlignment.Apply(recording, LabelAlignment.Fit(recording).ShiftSeconds));

        var walking = windows.Where(w => w.Label == ActivityClass.Walking).ToList();
        Assert.NotEmpty(walking);
        Assert.All(walking, w => Assert.InRange(w.StartNs, 157_000_000_000L, 272_000_000_000L));
    }

    [Fact]
    public void Fit_CasaleParticipant08_MovesTheLabelsOntoItsLateStairs()
    {
        // Its 75-s stairs block starts with 63 s of standing still.
        var (recording, _) = RecordingCalibration.Calibrate(Assert.Single(RecordingReader.Open(Recordings.SharedData.File("chest-accel-casale", "participant08.csv.gz"))));

        var shift = LabelAlignment.Fit(recording);

        Assert.InRange(shift.ShiftSeconds, 55, 70);
        Assert.True(shift.SeparationAfter > shift.SeparationBefore + 0.2);
    }

    [Fact]
    public void Needs_OnlyCasale()
    {
        Assert.True(LabelAlignment.Needs(RecordingSources.ChestAccelCasale));
        Assert.False(LabelAlignment.Needs(RecordingSources.DailySportsTorso));
    }
}
