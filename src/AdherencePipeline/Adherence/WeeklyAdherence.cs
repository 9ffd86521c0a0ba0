using System.Globalization;

namespace AdherencePipeline.Adherence;

/// <summary>Adherence over one period (an ISO week or a day) against the prescription in force.</summary>
/// <param name="Participant">The participant's code.</param>
/// <param name="PeriodStart">First local date of the period.</param>
/// <param name="PeriodEnd">Last local date of the period.</param>
/// <param name="Label">ISO week (<c>2026-W02</c>) or date (<c>2026-01-07</c>).</param>
/// <param name="PrescribedDays">Days of the period under a prescription and enrolment.</param>
/// <param name="SessionsDone">Sessions that started in the period and had at least one counted minute.</param>
/// <param name="SessionsPrescribed">Prescribed sessions, scaled to the prescribed days.</param>
/// <param name="TargetMinutes">Exercise minutes of counted classes in the target zone or above.</param>
/// <param name="PrescribedMinutes">Prescribed minutes (sessions × minutes per session), scaled to the prescribed days.</param>
/// <param name="ExerciseMinutes">All exercise minutes in sessions, any class, any intensity.</param>
public sealed record AdherencePeriod(
    string Participant,
    DateOnly PeriodStart,
    DateOnly PeriodEnd,
    string Label,
    int PrescribedDays,
    int SessionsDone,
    double SessionsPrescribed,
    double TargetMinutes,
    double PrescribedMinutes,
    double ExerciseMinutes)
{
    /// <summary>Share of prescribed sessions done, capped at 1; null without a prescription.</summary>
    public double? SessionAdherence => SessionsPrescribed > 0 ? Math.Min(1, SessionsDone / SessionsPrescribed) : null;

    /// <summary>Share of prescribed target-zone minutes done, capped at 1; null without a prescription.</summary>
    public double? MinuteAdherence => PrescribedMinutes > 0 ? Math.Min(1, TargetMinutes / PrescribedMinutes) : null;

    /// <summary>
    /// Adherence %: the dose actually done in the target zone as a share of the dose prescribed,
    /// 100 · min(1, target minutes ÷ prescribed minutes). Dose, not attendance, because a session
    /// of five minutes is not a session of thirty; both parts are reported beside it.
    /// </summary>
    public double? AdherencePercent => MinuteAdherence * 100;
}

/// <summary>
/// Adherence per ISO week and per day, cut in the participant's own time zone (which can change,
/// and whose DST changes neither lose nor double an hour: sessions are placed by their local date).
/// A week that is only partly under a prescription (start or end of the study, a prescription
/// change) is prescribed pro rata: weekly dose × prescribed days ÷ 7, using for each day the
/// prescription in force on it.
/// </summary>
public static class AdherenceCalculator
{
    private const double NsPerMinute = 60e9;

    /// <summary>Adherence in the ISO week that contains <paramref name="anyDayOfWeek"/>.</summary>
    public static AdherencePeriod Week(Participant participant, DateOnly anyDayOfWeek, IEnumerable<Session> sessions)
    {
        ArgumentNullException.ThrowIfNull(participant);
        var monday = anyDayOfWeek.AddDays(-(((int)anyDayOfWeek.DayOfWeek + 6) % 7));
        var label = string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(monday.ToDateTime(TimeOnly.MinValue))}-W{ISOWeek.GetWeekOfYear(monday.ToDateTime(TimeOnly.MinValue)):D2}");
        return Period(participant, monday, monday.AddDays(6), label, sessions);
    }

    /// <summary>Adherence on one local day: the weekly dose ÷ 7 is prescribed per day.</summary>
    public static AdherencePeriod Day(Participant participant, DateOnly date, IEnumerable<Session> sessions)
    {
        ArgumentNullException.ThrowIfNull(participant);
        return Period(participant, date, date, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), sessions);
    }

    /// <summary>The ISO week label of a local date, e.g. <c>2026-W02</c>.</summary>
    public static string WeekLabel(DateOnly date)
    {
        var d = date.ToDateTime(TimeOnly.MinValue);
        return string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(d)}-W{ISOWeek.GetWeekOfYear(d):D2}");
    }

    private static AdherencePeriod Period(Participant participant, DateOnly from, DateOnly to, string label, IEnumerable<Session> sessions)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        // Summed in whole units and divided once, so a full week gives exactly the weekly dose.
        var days = 0;
        long sessionDays = 0, minuteDays = 0;
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            if (participant.IsEnrolledOn(day) && participant.PrescriptionOn(day) is { } p)
            {
                days++;
                sessionDays += p.SessionsPerWeek;
                minuteDays += (long)p.SessionsPerWeek * p.MinutesPerSession;
            }
        }

        var sessionsPrescribed = sessionDays / 7.0;
        var minutesPrescribed = minuteDays / 7.0;

        var done = 0;
        double target = 0, exercise = 0;
        foreach (var session in sessions)
        {
            if (session.Participant != participant.Id || session.LocalDate < from || session.LocalDate > to)
            {
                continue;
            }

            exercise += session.Summary.ExerciseNs / NsPerMinute;
            var counted = session.Summary.TargetNs / NsPerMinute;
            target += counted;
            if (counted >= 1)
            {
                done++;
            }
        }

        return new AdherencePeriod(participant.Id, from, to, label, days, done, sessionsPrescribed, target, minutesPrescribed, exercise);
    }
}
