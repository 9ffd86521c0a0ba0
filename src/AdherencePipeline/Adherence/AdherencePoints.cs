using AdherencePipeline.Storage;

namespace AdherencePipeline.Adherence;

/// <summary>
/// Bouts, sessions and adherence as InfluxDB points (docs/schema.md). Each is stamped with the start
/// of what it describes, so writing it again after a restart overwrites instead of adding.
/// </summary>
public static class AdherencePoints
{
    private const double NsPerMinute = 60e9;

    /// <summary>The <c>bout</c> point, tagged with the model that classified it.</summary>
    public static Point Bout(Bout bout, Participant? participant, string? modelVersion = null)
    {
        ArgumentNullException.ThrowIfNull(bout);
        var builder = Point.For("bout").Tag("participant", bout.Participant).Tag("arm", participant?.Arm).Tag("site", participant?.Site).Tag(ModelVersions.Tag, modelVersion);
        return Summary(builder, bout.Summary).At(bout.Summary.StartNs);
    }

    /// <summary>The <c>session</c> point, with minutes per class as <c>min_CLASS</c> fields, tagged with the model that classified it.</summary>
    public static Point Session(Session session, Participant? participant, string? modelVersion = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        var builder = Point.For("session").Tag("participant", session.Participant).Tag("arm", participant?.Arm).Tag("site", participant?.Site).Tag(ModelVersions.Tag, modelVersion)
            .Field("bouts", (long)session.Bouts)
            .Field("quality", QualityText(session.Quality))
            .Field("local_date", session.LocalDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        if (session.Quality.HasFlag(SessionQuality.Recovered))
        {
            // Only written when true, so sessions of ordinary runs keep their fields unchanged.
            builder.Field("recovered", true);
        }

        foreach (var (activity, ns) in session.Summary.ExerciseNsByClass.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            builder.Field("min_" + activity, ns / NsPerMinute);
        }

        return Summary(builder, session.Summary).At(session.Summary.StartNs);
    }

    /// <summary>The <c>adherence</c> point of a week or a day, stamped at the period's local start, tagged with the model whose sessions it counts.</summary>
    public static Point Adherence(AdherencePeriod period, Participant participant, bool week, string? modelVersion = null)
    {
        ArgumentNullException.ThrowIfNull(period);
        ArgumentNullException.ThrowIfNull(participant);
        var builder = Point.For("adherence").Tag("participant", period.Participant).Tag("arm", participant.Arm).Tag("site", participant.Site).Tag(ModelVersions.Tag, modelVersion)
            .Tag("period", week ? "week" : "day")
            .Field("label", period.Label)
            .Field("prescribed_days", (long)period.PrescribedDays)
            .Field("sessions_done", (long)period.SessionsDone)
            .Field("sessions_prescribed", period.SessionsPrescribed)
            .Field("target_min", period.TargetMinutes)
            .Field("prescribed_min", period.PrescribedMinutes)
            .Field("exercise_min", period.ExerciseMinutes);
        if (period.AdherencePercent is { } percent)
        {
            builder.Field("adherence_pct", percent);
        }

        if (period.SessionAdherence is { } sessions)
        {
            builder.Field("session_adherence", sessions);
        }

        return builder.At(participant.StartOfDay(period.PeriodStart));
    }

    /// <summary>Quality flags as stored: <c>ok</c>, or e.g. <c>low_coverage,no_heart_rate</c>.</summary>
    public static string QualityText(SessionQuality quality)
    {
        if (quality == SessionQuality.None)
        {
            return "ok";
        }

        var parts = new List<string>(4);
        if (quality.HasFlag(SessionQuality.LowCoverage))
        {
            parts.Add("low_coverage");
        }

        if (quality.HasFlag(SessionQuality.NoHeartRate))
        {
            parts.Add("no_heart_rate");
        }

        if (quality.HasFlag(SessionQuality.ClosedAtShutdown))
        {
            parts.Add("closed_at_shutdown");
        }

        if (quality.HasFlag(SessionQuality.Recovered))
        {
            parts.Add("recovered");
        }

        return string.Join(',', parts);
    }

    private static Point.PointBuilder Summary(Point.PointBuilder builder, ExerciseSummary s)
    {
        builder
            .Field("end_ns", s.EndNs)
            .Field("duration_min", (s.EndNs - s.StartNs) / NsPerMinute)
            .Field("exercise_min", s.ExerciseNs / NsPerMinute)
            .Field("target_min", s.TargetNs / NsPerMinute)
            .Field("light_min", s.ZoneNs(IntensityZone.Light) / NsPerMinute)
            .Field("moderate_min", s.ZoneNs(IntensityZone.Moderate) / NsPerMinute)
            .Field("vigorous_min", s.ZoneNs(IntensityZone.Vigorous) / NsPerMinute)
            .Field("coverage", s.Coverage);
        if (s.MeanHeartRateBpm is { } mean)
        {
            builder.Field("hr_mean_bpm", mean);
        }

        if (s.PeakHeartRateBpm is { } peak)
        {
            builder.Field("hr_peak_bpm", peak);
        }

        if (s.MeanPercentHrr is { } hrr)
        {
            builder.Field("hrr_mean_pct", hrr);
        }

        return builder;
    }
}
