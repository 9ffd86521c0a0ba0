using System.Globalization;
using AdherencePipeline.Adherence;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Outcomes;

/// <summary>
/// One completed questionnaire of one participant at one scheduled time point: the scores the library
/// computed and the raw answers, kept so the questionnaire can be re-scored. Stored as an
/// <c>outcome</c> point (see docs/schema.md).
/// </summary>
public sealed record OutcomeRecord
{
    /// <summary>The measurement name.</summary>
    public const string Measurement = "outcome";

    /// <summary>Field prefix of a raw answer: <c>item_pain</c>.</summary>
    public const string ItemPrefix = "item_";

    /// <summary>Field prefix of a sub-scale score: <c>sub_mood</c>.</summary>
    public const string SubscalePrefix = "sub_";

    /// <summary>Suffix of a score on the instrument's 0–100 scale.</summary>
    public const string TransformedSuffix = "_100";

    internal OutcomeRecord(string participant, string arm, string site, string instrument, string timePoint, DateTimeOffset time, DateOnly localDate,
        IReadOnlyList<OutcomeScore> scores, IReadOnlyList<KeyValuePair<string, int?>> answers)
    {
        Participant = participant;
        Arm = arm;
        Site = site;
        Instrument = instrument;
        TimePoint = timePoint;
        Time = time;
        LocalDate = localDate;
        Scores = scores;
        Answers = answers;
    }

    /// <summary>The participant's code.</summary>
    public string Participant { get; }

    /// <summary>The participant's arm.</summary>
    public string Arm { get; }

    /// <summary>The participant's site.</summary>
    public string Site { get; }

    /// <summary>The instrument id.</summary>
    public string Instrument { get; }

    /// <summary>The scheduled time point, e.g. <c>baseline</c>.</summary>
    public string TimePoint { get; }

    /// <summary>When the questionnaire was answered (UTC).</summary>
    public DateTimeOffset Time { get; }

    /// <summary>The participant's local date then.</summary>
    public DateOnly LocalDate { get; }

    /// <summary>The total first, then the sub-scales.</summary>
    public IReadOnlyList<OutcomeScore> Scores { get; }

    /// <summary>Raw answers in item order; <c>null</c> when unanswered.</summary>
    public IReadOnlyList<KeyValuePair<string, int?>> Answers { get; }

    /// <summary>The total score, <c>null</c> when the missing-item rule left it out.</summary>
    public OutcomeScore Total => Scores[0];

    /// <summary>
    /// Scores validated answers of a participant at a time point of their arm's schedule. Throws
    /// <see cref="ArgumentException"/> when the time point is not in the schedule or does not ask for
    /// this instrument.
    /// </summary>
    public static OutcomeRecord Create(ParticipantRegistry registry, Participant participant, string timePoint, InstrumentAnswers answers, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(answers);
        var schedule = registry.OutcomeSchedule(participant.Arm);
        var point = schedule.FirstOrDefault(t => t.Id == timePoint)
            ?? throw new ArgumentException(schedule.Count == 0
                ? $"arm '{participant.Arm}' has no outcome schedule in the registry"
                : $"time point '{timePoint}' is not in the outcome schedule of arm '{participant.Arm}' ({string.Join(", ", schedule.Select(t => t.Id))})", nameof(timePoint));
        if (!point.Instruments.Contains(answers.Instrument.Id))
        {
            throw new ArgumentException($"time point '{timePoint}' of arm '{participant.Arm}' asks for {string.Join(", ", point.Instruments)}, not {answers.Instrument.Id}", nameof(answers));
        }

        return new OutcomeRecord(participant.Id, participant.Arm, participant.Site, answers.Instrument.Id, timePoint, time, participant.LocalDate(time),
            answers.Score(), [.. answers.Items.Select(a => KeyValuePair.Create(a.Item.Id, a.Answer))]);
    }

    /// <summary>The <c>outcome</c> point: tags participant, arm, site, instrument, time_point; scores, answers and local date as fields.</summary>
    public Point ToPoint()
    {
        var point = Point.For(Measurement)
            .Tag("participant", Participant)
            .Tag("arm", Arm)
            .Tag("site", Site)
            .Tag("instrument", Instrument)
            .Tag("time_point", TimePoint)
            .Field("answered", Total.Answered);
        foreach (var score in Scores)
        {
            var name = score.Id == "total" ? "score" : SubscalePrefix + score.Id;
            if (score.Value is { } value)
            {
                point.Field(name, FieldValue.Float(value));
            }

            if (score.Transformed is { } transformed)
            {
                point.Field(name + TransformedSuffix, FieldValue.Float(transformed));
            }
        }

        foreach (var (item, answer) in Answers)
        {
            if (answer is { } a)
            {
                point.Field(ItemPrefix + item, a);
            }
        }

        return point.Field("local_date", LocalDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).At(Time);
    }

    /// <summary>
    /// Rebuilds a record from a stored row, re-scoring the raw answers with the instrument as it is now
    /// (so a corrected scoring rule applies to old data). Throws <see cref="FormatException"/> naming the
    /// field when a stored answer is no longer valid for the instrument.
    /// </summary>
    public static OutcomeRecord FromStored(IReadOnlyDictionary<string, string> tags, Func<string, long?> integerField, string localDate, long timestampNs, Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(integerField);
        ArgumentNullException.ThrowIfNull(instrument);
        var raw = instrument.Items.ToDictionary(i => i.Id, i => integerField(ItemPrefix + i.Id) is { } v ? (int?)checked((int)v) : null, StringComparer.Ordinal);
        var answers = InstrumentAnswers.TryCreate(instrument, raw, out var errors)
            ?? throw new FormatException($"stored {Measurement} of {tags["participant"]} at {tags["time_point"]}: {string.Join("; ", errors)}");
        var date = DateOnly.TryParseExact(localDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : throw new FormatException($"local_date: expected a date YYYY-MM-DD, found '{localDate}'");
        return new OutcomeRecord(tags["participant"], tags["arm"], tags["site"], instrument.Id, tags["time_point"], Point.FromTimestampNs(timestampNs), date,
            answers.Score(), [.. answers.Items.Select(a => KeyValuePair.Create(a.Item.Id, a.Answer))]);
    }
}
