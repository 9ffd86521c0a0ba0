using AdherencePipeline.Adherence;

namespace AdherencePipeline.Outcomes;

/// <summary>Where a scheduled assessment stands on a given local date.</summary>
public enum AssessmentStatus
{
    /// <summary>The window has not opened yet.</summary>
    Upcoming,

    /// <summary>The window is open and some questionnaires are not answered.</summary>
    Due,

    /// <summary>The window has closed and some questionnaires are not answered.</summary>
    Overdue,

    /// <summary>Every questionnaire of the time point is answered.</summary>
    Completed,
}

/// <summary>One scheduled assessment of one participant: the window and which questionnaires are still missing.</summary>
/// <param name="Participant">The participant's code.</param>
/// <param name="Arm">The participant's arm.</param>
/// <param name="TimePoint">The scheduled time point.</param>
/// <param name="TargetDate">The participant-local target date.</param>
/// <param name="WindowStart">First local date of the window.</param>
/// <param name="WindowEnd">Last local date of the window.</param>
/// <param name="Missing">Instruments of the time point not answered yet.</param>
/// <param name="Status">Where it stands.</param>
public sealed record ScheduledAssessment(string Participant, string Arm, OutcomeTimePoint TimePoint, DateOnly TargetDate, DateOnly WindowStart, DateOnly WindowEnd,
    IReadOnlyList<string> Missing, AssessmentStatus Status);

/// <summary>
/// Which questionnaires are due: each participant's schedule (their arm's time points, counted from
/// their enrolment start) against what has been answered. Time points whose window opens after the
/// end of enrolment are not expected. Used by <c>adherence outcomes due</c> and the participant page.
/// </summary>
public static class OutcomeDue
{
    /// <summary>The (time point, instrument) pairs stored for a participant, from <see cref="StudyDataReader.OutcomesAsync"/>.</summary>
    public static IReadOnlySet<(string TimePoint, string Instrument)> Answered(IEnumerable<OutcomeRecord> stored, string participant)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return stored.Where(r => r.Participant == participant).Select(r => (r.TimePoint, r.Instrument)).ToHashSet();
    }

    /// <summary>Every scheduled assessment of a participant on a local date, in schedule order.</summary>
    /// <param name="registry">The registry holding the schedules.</param>
    /// <param name="participant">The participant.</param>
    /// <param name="today">The participant's local date to judge on.</param>
    /// <param name="answered">(time point, instrument) pairs already stored for this participant.</param>
    public static IReadOnlyList<ScheduledAssessment> ForParticipant(ParticipantRegistry registry, Participant participant, DateOnly today,
        IReadOnlySet<(string TimePoint, string Instrument)> answered)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(answered);
        var list = new List<ScheduledAssessment>();
        foreach (var point in registry.OutcomeSchedule(participant.Arm))
        {
            var start = point.WindowStart(participant.EnrolmentStart);
            if (participant.EnrolmentEnd is { } end && start > end)
            {
                continue;
            }

            var windowEnd = point.WindowEnd(participant.EnrolmentStart);
            var missing = point.Instruments.Where(i => !answered.Contains((point.Id, i))).ToList();
            var status = missing.Count == 0 ? AssessmentStatus.Completed
                : today < start ? AssessmentStatus.Upcoming
                : today <= windowEnd ? AssessmentStatus.Due
                : AssessmentStatus.Overdue;
            list.Add(new ScheduledAssessment(participant.Id, participant.Arm, point, point.TargetDate(participant.EnrolmentStart), start, windowEnd, missing, status));
        }

        return list;
    }

    /// <summary>The assessments due or overdue for every participant enrolled on their local <paramref name="today"/> (or whose enrolment has ended with assessments still overdue).</summary>
    public static IReadOnlyList<ScheduledAssessment> Pending(ParticipantRegistry registry, Func<Participant, DateOnly> today,
        Func<Participant, IReadOnlySet<(string TimePoint, string Instrument)>> answered)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(today);
        ArgumentNullException.ThrowIfNull(answered);
        var list = new List<ScheduledAssessment>();
        foreach (var participant in registry.Participants)
        {
            var date = today(participant);
            list.AddRange(ForParticipant(registry, participant, date, answered(participant))
                .Where(a => a.Status is AssessmentStatus.Due or AssessmentStatus.Overdue));
        }

        return list;
    }
}
