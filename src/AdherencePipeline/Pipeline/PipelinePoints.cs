using AdherencePipeline.Activity;
using AdherencePipeline.Signal;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Pipeline;

/// <summary>
/// How pipeline events become InfluxDB points (documented in docs/schema.md). Timestamps are the
/// start of the interval a point describes, so writing the same event twice overwrites, never adds.
/// </summary>
public static class PipelinePoints
{
    /// <summary>Measurement of per-second motion.</summary>
    public const string Motion = "motion";

    /// <summary>Measurement of per-second heart rate.</summary>
    public const string HeartRate = "heart_rate";

    /// <summary>Measurement of gaps.</summary>
    public const string Gap = "gap";

    /// <summary>Whether <see cref="ToPoint"/> makes a point of this event, without building it.</summary>
    public static bool IsStored(PipelineEvent pipelineEvent) => pipelineEvent is MotionSecondEvent or HeartRateSecondEvent or GapEvent or ActivityEvent or BoutEvent or SessionEvent or AdherenceEvent;

    /// <summary>Measurement of classified windows.</summary>
    public const string Activity = "activity";

    /// <summary>The point for an event, or <c>null</c> for events that are not stored as such (windows, faults).</summary>
    public static Point? ToPoint(PipelineEvent pipelineEvent)
    {
        ArgumentNullException.ThrowIfNull(pipelineEvent);
        return pipelineEvent switch
        {
            MotionSecondEvent m => Point.For(Motion)
                .Tag("participant", m.Participant)
                .Tag("device_model", m.DeviceModel)
                .Field("enmo_mg", m.Second.EnmoMeanMg)
                .Field("magnitude_g", m.Second.MagnitudeMeanG)
                .Field("samples", (long)m.Second.Samples)
                .Field("coverage", Math.Min(1.0, (double)m.Second.Samples / m.Second.ExpectedSamples))
                .At(m.Second.SecondStartNs),
            HeartRateSecondEvent h => HeartRatePoint(h),
            GapEvent g => Point.For(Gap)
                .Tag("participant", g.Participant)
                .Tag("device_model", g.DeviceModel)
                .Tag("reason", ReasonTag(g.Gap.Reason))
                .Field("duration_s", (g.Gap.EndNs - g.Gap.StartNs) / 1e9)
                .Field("end_ns", g.Gap.EndNs)
                .At(g.Gap.StartNs),
            ActivityEvent a => ActivityPoint(a),
            BoutEvent b => Adherence.AdherencePoints.Bout(b.Bout, b.Registration, b.ModelVersion),
            SessionEvent s => Adherence.AdherencePoints.Session(s.Session, s.Registration, s.ModelVersion),
            AdherenceEvent a => Adherence.AdherencePoints.Adherence(a.Period, a.Registration, a.Week, a.ModelVersion),
            _ => null,
        };
    }

    // One string per class, made once rather than at every window.
    private static readonly string[] ProbabilityFields = [.. ActivityTaxonomy.Names.Select(n => "p_" + n)];

    private static Point ActivityPoint(ActivityEvent a)
    {
        var builder = Point.For(Activity)
            .Tag("participant", a.Participant)
            .Tag("device_model", a.DeviceModel)
            .Tag(Storage.ModelVersions.Tag, a.ModelVersion)
            .Field("activity", ActivityTaxonomy.Name(a.Activity))
            .Field("activity_smoothed", ActivityTaxonomy.Name(a.Smoothed))
            .Field("exercise", ActivityTaxonomy.IsExercise(a.Smoothed))
            .Field("duration_s", (a.EndNs - a.StartNs) / 1e9);
        if (a.Intensity is { } intensity)
        {
            builder.Field("intensity", ActivityIntensity.Name(intensity.Level))
                .Field("intensity_source", ActivityIntensity.Name(intensity.Source))
                .Field(intensity.Source == IntensitySource.HeartRateReserve ? "hrr_pct" : "enmo_mg", intensity.Value);
        }

        for (var i = 0; i < a.Probabilities.Count; i++)
        {
            builder.Field(ProbabilityFields[i], (double)a.Probabilities[i]);
        }

        return builder.At(a.StartNs);
    }

    private static Point HeartRatePoint(HeartRateSecondEvent h)
    {
        var builder = Point.For(HeartRate)
            .Tag("participant", h.Participant)
            .Tag("device_model", h.DeviceModel)
            .Field("valid", (long)h.Second.Valid)
            .Field("rejected", (long)h.Second.Rejected)
            .Field("rr_count", (long)h.Second.RrIntervals);
        if (double.IsFinite(h.Second.HeartRateBpm))
        {
            builder.Field("hr_bpm", h.Second.HeartRateBpm);
        }

        if (double.IsFinite(h.Second.RrMeanMs))
        {
            builder.Field("rr_mean_ms", h.Second.RrMeanMs);
        }

        return builder.At(h.Second.SecondStartNs);
    }

    private static string ReasonTag(GapReason reason) => reason switch
    {
        GapReason.MissingSamples => "missing_samples",
        GapReason.Disconnected => "disconnected",
        _ => "clock_reset",
    };
}
