namespace AdherencePipeline.Outcomes;

/// <summary>
/// One scheduled outcome assessment of an arm: due <see cref="Week"/> weeks after the enrolment start,
/// accepted from <see cref="WindowBeforeDays"/> days before to <see cref="WindowAfterDays"/> days after.
/// </summary>
/// <param name="Id">The time point's name, e.g. <c>baseline</c>, <c>week4</c>, <c>followup</c>.</param>
/// <param name="Week">Weeks after the enrolment start; 0 for baseline.</param>
/// <param name="WindowBeforeDays">Days before the target date the questionnaires may be answered.</param>
/// <param name="WindowAfterDays">Days after the target date they may still be answered before they are overdue.</param>
/// <param name="Instruments">Ids of the instruments answered at this time point.</param>
public sealed record OutcomeTimePoint(string Id, int Week, int WindowBeforeDays, int WindowAfterDays, IReadOnlyList<string> Instruments)
{
    /// <summary>The id of the baseline time point, against which change is computed.</summary>
    public const string BaselineId = "baseline";

    /// <summary>The target local date for a participant enrolled on <paramref name="enrolmentStart"/>.</summary>
    public DateOnly TargetDate(DateOnly enrolmentStart) => enrolmentStart.AddDays(7 * Week);

    /// <summary>The first local date of the window.</summary>
    public DateOnly WindowStart(DateOnly enrolmentStart) => TargetDate(enrolmentStart).AddDays(-WindowBeforeDays);

    /// <summary>The last local date of the window.</summary>
    public DateOnly WindowEnd(DateOnly enrolmentStart) => TargetDate(enrolmentStart).AddDays(WindowAfterDays);
}
