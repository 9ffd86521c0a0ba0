using System.Globalization;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Adherence;

/// <summary>When a pain report was given, relative to exercise.</summary>
public enum PainContext
{
    /// <summary>Just before a session.</summary>
    Pre,

    /// <summary>Just after a session.</summary>
    Post,

    /// <summary>The daily report, not tied to a session.</summary>
    Daily,
}

/// <summary>The 0–10 rating scales used for pain reports, and how their names are written.</summary>
public static class PainScale
{
    /// <summary>Lowest score of every item.</summary>
    public const int Min = 0;

    /// <summary>Highest score of every item.</summary>
    public const int Max = 10;

    /// <summary>The message for a score that is not an integer from 0 to 10; names the field and the range.</summary>
    public static string OutOfRange(string field, string found) =>
        $"{field}: expected an integer from {Min} to {Max}, found {found}";

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming <paramref name="field"/> unless 0 ≤ score ≤ 10.</summary>
    public static int Check(int score, string field) =>
        score is >= Min and <= Max
            ? score
            : throw new ArgumentOutOfRangeException(field, score, OutOfRange(field, score.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The name used on the command line and in stored tags: <c>pre</c>, <c>post</c>, <c>daily</c>.</summary>
    public static string Name(PainContext context) => context switch
    {
        PainContext.Pre => "pre",
        PainContext.Post => "post",
        PainContext.Daily => "daily",
        _ => throw new ArgumentOutOfRangeException(nameof(context), context, null),
    };

    /// <summary>Parses a context name; <c>null</c> when it is not one.</summary>
    public static PainContext? ParseContext(string? name) => name switch
    {
        "pre" => PainContext.Pre,
        "post" => PainContext.Post,
        "daily" => PainContext.Daily,
        _ => null,
    };
}

/// <summary>
/// The PEG-3 items (Pain average, interference with Enjoyment of life, interference with General
/// activity), each 0–10. A value outside 0–10 cannot be constructed.
/// </summary>
public sealed record Peg3
{
    /// <summary>Creates the answers; throws <see cref="ArgumentOutOfRangeException"/> naming the item and the range.</summary>
    public Peg3(int pain, int enjoyment, int activity)
    {
        Pain = PainScale.Check(pain, PainReport.PegPainField);
        Enjoyment = PainScale.Check(enjoyment, PainReport.PegEnjoymentField);
        Activity = PainScale.Check(activity, PainReport.PegActivityField);
    }

    /// <summary>Average pain in the past week, 0–10.</summary>
    public int Pain { get; }

    /// <summary>Interference with enjoyment of life, 0–10.</summary>
    public int Enjoyment { get; }

    /// <summary>Interference with general activity, 0–10.</summary>
    public int Activity { get; }

    /// <summary>The PEG score: the mean of the three items, 0–10.</summary>
    public double Score => (Pain + Enjoyment + Activity) / 3.0;
}

/// <summary>One problem with pain-report input: the field and what was expected.</summary>
/// <param name="Field">The field: <c>participant</c>, <c>nrs</c>, <c>peg</c>, <c>peg_pain</c>, <c>peg_enjoyment</c>, <c>peg_activity</c>, <c>context</c> or <c>at</c>.</param>
/// <param name="Message">The message, starting with the field name and giving the valid range.</param>
public sealed record PainReportError(string Field, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}

/// <summary>
/// A participant's pain report: NRS 0–10, optionally PEG-3, its context and its time. Stored as one
/// <c>pain_report</c> point whose timestamp is the report time, so sending it again overwrites instead
/// of duplicating. Out-of-range values are rejected, never clamped.
/// </summary>
public sealed record PainReport
{
    /// <summary>The InfluxDB measurement.</summary>
    public const string Measurement = "pain_report";

    /// <summary>Field and input names.</summary>
    public const string NrsField = "nrs", PegPainField = "peg_pain", PegEnjoymentField = "peg_enjoyment", PegActivityField = "peg_activity",
        PegScoreField = "peg_score", LocalDateField = "local_date";

    /// <summary>Tag names.</summary>
    public const string ParticipantTag = "participant", ArmTag = "arm", SiteTag = "site", ContextTag = "context";

    /// <summary>How far ahead of the clock a report time may be, for clocks that differ a little.</summary>
    public static readonly TimeSpan FutureTolerance = TimeSpan.FromMinutes(5);

    private PainReport(string participant, string arm, string site, int nrs, Peg3? peg, PainContext context, DateTimeOffset time, DateOnly localDate)
    {
        ArgumentException.ThrowIfNullOrEmpty(participant);
        ArgumentException.ThrowIfNullOrEmpty(arm);
        ArgumentException.ThrowIfNullOrEmpty(site);
        if (!ParticipantCode.IsValid(participant, out var problem))
        {
            throw new ArgumentException($"{ParticipantTag}: {problem}", nameof(participant));
        }

        Participant = participant;
        Arm = arm;
        Site = site;
        Nrs = PainScale.Check(nrs, NrsField);
        Peg = peg;
        Context = Enum.IsDefined(context) ? context : throw new ArgumentOutOfRangeException(nameof(context), context, "context: expected pre, post or daily");
        Time = time.ToUniversalTime();
        LocalDate = localDate;
    }

    /// <summary>The participant's code.</summary>
    public string Participant { get; }

    /// <summary>The participant's study arm when the report was made.</summary>
    public string Arm { get; }

    /// <summary>The participant's site.</summary>
    public string Site { get; }

    /// <summary>Pain intensity on the 0–10 numeric rating scale.</summary>
    public int Nrs { get; }

    /// <summary>The PEG-3 answers, when given.</summary>
    public Peg3? Peg { get; }

    /// <summary>Before a session, after it, or daily; lets session code link the report to the nearest session.</summary>
    public PainContext Context { get; }

    /// <summary>When the report was made (UTC); the stored timestamp.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>The participant's local date at <see cref="Time"/>, in the time zone then in force.</summary>
    public DateOnly LocalDate { get; }

    /// <summary>
    /// A report for a registered participant. Throws <see cref="ArgumentOutOfRangeException"/> naming
    /// the field and its range when a score is outside 0–10 or the time is outside enrolment.
    /// </summary>
    public static PainReport Create(Participant participant, int nrs, Peg3? peg, PainContext context, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(participant);
        var localDate = participant.LocalDate(time);
        if (!participant.IsEnrolledOn(localDate))
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, OutsideEnrolment(participant, localDate));
        }

        return new PainReport(participant.Id, participant.Arm, participant.Site, nrs, peg, context, time, localDate);
    }

