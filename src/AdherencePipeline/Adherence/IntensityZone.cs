using AdherencePipeline.Signal;

namespace AdherencePipeline.Adherence;

/// <summary>ACSM intensity zones by heart-rate reserve.</summary>
public enum IntensityZone
{
    /// <summary>Below 40 %HRR.</summary>
    Light,

    /// <summary>40 % up to (not including) 60 %HRR.</summary>
    Moderate,

    /// <summary>60 %HRR and above.</summary>
    Vigorous,
}

/// <summary>The %HRR bands of the zones and their names as stored and written in files.</summary>
public static class IntensityZones
{
    /// <summary>Lower bound of <see cref="IntensityZone.Moderate"/>, in %HRR.</summary>
    public const double ModerateFromPercent = 40;

    /// <summary>Lower bound of <see cref="IntensityZone.Vigorous"/>, in %HRR.</summary>
    public const double VigorousFromPercent = 60;

    /// <summary>The zone a %HRR value falls in.</summary>
    public static IntensityZone Of(double percentHrr) => percentHrr switch
    {
        >= VigorousFromPercent => IntensityZone.Vigorous,
        >= ModerateFromPercent => IntensityZone.Moderate,
        _ => IntensityZone.Light,
    };

    /// <summary>The zone's band in %HRR: inclusive lower bound, exclusive upper bound (<c>null</c> = open).</summary>
    public static (double? FromPercent, double? BelowPercent) Band(IntensityZone zone) => zone switch
    {
        IntensityZone.Light => (null, ModerateFromPercent),
        IntensityZone.Moderate => (ModerateFromPercent, VigorousFromPercent),
        IntensityZone.Vigorous => (VigorousFromPercent, null),
        _ => throw new ArgumentOutOfRangeException(nameof(zone), zone, null),
    };

    /// <summary>The zone's band in beats per minute for one participant's heart-rate reserve.</summary>
    public static (double? FromBpm, double? BelowBpm) BandBpm(IntensityZone zone, HeartRateReserve reserve)
    {
        var (from, below) = Band(zone);
        return (from is { } f ? Bpm(f) : null, below is { } b ? Bpm(b) : null);

        double Bpm(double percent) => reserve.RestingBpm + percent / 100 * (reserve.MaximumBpm - reserve.RestingBpm);
    }

    /// <summary>The lower-case name used in files and tags: <c>light</c>, <c>moderate</c>, <c>vigorous</c>.</summary>
    public static string Name(IntensityZone zone) => zone switch
    {
        IntensityZone.Light => "light",
        IntensityZone.Moderate => "moderate",
        IntensityZone.Vigorous => "vigorous",
        _ => throw new ArgumentOutOfRangeException(nameof(zone), zone, null),
    };

    /// <summary>Parses a lower-case zone name; <c>null</c> when it is not one.</summary>
    public static IntensityZone? Parse(string? name) => name switch
    {
        "light" => IntensityZone.Light,
        "moderate" => IntensityZone.Moderate,
        "vigorous" => IntensityZone.Vigorous,
        _ => null,
    };
}
