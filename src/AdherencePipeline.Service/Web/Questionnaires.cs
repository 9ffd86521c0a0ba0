using System.Globalization;
using AdherencePipeline.Adherence;
using AdherencePipeline.Outcomes;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Service.Web;

/// <summary>One question of a due questionnaire, with its response range.</summary>
/// <param name="Id">The item's id, the key of its answer.</param>
/// <param name="Text">The question.</param>
/// <param name="Min">Lowest answer.</param>
/// <param name="Max">Highest answer.</param>
/// <param name="Anchors">Labels of some answers, e.g. 0 = "No pain".</param>
/// <param name="NamedByRespondent">The respondent names what they rate (PSFS activities); the name is not stored.</param>
public sealed record QuestionnaireItem(string Id, string Text, int Min, int Max, IReadOnlyDictionary<int, string> Anchors, bool NamedByRespondent);

/// <summary>A questionnaire a participant should fill in now: one instrument of a due or overdue time point.</summary>
/// <param name="TimePoint">The scheduled time point, e.g. <c>baseline</c>.</param>
/// <param name="Status"><c>due</c> (window open) or <c>overdue</c> (window closed, still wanted).</param>
/// <param name="TargetDate">The participant-local target date.</param>
/// <param name="WindowStart">First local date of the window.</param>
/// <param name="WindowEnd">Last local date of the window.</param>
/// <param name="Instrument">The instrument id, e.g. <c>peg-3</c>.</param>
/// <param name="Name">The instrument's published name.</param>
/// <param name="RecallPeriod">What the answers refer to, e.g. "the past week".</param>
/// <param name="Items">The questions in order.</param>
public sealed record DueQuestionnaire(string TimePoint, string Status, DateOnly TargetDate, DateOnly WindowStart, DateOnly WindowEnd,
    string Instrument, string Name, string RecallPeriod, IReadOnlyList<QuestionnaireItem> Items);

/// <summary>A participant's answers to one questionnaire, item id → answer (an integer; <c>null</c> for unanswered).</summary>
/// <param name="Answers">The answers; anything other than an integer in the item's range is refused with the item named.</param>
public sealed record QuestionnaireSubmission(IReadOnlyDictionary<string, System.Text.Json.JsonElement>? Answers);

/// <summary>A stored questionnaire as the API answers it: the library's scores and the raw answers.</summary>
/// <param name="Participant">The participant's code.</param>
/// <param name="TimePoint">The time point.</param>
/// <param name="Instrument">The instrument id.</param>
/// <param name="Time">When it was stored (UTC).</param>
/// <param name="LocalDate">The participant's local date.</param>
/// <param name="Scores">The total first, then any sub-scales.</param>
/// <param name="Answers">Raw answers by item; <c>null</c> when unanswered.</param>
public sealed record StoredQuestionnaire(string Participant, string TimePoint, string Instrument, DateTimeOffset Time, DateOnly LocalDate,
    IReadOnlyList<OutcomeScore> Scores, IReadOnlyDictionary<string, int?> Answers);

/// <summary>What became of a submitted questionnaire.</summary>
internal sealed record QuestionnaireResult(OutcomeRecord? Stored, IReadOnlyList<AnswerError> Invalid, string? NotOpen, WriteOutcome? Refused)
{
    public static QuestionnaireResult Closed(string why) => new(null, [], why, null);
}