    /// <summary>
    /// Validates pain-report input as typed by a person (all fields as text) and builds the report.
    /// Returns <c>null</c> and every problem otherwise; each message names the field and the valid range.
    /// </summary>
    /// <param name="registry">The participant registry; the participant must be in it.</param>
    /// <param name="participantId">The participant's code.</param>
    /// <param name="nrs">The NRS score, an integer 0–10.</param>
    /// <param name="peg">Optional PEG-3 as <c>P,E,G</c>.</param>
    /// <param name="context">Optional <c>pre</c>, <c>post</c> or <c>daily</c> (default <c>daily</c>).</param>
    /// <param name="at">Optional ISO 8601 time; with <c>Z</c> or an offset it is an instant, without one it is the participant's local time. Default: <paramref name="now"/>.</param>
    /// <param name="now">The current time, for the default and to refuse reports from the future.</param>
    /// <param name="errors">Every problem found.</param>
    public static PainReport? TryParse(ParticipantRegistry registry, string? participantId, string? nrs, string? peg, string? context, string? at, DateTimeOffset now,
        out IReadOnlyList<PainReportError> errors)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var list = new List<PainReportError>();
        errors = list;

        Participant? participant = null;
        if (!ParticipantCode.IsValid(participantId, out var problem))
        {
            list.Add(new(ParticipantTag, $"{ParticipantTag}: {problem}"));
        }
        else if ((participant = registry.Find(participantId)) is null)
        {
            list.Add(new(ParticipantTag, $"{ParticipantTag}: expected a participant of the registry {registry.SourcePath}; '{participantId}' is not in it"));
        }

        var score = Score(nrs, NrsField, list, required: true);
        Peg3? pegAnswers = null;
        if (peg is not null)
        {
            var parts = peg.Split(',');
            if (parts.Length != 3)
            {
                list.Add(new("peg", $"peg: expected three integers from {PainScale.Min} to {PainScale.Max} separated by commas (pain, enjoyment of life, general activity), found '{peg}'"));
            }
            else
            {
                var p = Score(parts[0], PegPainField, list, required: true);
                var e = Score(parts[1], PegEnjoymentField, list, required: true);
                var g = Score(parts[2], PegActivityField, list, required: true);
                pegAnswers = p is { } pv && e is { } ev && g is { } gv ? new Peg3(pv, ev, gv) : null;
            }
        }

        var ctx = context is null ? PainContext.Daily : PainScale.ParseContext(context);
        if (ctx is null)
        {
            list.Add(new(ContextTag, $"context: expected one of pre, post, daily, found '{context}'"));
        }

        DateTimeOffset? time = at is null ? now : null;
        if (at is not null && participant is not null)
        {
            time = ParseTime(at, participant, list);
        }

        if (time is { } t && t > now + FutureTolerance)
        {
            list.Add(new("at", $"at: expected a time no later than now ({now.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}), found {t.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}"));
            time = null;
        }

        if (time is { } tt && participant is not null && !participant.IsEnrolledOn(participant.LocalDate(tt)))
        {
            list.Add(new("at", "at: " + OutsideEnrolment(participant, participant.LocalDate(tt))));
        }

        if (list.Count > 0 || participant is null || score is null || ctx is null || time is null || (peg is not null && pegAnswers is null))
        {
            return null;
        }

