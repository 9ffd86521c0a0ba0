using AdherencePipeline.Signal;

namespace AdherencePipeline.Adherence;

/// <summary>Where the maximum heart rate of a participant comes from.</summary>
public enum MaxHeartRateSource
{
    /// <summary>Measured (e.g. in an exercise test) and written in the registry.</summary>
    Measured,

    /// <summary>Estimated from age with Tanaka's formula, 208 − 0.7·age.</summary>
    Tanaka,
}

/// <summary>The time zone a participant lives in from a local date on.</summary>
/// <param name="From">The first local date in this zone; the change takes effect once both the old and this zone have reached that date.</param>
/// <param name="Zone">The IANA time zone.</param>
public sealed record TimeZonePeriod(DateOnly From, TimeZoneInfo Zone);

/// <summary>A strap bound to a participant for a span of local dates (both inclusive).</summary>
/// <param name="Address">The Bluetooth address, upper-case <c>AA:BB:CC:DD:EE:FF</c>, or <c>virtual:NAME</c> for a replayed device.</param>
/// <param name="ProfileId">The firmware profile id, e.g. <c>polar-h10</c>.</param>
/// <param name="From">First local date of the binding.</param>
/// <param name="To">Last local date of the binding; <c>null</c> while it lasts.</param>
public sealed record DeviceBinding(string Address, string ProfileId, DateOnly From, DateOnly? To);

/// <summary>
/// An exercise prescription for a span of local dates (both inclusive).
/// </summary>
public sealed record Prescription
{
    internal Prescription(DateOnly from, DateOnly? to, int sessionsPerWeek, int minutesPerSession, IntensityZone targetZone, IReadOnlyList<string> countingClasses)
    {
        From = from;
        To = to;
        SessionsPerWeek = sessionsPerWeek;
        MinutesPerSession = minutesPerSession;
        TargetZone = targetZone;
        CountingClasses = countingClasses;
    }

    /// <summary>First local date the prescription is in force.</summary>
    public DateOnly From { get; }

    /// <summary>Last local date it is in force; <c>null</c> until the end of enrolment.</summary>
    public DateOnly? To { get; }

    /// <summary>Sessions prescribed per ISO week.</summary>
    public int SessionsPerWeek { get; }

    /// <summary>Minutes prescribed per session.</summary>
    public int MinutesPerSession { get; }

    /// <summary>The intensity zone the minutes should be spent in.</summary>
    public IntensityZone TargetZone { get; }

    /// <summary>The exercise classes (taxonomy names) that count towards the prescription; never <c>rest</c>.</summary>
    public IReadOnlyList<string> CountingClasses { get; }

    /// <summary>Whether minutes of <paramref name="exerciseClass"/> count towards this prescription.</summary>
    public bool Counts(string exerciseClass) => CountingClasses.Contains(exerciseClass, StringComparer.Ordinal);

    /// <summary>Whether the prescription is in force on <paramref name="date"/>.</summary>
    public bool Covers(DateOnly date) => date >= From && (To is null || date <= To);
}

/// <summary>
/// One participant of the registry, known by a pseudonymous code only. Built by
/// <see cref="ParticipantRegistryLoader"/>, which has checked every value.
/// </summary>
public sealed class Participant
{
    /// <summary>Tanaka's intercept, in beats per minute.</summary>
    public const double TanakaInterceptBpm = 208;

    /// <summary>Tanaka's slope, in beats per minute per year of age.</summary>
    public const double TanakaSlopeBpmPerYear = 0.7;

    internal Participant(
        string id,
        string arm,
        string site,
        DateOnly enrolmentStart,
        DateOnly? enrolmentEnd,
        IReadOnlyList<TimeZonePeriod> timeZones,
        IReadOnlyList<DeviceBinding> devices,
        int? ageYears,
        double? measuredMaxHeartRateBpm,
        double restingHeartRateBpm,
        IReadOnlyList<Prescription> prescriptions)
    {
        Id = id;
        Arm = arm;
        Site = site;
        EnrolmentStart = enrolmentStart;
        EnrolmentEnd = enrolmentEnd;
        TimeZones = timeZones;
        Devices = devices;
        AgeYears = ageYears;
        MeasuredMaxHeartRateBpm = measuredMaxHeartRateBpm;
        RestingHeartRateBpm = restingHeartRateBpm;
        Prescriptions = prescriptions;
        MaxHeartRateBpm = measuredMaxHeartRateBpm ?? TanakaMaxHeartRateBpm(ageYears!.Value);
    }

    /// <summary>The pseudonymous code, e.g. <c>P001</c>.</summary>
    public string Id { get; }

    /// <summary>The study arm.</summary>
    public string Arm { get; }

    /// <summary>The study site.</summary>
    public string Site { get; }

    /// <summary>First local date of enrolment.</summary>
    public DateOnly EnrolmentStart { get; }

    /// <summary>Last local date of enrolment; <c>null</c> while it lasts.</summary>
    public DateOnly? EnrolmentEnd { get; }