/// <summary>
/// The questionnaires due for a participant, and their submission: validated and scored by the library,
/// stored as <c>adherence outcomes add</c> stores them. Shared by the API and the participant page.
/// </summary>
internal static class Questionnaires
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>The participant's due and overdue questionnaires on their local date at <paramref name="now"/>, in schedule order.</summary>
    public static async Task<IReadOnlyList<DueQuestionnaire>> DueAsync(Participant participant, ParticipantRegistry registry, InstrumentCatalog catalog, AdherenceReader reader,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var answered = OutcomeDue.Answered(await reader.OutcomesAsync(catalog.Instruments, participant, cancellationToken), participant.Id);
        return [.. OutcomeDue.ForParticipant(registry, participant, participant.LocalDate(now), answered)
            .Where(a => a.Status is AssessmentStatus.Due or AssessmentStatus.Overdue)
            .SelectMany(a => a.Missing.Select(id => Describe(a, catalog.Find(id)!)))];
    }

    /// <summary>
    /// Validates, scores and stores one questionnaire of the participant. Refused without storing anything
    /// when it is not due or overdue now, when an answer is invalid, or when too few items are answered
    /// for a score (the instrument's missing-item rule).
    /// </summary>
    public static async Task<QuestionnaireResult> SubmitAsync(Participant participant, string timePoint, string instrumentId, IReadOnlyDictionary<string, string?> answers,
        ParticipantRegistry registry, InstrumentCatalog catalog, AdherenceReader reader, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var today = participant.LocalDate(now);
        var answered = OutcomeDue.Answered(await reader.OutcomesAsync(catalog.Instruments, participant, cancellationToken), participant.Id);
        var assessment = OutcomeDue.ForParticipant(registry, participant, today, answered).FirstOrDefault(a => a.TimePoint.Id == timePoint);
        if (assessment is null || !assessment.TimePoint.Instruments.Contains(instrumentId) || catalog.Find(instrumentId) is not { } instrument)
        {
            return QuestionnaireResult.Closed($"'{instrumentId}' at '{timePoint}' is not in the outcome schedule of {participant.Id}.");
        }

        if (!assessment.Missing.Contains(instrumentId))
        {
            return QuestionnaireResult.Closed($"{instrumentId} at {timePoint} is already answered.");
        }

        if (assessment.Status == AssessmentStatus.Upcoming)
        {
            return QuestionnaireResult.Closed(string.Create(C, $"{instrumentId} at {timePoint} is not due yet: its window opens on {assessment.WindowStart:yyyy-MM-dd}."));
        }

        var parsed = InstrumentAnswers.TryParseItems(instrument, answers, out var errors);
        if (parsed is null)
        {
            return new QuestionnaireResult(null, errors, null, null);
        }

        if (TooFewAnswered(parsed) is { Count: > 0 } missing)
        {
            return new QuestionnaireResult(null, missing, null, null);
        }

        var record = OutcomeRecord.Create(registry, participant, timePoint, parsed, now);
        var outcome = await reader.StoreOutcomeAsync(record, cancellationToken);
        return outcome.Kind == WriteOutcomeKind.Accepted ? new QuestionnaireResult(record, [], null, null) : new QuestionnaireResult(null, [], null, outcome);
    }

    public static StoredQuestionnaire ToStored(OutcomeRecord record) =>
        new(record.Participant, record.TimePoint, record.Instrument, record.Time, record.LocalDate, record.Scores,
            record.Answers.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal));

    // A questionnaire without a total score is of no use to the trial, so the participant is asked for
    // the missing answers instead of storing it (staff entry may still store one, with the score missing).
    private static List<AnswerError> TooFewAnswered(InstrumentAnswers answers)
    {
        var rule = answers.Instrument.Total;
        if (answers.Score(rule).Value is not null)
        {
            return [];
        }

        var unanswered = rule.Items.Where(id => answers[id] is null).ToList();
        return rule.MinAnswered >= rule.Items.Count
            ? [.. unanswered.Select(id => new AnswerError(id, $"{answers.Instrument.Id}.{id}: expected an answer; every question is needed for a score"))]
            : [new AnswerError(unanswered[0], string.Create(C, $"{answers.Instrument.Id}: expected at least {rule.MinAnswered} of the {rule.Items.Count} questions answered"))];
    }

    private static DueQuestionnaire Describe(ScheduledAssessment assessment, Instrument instrument) =>
        new(assessment.TimePoint.Id, assessment.Status == AssessmentStatus.Due ? "due" : "overdue", assessment.TargetDate, assessment.WindowStart, assessment.WindowEnd,
            instrument.Id, instrument.Name, instrument.RecallPeriod,
            [.. instrument.Items.Select(i => new QuestionnaireItem(i.Id, i.Text, i.Min, i.Max, i.Anchors, i.NamedByRespondent))]);
}