        return Create(participant, score.Value, pegAnswers, ctx.Value, time.Value);
    }

    /// <summary>
    /// The report as a <c>pain_report</c> point, timestamped with the report time; with
    /// <paramref name="sessionStartNs"/>, linked to that session (see <see cref="PainSessionLink"/>).
    /// </summary>
    public Point ToPoint(long? sessionStartNs = null)
    {
        var point = Point.For(Measurement)
            .Tag(ParticipantTag, Participant)
            .Tag(ArmTag, Arm)
            .Tag(SiteTag, Site)
            .Tag(ContextTag, PainScale.Name(Context))
            .Field(NrsField, Nrs);
        if (Peg is { } peg)
        {
            point.Field(PegPainField, peg.Pain)
                .Field(PegEnjoymentField, peg.Enjoyment)
                .Field(PegActivityField, peg.Activity)
                .Field(PegScoreField, FieldValue.Float(peg.Score));
        }

        if (sessionStartNs is { } session)
        {
            point.Field("session_start_ns", session);
        }

        return point.Field(LocalDateField, LocalDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).At(Time);
    }

    /// <summary>
    /// Rebuilds a report from stored tags, fields and timestamp (as written by <see cref="ToPoint"/>),
    /// validating every value again. Throws <see cref="FormatException"/> or <see cref="ArgumentException"/>
    /// naming the field when the data is not a valid report.
    /// </summary>
    public static PainReport FromStored(IReadOnlyDictionary<string, string> tags, IReadOnlyDictionary<string, FieldValue> fields, long timestampNs)
    {
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(fields);
        var context = PainScale.ParseContext(Tag(ContextTag)) ?? throw new FormatException($"{ContextTag}: expected pre, post or daily, found '{Tag(ContextTag)}'");
        var localDate = DateOnly.TryParseExact(Field(LocalDateField).AsString, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : throw new FormatException($"{LocalDateField}: expected a date YYYY-MM-DD, found '{Field(LocalDateField).AsString}'");
        Peg3? peg = fields.ContainsKey(PegPainField) ? new Peg3(Int(PegPainField), Int(PegEnjoymentField), Int(PegActivityField)) : null;
        return new PainReport(Tag(ParticipantTag), Tag(ArmTag), Tag(SiteTag), Int(NrsField), peg, context, Point.FromTimestampNs(timestampNs), localDate);

        string Tag(string key) => tags.TryGetValue(key, out var v) ? v : throw new FormatException($"{key}: the tag is missing");
        FieldValue Field(string key) => fields.TryGetValue(key, out var v) ? v : throw new FormatException($"{key}: the field is missing");
        int Int(string key)
        {
            var value = Field(key).AsInteger;
            return value is >= int.MinValue and <= int.MaxValue ? (int)value : throw new FormatException(PainScale.OutOfRange(key, value.ToString(CultureInfo.InvariantCulture)));
        }
    }

    private static int? Score(string? text, string field, List<PainReportError> errors, bool required)
    {
        if (text is null)
        {
            if (required)
            {
                errors.Add(new(field, PainScale.OutOfRange(field, "nothing")));
            }

            return null;
        }

        if (int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value is >= PainScale.Min and <= PainScale.Max)
        {
            return value;
        }

        errors.Add(new(field, PainScale.OutOfRange(field, $"'{text}'")));
        return null;
    }

    private static DateTimeOffset? ParseTime(string text, Participant participant, List<PainReportError> errors)
    {
        const string Expected = "at: expected an ISO 8601 time such as 2026-03-20T07:30:00Z, 2026-03-20T08:30:00+01:00 or (in the participant's local time) 2026-03-20T08:30";
        if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed))
        {
            errors.Add(new("at", $"{Expected}, found '{text}'"));
            return null;
        }

        if (parsed.Kind != DateTimeKind.Unspecified)
        {
            return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime();
        }

        var zone = participant.TimeZoneOn(DateOnly.FromDateTime(parsed));
        if (zone.IsInvalidTime(parsed))
        {
            errors.Add(new("at", $"at: {parsed:yyyy-MM-ddTHH:mm} does not exist in {zone.Id} (the clocks skip it); give a UTC time or an offset"));
            return null;
        }

        if (zone.IsAmbiguousTime(parsed))
        {
            errors.Add(new("at", $"at: {parsed:yyyy-MM-ddTHH:mm} happens twice in {zone.Id} (the clocks go back); give a UTC time or an offset"));
            return null;
        }

        return new DateTimeOffset(parsed, zone.GetUtcOffset(parsed)).ToUniversalTime();
    }

    private static string OutsideEnrolment(Participant participant, DateOnly localDate) =>
        string.Create(CultureInfo.InvariantCulture,
            $"expected a time within the enrolment of {participant.Id} ({participant.EnrolmentStart:yyyy-MM-dd} to {(participant.EnrolmentEnd is { } e ? e.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "open")}, local dates), found local date {localDate:yyyy-MM-dd}");
}