    /// <summary>Time zones in order of <see cref="TimeZonePeriod.From"/>; the first starts on or before <see cref="EnrolmentStart"/>.</summary>
    public IReadOnlyList<TimeZonePeriod> TimeZones { get; }

    /// <summary>Device bindings in file order.</summary>
    public IReadOnlyList<DeviceBinding> Devices { get; }

    /// <summary>Age in years, when given.</summary>
    public int? AgeYears { get; }

    /// <summary>Measured maximum heart rate, when given.</summary>
    public double? MeasuredMaxHeartRateBpm { get; }

    /// <summary>Resting heart rate.</summary>
    public double RestingHeartRateBpm { get; }

    /// <summary>The maximum heart rate used: measured if given, else 208 − 0.7·age.</summary>
    public double MaxHeartRateBpm { get; }

    /// <summary>Where <see cref="MaxHeartRateBpm"/> comes from.</summary>
    public MaxHeartRateSource MaxHeartRateSource => MeasuredMaxHeartRateBpm is null ? MaxHeartRateSource.Tanaka : MaxHeartRateSource.Measured;

    /// <summary>Resting and maximum heart rate, for %HRR.</summary>
    public HeartRateReserve HeartRateReserve => new(RestingHeartRateBpm, MaxHeartRateBpm);

    /// <summary>Prescriptions in order of date; they do not overlap. Empty for arms without an exercise prescription (e.g. usual care).</summary>
    public IReadOnlyList<Prescription> Prescriptions { get; }

    /// <summary>Tanaka's estimate of maximum heart rate: 208 − 0.7·age.</summary>
    public static double TanakaMaxHeartRateBpm(int ageYears) => TanakaInterceptBpm - TanakaSlopeBpmPerYear * ageYears;

    /// <summary>Whether <paramref name="date"/> lies within enrolment.</summary>
    public bool IsEnrolledOn(DateOnly date) => date >= EnrolmentStart && (EnrolmentEnd is null || date <= EnrolmentEnd);

    /// <summary>The prescription in force on a local date, or <c>null</c> when none is.</summary>
    public Prescription? PrescriptionOn(DateOnly date)
    {
        foreach (var p in Prescriptions)
        {
            if (p.Covers(date))
            {
                return p;
            }
        }

        return null;
    }

    /// <summary>
    /// The time zone in force at an instant. Before the first change, the first zone. A change to a
    /// zone on date D takes effect once both the old and the new zone have reached D, so the
    /// participant's local date never goes back or skips a day when they move.
    /// </summary>
    public TimeZoneInfo TimeZoneAt(DateTimeOffset instant)
    {
        var zone = TimeZones[0].Zone;
        for (var i = 1; i < TimeZones.Count; i++)
        {
            var from = TimeZones[i].From;
            var switchAt = Max(StartOfDay(from, TimeZones[i - 1].Zone), StartOfDay(from, TimeZones[i].Zone));
            if (switchAt > instant)
            {
                break;
            }

            zone = TimeZones[i].Zone;
        }

        return zone;

        static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
    }

    /// <summary>The time zone in force on a local date (the zone whose period contains it).</summary>
    public TimeZoneInfo TimeZoneOn(DateOnly date)
    {
        var zone = TimeZones[0].Zone;
        foreach (var period in TimeZones)
        {
            if (period.From <= date)
            {
                zone = period.Zone;
            }
        }

        return zone;
    }

    /// <summary>The participant's local time at an instant, in the zone then in force.</summary>
    public DateTimeOffset LocalTime(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, TimeZoneAt(instant));

    /// <summary>The participant's local date at an instant.</summary>
    public DateOnly LocalDate(DateTimeOffset instant) => DateOnly.FromDateTime(LocalTime(instant).DateTime);

    /// <summary>
    /// The instant a local date begins for this participant (UTC). Days are cut in the zone in force
    /// on that date, so a DST change lengthens or shortens a day instead of losing or doubling an hour.
    /// </summary>
    /// <remarks>On the day of a move the day begins at midnight in the zone of the day before (see <see cref="TimeZoneAt"/>).</remarks>
    public DateTimeOffset StartOfDay(DateOnly date) =>
        StartOfDay(date, date == DateOnly.MinValue ? TimeZones[0].Zone : TimeZoneOn(date.AddDays(-1)));

    /// <summary>The device binding of <paramref name="address"/> in force at an instant, if any.</summary>
    public DeviceBinding? DeviceAt(string address, DateTimeOffset instant)
    {
        foreach (var d in Devices)
        {
            if (string.Equals(d.Address, address, StringComparison.OrdinalIgnoreCase) && StartOfDay(d.From) <= instant
                && (d.To is not { } to || instant < StartOfDay(to.AddDays(1))))
            {
                return d;
            }
        }

        return null;
    }

    /// <summary>The first instant of a local date in a zone, allowing for a midnight that DST skips.</summary>
    internal static DateTimeOffset StartOfDay(DateOnly date, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // Some zones move their clocks at midnight; the day then begins at the first time that exists.
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(1);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }
}
