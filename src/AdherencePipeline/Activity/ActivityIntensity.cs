using AdherencePipeline.Adherence;
using AdherencePipeline.Signal;

namespace AdherencePipeline.Activity;

/// <summary>What an intensity was judged from.</summary>
public enum IntensitySource
{
    /// <summary>Heart-rate reserve (heart rate present and the participant's resting/maximum known).</summary>
    HeartRateReserve,

    /// <summary>ENMO cut-points (no usable heart rate).</summary>
    Enmo,
}

/// <summary>A window's intensity, where it came from, and the value it was judged on (%HRR or mg).</summary>
/// <param name="Level">Light, moderate or vigorous (the ACSM zones the prescriptions use).</param>
/// <param name="Source">%HRR or ENMO.</param>
/// <param name="Value">The %HRR (percent) or the mean ENMO (mg) of the window.</param>
public readonly record struct WindowIntensity(IntensityZone Level, IntensitySource Source, double Value);

/// <summary>
/// Intensity of a window: from %HRR (ACSM: &lt;40 light, 40–59 moderate, ≥60 vigorous) when the
/// window has it, else from mean ENMO with the adult hip (trunk) cut-points of Hildebrand et al. 2014
/// (moderate ≥ 69.1 mg, vigorous ≥ 258.7 mg); see docs/activities.md for why these.
/// </summary>
public static class ActivityIntensity
{
    /// <summary>Lowest %HRR of moderate intensity (ACSM).</summary>
    public const double ModerateHrrPct = IntensityZones.ModerateFromPercent;

    /// <summary>Lowest %HRR of vigorous intensity (ACSM).</summary>
    public const double VigorousHrrPct = IntensityZones.VigorousFromPercent;

    /// <summary>Lowest mean ENMO of moderate intensity, mg (Hildebrand et al. 2014, hip, adults).</summary>
    public const double ModerateEnmoMg = 69.1;

    /// <summary>Lowest mean ENMO of vigorous intensity, mg (Hildebrand et al. 2014, hip, adults).</summary>
    public const double VigorousEnmoMg = 258.7;

    /// <summary>The source of the ENMO cut-points, recorded with every ENMO-based intensity.</summary>
    public const string EnmoCutPointSource = "Hildebrand et al. 2014, Med Sci Sports Exerc 46(9):1816-1824, hip, adults";

    private static readonly int HrrIndex = WindowFeatures.IndexOf("hrr_mean_pct");
    private static readonly int EnmoIndex = WindowFeatures.IndexOf("enmo_mean_mg");

    /// <summary>The intensity of a window from its full feature vector (<see cref="WindowFeatures.Schema"/>); null when it has neither %HRR nor ENMO.</summary>
    public static WindowIntensity? Of(ReadOnlySpan<float> windowFeatures)
    {
        if (windowFeatures.Length != WindowFeatures.Count)
        {
            throw new ArgumentException($"A window's feature vector holds {WindowFeatures.Count} values.", nameof(windowFeatures));
        }

        var hrr = windowFeatures[HrrIndex];
        if (float.IsFinite(hrr))
        {
            // Features are floats: compare at float precision, so a value printed as 40 or 69.1 is at the cut-point.
            var level = hrr >= (float)VigorousHrrPct ? IntensityZone.Vigorous : hrr >= (float)ModerateHrrPct ? IntensityZone.Moderate : IntensityZone.Light;
            return new WindowIntensity(level, IntensitySource.HeartRateReserve, hrr);
        }

        var enmo = windowFeatures[EnmoIndex];
        if (float.IsFinite(enmo))
        {
            var level = enmo >= (float)VigorousEnmoMg ? IntensityZone.Vigorous : enmo >= (float)ModerateEnmoMg ? IntensityZone.Moderate : IntensityZone.Light;
            return new WindowIntensity(level, IntensitySource.Enmo, enmo);
        }

        return null;
    }

    /// <summary>The stored name of a level: <c>light</c>, <c>moderate</c>, <c>vigorous</c>.</summary>
    public static string Name(IntensityZone level) => IntensityZones.Name(level);

    /// <summary>The stored name of a source: <c>hrr</c> or <c>enmo</c>.</summary>
    public static string Name(IntensitySource source) => source == IntensitySource.HeartRateReserve ? "hrr" : "enmo";
}
