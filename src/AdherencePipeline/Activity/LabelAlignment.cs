using AdherencePipeline.Recordings;

namespace AdherencePipeline.Activity;

/// <summary>The label shift fitted for one recording.</summary>
/// <param name="Recording">The recording (<see cref="Recording.ToString"/>).</param>
/// <param name="ShiftSeconds">How far the labels were moved later in time (negative: earlier).</param>
/// <param name="SeparationBefore">Movement separation of the labels as published (see <see cref="LabelAlignment.Separation"/>).</param>
/// <param name="SeparationAfter">Movement separation after the shift.</param>
public readonly record struct LabelShift(string Recording, int ShiftSeconds, double SeparationBefore, double SeparationAfter);

/// <summary>
/// Moves a recording's labels in time so that they fall on the movement they name: rest labels on
/// still seconds, the other classes on moving seconds. Only the labels move, never the signal.
/// </summary>
/// <remarks>
/// chest-accel-casale's labels run ahead of the movement by a fixed time per participant (one
/// participant's stairs block starts with close to a minute of standing still), so a share of its
/// labelled windows name an activity that has not begun. One shift per recording is fitted from the
/// recording's own labels and movement, without any classifier. The shift of a tested participant is
/// therefore fitted from that participant's labels: figures on aligned labels must always be reported
/// beside figures on the labels as published.
/// </remarks>
public static class LabelAlignment
{
    /// <summary>The largest shift searched, either way, in seconds.</summary>
    public const int MaximumShiftSeconds = 120;

    /// <summary>Written where a shift moves labels past the recording's edge; no source maps it to a class.</summary>
    public const int Unlabelled = 0;

    // A still second's standard deviation of the magnitude is a few mg; the floor keeps its
    // logarithm from being dominated by sensor quantisation.
    private const double FloorG = 1e-3;

    /// <summary>Whether the labels of <paramref name="source"/> are known to run ahead of the movement.</summary>
    public static bool Needs(string source) => source == RecordingSources.ChestAccelCasale;

    /// <summary>
    /// Fits the shift (whole seconds, within ±<paramref name="maximumShiftSeconds"/>) that best separates
    /// the movement of seconds labelled rest from that of seconds labelled with any other class; ties go
    /// to the smaller shift. A recording without both kinds of labels gets shift 0.
    /// </summary>
    public static LabelShift Fit(Recording recording, int maximumShiftSeconds = MaximumShiftSeconds)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentOutOfRangeException.ThrowIfNegative(maximumShiftSeconds);
        var name = recording.ToString();
        if (!recording.Accelerometer.HasLabels || !ActivityTaxonomy.IsLabelledSource(recording.Source))
        {
            return new LabelShift(name, 0, double.NaN, double.NaN);
        }

        var (movement, moving) = Seconds(recording);
        var before = Separation(movement, moving, 0);
        var best = 0;
        var bestScore = before;
        for (var magnitude = 1; magnitude <= maximumShiftSeconds; magnitude++)
        {
            foreach (var shift in (ReadOnlySpan<int>)[magnitude, -magnitude])
            {
                var score = Separation(movement, moving, shift);
                if (score > bestScore || double.IsNaN(bestScore) && !double.IsNaN(score))
                {
                    bestScore = score;
                    best = shift;
                }
            }
        }

        return new LabelShift(name, best, before, bestScore);
    }

    /// <summary>
    /// The recording with every label moved <paramref name="shiftSeconds"/> later (the sample at time
    /// t takes the label published for t − shift); samples with no published label at that time get
    /// <see cref="Unlabelled"/>. Signal, time and metadata are unchanged.
    /// </summary>
    public static Recording Apply(Recording recording, int shiftSeconds)
    {
        ArgumentNullException.ThrowIfNull(recording);
        var acc = recording.Accelerometer;
        if (shiftSeconds == 0 || !acc.HasLabels)
        {
            return recording;
        }

        var t = acc.TimestampNs.Span;
        var published = acc.Labels.Span;
        var shifted = new int[acc.Count];
        var shiftNs = shiftSeconds * 1_000_000_000L;
        for (var i = 0; i < shifted.Length; i++)
        {
            var source = t[i] - shiftNs;
            var index = t.BinarySearch(source);
            if (index < 0)
            {
                // The sample at or just before the source time, as long as it lies inside the recording.
                index = ~index - 1;
            }

            shifted[i] = source >= t[0] && index >= 0 && index < published.Length ? published[index] : Unlabelled;
        }

        var series = new AccelSeries(t.ToArray(), acc.XG.ToArray(), acc.YG.ToArray(), acc.ZG.ToArray(), shifted, acc.HasClipping ? acc.Clipped.ToArray() : null);
        return new Recording(recording.SubjectId, recording.Source, series, recording.NominalSampleRateHz, recording.AccelScale,
            recording.Segment, recording.StartUtc, recording.HeartRate, recording.RrIntervals);
    }

    /// <summary>
    /// How well labels shifted by <paramref name="shiftSeconds"/> separate movement: the mean of
    /// log10(standard deviation of the magnitude per second) over seconds labelled with a moving class,
    /// minus its mean over seconds labelled rest. NaN when either kind is missing.
    /// </summary>
    internal static double Separation(ReadOnlySpan<double> movement, ReadOnlySpan<sbyte> moving, int shiftSeconds)
    {
        double sumMoving = 0, sumRest = 0;
        int countMoving = 0, countRest = 0;
        for (var k = 0; k < movement.Length; k++)
        {
            var from = k - shiftSeconds;
            if (from < 0 || from >= moving.Length || moving[from] < 0 || double.IsNaN(movement[k]))
            {
                continue;
            }

            if (moving[from] == 1)
            {
                sumMoving += movement[k];
                countMoving++;
            }
            else
            {
                sumRest += movement[k];
                countRest++;
            }
        }

        return countMoving == 0 || countRest == 0 ? double.NaN : sumMoving / countMoving - sumRest / countRest;
    }

    // Per whole second of the recording: the movement (log10 SD of the magnitude) and whether the label
    // at the second's middle names a moving class (1), rest (0) or nothing mapped (-1).
    private static (double[] Movement, sbyte[] Moving) Seconds(Recording recording)
    {
        var acc = recording.Accelerometer;
        var t = acc.TimestampNs.Span;
        var x = acc.XG.Span;
        var y = acc.YG.Span;
        var z = acc.ZG.Span;
        var labels = acc.Labels.Span;
        var seconds = (int)(t[^1] / 1_000_000_000L) + 1;
        var movement = new double[seconds];
        var moving = new sbyte[seconds];
        var start = 0;
        for (var k = 0; k < seconds; k++)
        {
            var endNs = (k + 1) * 1_000_000_000L;
            var end = start;
            double sum = 0, sumSquares = 0;
            while (end < t.Length && t[end] < endNs)
            {
                double m = MathF.Sqrt(x[end] * x[end] + y[end] * y[end] + z[end] * z[end]);
                sum += m;
                sumSquares += m * m;
                end++;
            }

            var n = end - start;
            if (n >= 2)
            {
                var variance = Math.Max(0, (sumSquares - sum * sum / n) / (n - 1));
                movement[k] = Math.Log10(Math.Sqrt(variance) + FloorG);
                var label = ActivityTaxonomy.Map(recording.Source, labels[start + n / 2]);
                moving[k] = label is null ? (sbyte)-1 : ActivityTaxonomy.IsExercise(label.Value) ? (sbyte)1 : (sbyte)0;
            }
            else
            {
                movement[k] = double.NaN;
                moving[k] = -1;
            }

            start = end;
        }

        return (movement, moving);
    }
}
