using System.Globalization;
using System.Text.Json;
using AdherencePipeline.Adherence;
using AdherencePipeline.Outcomes;
using AdherencePipeline.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace AdherencePipeline.Service.Web;

/// <summary>A participant as the API shows them: registry facts and the prescription in force, never personal data.</summary>
public sealed record ParticipantInfo(string Participant, string Arm, string Site, DateOnly EnrolmentStart, DateOnly? EnrolmentEnd, string TimeZone, PrescriptionInfo? Prescription);

/// <summary>A prescription: sessions a week, minutes each, the zone to reach.</summary>
public sealed record PrescriptionInfo(int SessionsPerWeek, int MinutesPerSession, string TargetZone);

/// <summary>A participant's own view: this week's adherence against the goal and the recent sessions.</summary>
public sealed record ParticipantSummary(string Participant, string Week, PrescriptionInfo? Prescription, WeekAdherence? ThisWeek, IReadOnlyList<SessionSummary> RecentSessions);

/// <summary>One row of the researcher's cohort table.</summary>
/// <param name="Participant">Code.</param>
/// <param name="Arm">Study arm.</param>
/// <param name="AdherencePct">This week's adherence %, null without a figure.</param>
/// <param name="PreviousPct">Last week's adherence %, for the trend.</param>
/// <param name="LastSession">Start of the most recent session.</param>
/// <param name="Flags">Data-quality flags: <c>possibly_dropped_out</c>, <c>no_session_14d</c>, and session flags seen in the last four weeks.</param>
/// <param name="LastValidWear">The last second with a valid heart rate, or null when there has never been one.</param>
/// <param name="PossiblyDroppedOut">Enrolled, and no valid wear for <c>Analysis:DropoutDays</c> days (counted from the enrolment start without any wear).</param>
/// <param name="DaysWithoutWear">Whole days without valid wear when flagged, else null.</param>
public sealed record CohortRow(string Participant, string Arm, double? AdherencePct, double? PreviousPct, DateTimeOffset? LastSession, IReadOnlyList<string> Flags,
    DateTimeOffset? LastValidWear, bool PossiblyDroppedOut, int? DaysWithoutWear);

/// <summary>A pain report as submitted to the API; every value is checked and refused with the field named when out of range.</summary>
/// <param name="Nrs">Pain intensity, an integer 0–10 (required).</param>
/// <param name="PegPain">PEG-3 average pain 0–10; the three PEG items go together.</param>
/// <param name="PegEnjoyment">PEG-3 interference with enjoyment of life 0–10.</param>
/// <param name="PegActivity">PEG-3 interference with general activity 0–10.</param>
/// <param name="Context"><c>pre</c>, <c>post</c> or <c>daily</c> (default).</param>
public sealed record PainSubmission(JsonElement? Nrs, JsonElement? PegPain, JsonElement? PegEnjoyment, JsonElement? PegActivity, string? Context);

/// <summary>Sign-in with a participant code and access code.</summary>
public sealed record ParticipantCredentials(string? Participant, string? Code);

/// <summary>The JSON and CSV endpoints under <c>/api</c>.</summary>
internal static class AdherenceApi
{
    private const int DefaultWeeks = 8;
    private static readonly TimeSpan MaxRange = TimeSpan.FromDays(366), MaxActivityRange = TimeSpan.FromDays(31);

    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("adherence");
        api.MapPost("/sign-in", SignInAsync).AllowAnonymous().RequireRateLimiting(WebRegistration.SignInLimit)
            .WithSummary("Signs a participant in with their access code; sets the sign-in cookie.");
        api.MapPost("/sign-out", async (HttpContext context) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.NoContent();
        }).RequireAuthorization(WebRegistration.AnyonePolicy);

        api.MapGet("/participants", (ParticipantRegistry registry, TimeProvider time) =>
            TypedResults.Ok(registry.Participants.Select(p => Info(p, time.GetUtcNow())).ToList()))
            .RequireAuthorization(WebRegistration.ResearcherPolicy).WithSummary("Every participant of the registry.");
        api.MapGet("/cohort", async (ParticipantRegistry registry, AdherenceReader reader, TimeProvider time, IOptions<AnalysisOptions> analysis, CancellationToken cancellationToken) =>
            await Guard(async () => TypedResults.Ok(await CohortAsync(registry, reader, time.GetUtcNow(), analysis.Value.DropoutDays, cancellationToken))))
            .RequireAuthorization(WebRegistration.ResearcherPolicy).WithSummary("This week's adherence, trend, last session, possible drop-out and data-quality flags per participant.");

        var one = api.MapGroup("/participants/{participant}");
        one.MapGet("/summary", ReadSummaryAsync).RequireAuthorization(WebRegistration.AnyonePolicy)
            .WithSummary("This week's adherence against the goal and the recent sessions; a participant may read only their own.");
        one.MapPost("/pain", SubmitPainAsync).RequireAuthorization(WebRegistration.ParticipantPolicy)
            .WithSummary("A participant submits their own pain report; 201 means it is stored.");
        one.MapGet("/questionnaires", ReadDueQuestionnairesAsync).RequireAuthorization(WebRegistration.AnyonePolicy)
            .WithSummary("The questionnaires due or overdue today (participant's date), with their items; a participant may read only their own.");
        one.MapPost("/questionnaires/{timePoint}/{instrument}", SubmitQuestionnaireAsync).RequireAuthorization(WebRegistration.ParticipantPolicy)
            .WithSummary("A participant answers one of their due questionnaires; 201 means it is scored and stored.");
        one.MapGet("/outcomes", ReadOutcomesAsync).RequireAuthorization(WebRegistration.ResearcherPolicy)
            .WithSummary("The participant's stored questionnaires with their scores (re-scored with the current instrument files).");

        MapRead(one, "sessions", "session", async (r, p, from, to, ct) => (object)await r.SessionsAsync(p, from, to, ct), MaxRange);
        MapRead(one, "adherence", "adherence", async (r, p, from, to, ct) => (object)await r.WeeksAsync(p, MondayOf(p.LocalDate(from)), MondayOf(p.LocalDate(to.AddTicks(-1))), ct), MaxRange);
        MapRead(one, "pain", "pain_report", async (r, p, from, to, ct) => (object)await r.PainAsync(p, from, to, ct), MaxRange);
        MapRead(one, "activity", "activity", async (r, p, from, to, ct) => (object)await r.ActivityAsync(p, from, to, ct), MaxActivityRange);
    }

    internal static DateOnly MondayOf(DateOnly date) => date.AddDays(-(((int)date.DayOfWeek + 6) % 7));

    internal static ParticipantInfo Info(Participant p, DateTimeOffset now)
    {
        var today = p.LocalDate(now);
        return new(p.Id, p.Arm, p.Site, p.EnrolmentStart, p.EnrolmentEnd, p.TimeZoneAt(now).Id, Prescription(p, today));
    }

    internal static PrescriptionInfo? Prescription(Participant p, DateOnly date) =>
        p.PrescriptionOn(date) is { } rx ? new(rx.SessionsPerWeek, rx.MinutesPerSession, IntensityZones.Name(rx.TargetZone)) : null;

    internal static async Task<ParticipantSummary> SummaryAsync(Participant participant, AdherenceReader reader, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var monday = MondayOf(participant.LocalDate(now));
        var weeks = await reader.WeeksAsync(participant, monday, monday, cancellationToken);
        var sessions = await reader.SessionsAsync(participant, now.AddDays(-28), now.AddMinutes(1), cancellationToken);
        var label = AdherenceCalculator.WeekLabel(monday);
        return new(participant.Id, label, Prescription(participant, monday.AddDays(3)), weeks.FirstOrDefault(w => w.Week == label), [.. sessions.Reverse().Take(10)]);
    }

    internal static async Task<IReadOnlyList<CohortRow>> CohortAsync(ParticipantRegistry registry, AdherenceReader reader, DateTimeOffset now, int dropoutDays, CancellationToken cancellationToken)
    {
        var lastWear = await reader.LastValidWearAsync(now, cancellationToken);
        var dropouts = OutcomeSummary.Dropouts(registry, lastWear, now, dropoutDays).ToDictionary(d => d.Participant, StringComparer.Ordinal);
        var rows = new List<CohortRow>();
        foreach (var p in registry.Participants)
        {
            var monday = MondayOf(p.LocalDate(now));
            var weeks = await reader.WeeksAsync(p, monday.AddDays(-7), monday, cancellationToken);
            var last = await reader.LastSessionAsync(p, cancellationToken);
            var sessions = await reader.SessionsAsync(p, now.AddDays(-28), now.AddMinutes(1), cancellationToken);
            var flags = sessions.SelectMany(s => s.Quality.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Where(q => q != "ok").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (p.IsEnrolledOn(p.LocalDate(now)) && (last is null || now - last > TimeSpan.FromDays(14)))
            {
                flags.Insert(0, "no_session_14d");
            }

            var dropout = dropouts.GetValueOrDefault(p.Id);
            if (dropout is not null)
            {
                flags.Insert(0, "possibly_dropped_out");
            }

            rows.Add(new(p.Id, p.Arm, weeks.FirstOrDefault(w => w.Week == AdherenceCalculator.WeekLabel(monday))?.AdherencePct,
                weeks.FirstOrDefault(w => w.Week == AdherenceCalculator.WeekLabel(monday.AddDays(-7)))?.AdherencePct, last, flags,
                lastWear.TryGetValue(p.Id, out var wear) ? wear : null, dropout is not null, dropout?.DaysWithoutWear));
        }

        return rows;
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SignInAsync(ParticipantCredentials credentials, HttpContext context)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(credentials.Participant))
        {
            errors["participant"] = ["participant: required, the participant's code such as P001"];
        }

        if (string.IsNullOrEmpty(credentials.Code))
        {
            errors["code"] = ["code: required, the access code given by the study team"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return await SignIn.ParticipantAsync(context, credentials.Participant!, credentials.Code!)
            ? TypedResults.NoContent()
            : TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in refused", detail: "The participant code or access code is not right.");
    }

    private static async Task<Results<Ok<ParticipantSummary>, ForbidHttpResult, ValidationProblem, ProblemHttpResult>> ReadSummaryAsync(
        string participant, HttpContext context, ParticipantRegistry registry, AdherenceReader reader, TimeProvider time, CancellationToken cancellationToken)
    {
        if (NotACode(participant) is { } invalid)
        {
            return invalid;
        }

        if (!SignIn.MaySee(context.User, participant))
        {
            return TypedResults.Forbid();
        }

        if (registry.Find(participant) is not { } p)
        {
            return NotRegistered(participant);
        }

        try
        {
            return TypedResults.Ok(await SummaryAsync(p, reader, time.GetUtcNow(), cancellationToken));
        }
        catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException)
        {
            return Unavailable(reader, ex);
        }
    }

    private static async Task<Results<Created<PainEntry>, ForbidHttpResult, ValidationProblem, ProblemHttpResult>> SubmitPainAsync(
        string participant, PainSubmission submission, HttpContext context, ParticipantRegistry registry, AdherenceReader reader, TimeProvider time, CancellationToken cancellationToken)
    {
        if (SignIn.ParticipantOf(context.User) != participant)
        {
            return TypedResults.Forbid();
        }

        string? peg = null;
        if (submission.PegPain is not null || submission.PegEnjoyment is not null || submission.PegActivity is not null)
        {
            peg = $"{Raw(submission.PegPain)},{Raw(submission.PegEnjoyment)},{Raw(submission.PegActivity)}";
        }

        var report = PainReport.TryParse(registry, participant, Raw(submission.Nrs), peg, submission.Context, null, time.GetUtcNow(), out var problems);
        if (report is null)
        {
            return TypedResults.ValidationProblem(problems.GroupBy(p => p.Field, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray(), StringComparer.Ordinal));
        }

        var stored = await StoreAsync(reader, report, cancellationToken);
        if (stored is not null)
        {
            return stored;
        }

        var entry = new PainEntry(report.Time, PainScale.Name(report.Context), report.Nrs, report.Peg?.Pain, report.Peg?.Enjoyment, report.Peg?.Activity,
            report.LocalDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        return TypedResults.Created($"/api/participants/{participant}/pain", entry);
    }

    private static async Task<Results<Ok<IReadOnlyList<DueQuestionnaire>>, ForbidHttpResult, ProblemHttpResult>> ReadDueQuestionnairesAsync(
        string participant, HttpContext context, ParticipantRegistry registry, InstrumentCatalog catalog, AdherenceReader reader, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!SignIn.MaySee(context.User, participant))
        {
            return TypedResults.Forbid();
        }

        if (registry.Find(participant) is not { } p)
        {
            return NotRegistered(participant);
        }

        try
        {
            return TypedResults.Ok(await Questionnaires.DueAsync(p, registry, catalog, reader, time.GetUtcNow(), cancellationToken));
        }
        catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException)
        {
            return Unavailable(reader, ex);
        }
        catch (FormatException ex)
        {
            return MisfitStored(ex);
        }
    }

    private static async Task<Results<Created<StoredQuestionnaire>, ForbidHttpResult, ValidationProblem, ProblemHttpResult>> SubmitQuestionnaireAsync(
        string participant, string timePoint, string instrument, QuestionnaireSubmission submission, HttpContext context, ParticipantRegistry registry, InstrumentCatalog catalog,
        AdherenceReader reader, TimeProvider time, CancellationToken cancellationToken)
    {
        if (SignIn.ParticipantOf(context.User) != participant)
        {
            return TypedResults.Forbid();
        }

        var answers = (submission.Answers ?? new Dictionary<string, JsonElement>()).ToDictionary(a => a.Key, a => Raw(a.Value), StringComparer.Ordinal);
        QuestionnaireResult result;
        try
        {
            result = await Questionnaires.SubmitAsync(registry.Get(participant), timePoint, instrument, answers, registry, catalog, reader, time.GetUtcNow(), cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException)
        {
            return Unavailable(reader, ex);
        }
        catch (FormatException ex)
        {
            return MisfitStored(ex);
        }

        if (result.NotOpen is { } why)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Questionnaire not open", detail: why + " Nothing was stored.");
        }

        if (result.Invalid.Count > 0)
        {
            return TypedResults.ValidationProblem(result.Invalid.GroupBy(e => e.Item, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray(), StringComparer.Ordinal));
        }

        if (result.Refused is { } refused)
        {
            return NotStored(reader, refused);
        }

        return TypedResults.Created($"/api/participants/{participant}/outcomes", Questionnaires.ToStored(result.Stored!));
    }

    private static async Task<Results<Ok<IReadOnlyList<StoredQuestionnaire>>, ProblemHttpResult>> ReadOutcomesAsync(
        string participant, ParticipantRegistry registry, InstrumentCatalog catalog, AdherenceReader reader, CancellationToken cancellationToken)
    {
        if (registry.Find(participant) is not { } p)
        {
            return NotRegistered(participant);
        }

        try
        {
            var records = await reader.OutcomesAsync(catalog.Instruments, p, cancellationToken);
            return TypedResults.Ok<IReadOnlyList<StoredQuestionnaire>>([.. records.Select(Questionnaires.ToStored)]);
        }
        catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException)
        {
            return Unavailable(reader, ex);
        }
        catch (FormatException ex)
        {
            return MisfitStored(ex);
        }
    }

    // A stored answer outside the range of the instrument file as it is now: the file was changed under stored data.
    private static ProblemHttpResult MisfitStored(FormatException exception) =>
        TypedResults.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "A stored questionnaire does not fit its instrument file", detail: exception.Message);

    /// <summary>The answer when InfluxDB did not accept a write: 503 when it is away, 502 when it refused.</summary>
    internal static ProblemHttpResult NotStored(AdherenceReader reader, WriteOutcome outcome) =>
        outcome.Kind == WriteOutcomeKind.Retry || outcome.StatusCode is null
            ? Unavailable(reader, null)
            : TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Not stored", detail: $"InfluxDB refused it (HTTP {outcome.StatusCode}).");

    /// <summary>Stores a report synchronously; null when stored, else the problem to answer (503 when InfluxDB is away).</summary>
    internal static async Task<ProblemHttpResult?> StoreAsync(AdherenceReader reader, PainReport report, CancellationToken cancellationToken)
    {
        WriteOutcome outcome;
        try
        {
            outcome = await reader.StorePainAsync(report, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException)
        {
            return Unavailable(reader, ex);
        }

        return outcome.Kind == WriteOutcomeKind.Accepted
            ? null
            : outcome.Kind == WriteOutcomeKind.Retry || outcome.StatusCode is null
                ? Unavailable(reader, null)
                : TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "The report was not stored", detail: $"InfluxDB refused it (HTTP {outcome.StatusCode}).");
    }

    // A JSON value as the text a person would have typed, so PainReport's parser gives the same messages as the CLI.
    private static string? Raw(JsonElement? value) => value switch
    {
        null => null,
        { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        { } v => v.GetRawText(),
    };

    private delegate Task<object> Read(AdherenceReader reader, Participant participant, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);

    // One JSON and one CSV endpoint per measurement, researchers only, with from/to checked and the range bounded.
    private static void MapRead(RouteGroupBuilder group, string name, string measurement, Read read, TimeSpan maxRange)
    {
        group.MapGet("/" + name, async (string participant, string? from, string? to, ParticipantRegistry registry, AdherenceReader reader, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var (p, start, end, problem) = Resolve(participant, from, to, registry, time, maxRange);
            return problem ?? await Guard<IResult>(async () => TypedResults.Ok(await read(reader, p!, start, end, cancellationToken)));
        }).RequireAuthorization(WebRegistration.ResearcherPolicy).WithSummary($"The participant's stored {name} between from and to (ISO 8601; default the last {DefaultWeeks} weeks).");

        group.MapGet("/" + name + ".csv", async (string participant, string? from, string? to, ParticipantRegistry registry, AdherenceReader reader, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var (p, start, end, problem) = Resolve(participant, from, to, registry, time, maxRange);
            return problem ?? await Guard<IResult>(async () => TypedResults.Text(
                await reader.CsvAsync(measurement, p!, start, end, measurement == "adherence" ? "week" : null, cancellationToken), "text/csv; charset=utf-8"));
        }).RequireAuthorization(WebRegistration.ResearcherPolicy).WithSummary($"The same {name} as CSV, columns as in 'adherence query {name} --format csv'.");
    }

    private static (Participant? Participant, DateTimeOffset From, DateTimeOffset To, IResult? Problem) Resolve(string participant, string? from, string? to,
        ParticipantRegistry registry, TimeProvider time, TimeSpan maxRange)
    {
        if (NotACode(participant) is { } invalid)
        {
            return (null, default, default, invalid);
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        // Reports may carry a time a little ahead of the server's clock; the default end includes them.
        var end = ParseTime("to", to, now + PainReport.FutureTolerance, errors);
        var start = ParseTime("from", from, end.AddDays(-7 * DefaultWeeks), errors);
        if (errors.Count == 0 && start >= end)
        {
            errors["from"] = ["from: expected a time before 'to'"];
        }
        else if (errors.Count == 0 && end - start > maxRange)
        {
            errors["to"] = [$"to: expected at most {maxRange.TotalDays:0} days after 'from'"];
        }

        if (errors.Count > 0)
        {
            return (null, start, end, TypedResults.ValidationProblem(errors));
        }

        return registry.Find(participant) is { } p ? (p, start, end, null) : (null, start, end, NotRegistered(participant));
    }

    private static DateTimeOffset ParseTime(string field, string? text, DateTimeOffset fallback, Dictionary<string, string[]> errors)
    {
        if (text is null)
        {
            return fallback;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return time;
        }

        errors[field] = [$"{field}: expected an ISO 8601 date or time such as 2026-03-02 or 2026-03-02T08:00:00Z, found '{text}'"];
        return fallback;
    }

    // Codes reach InfluxDB only as bound parameters; a value that is not a code at all is refused before
    // any lookup, so an attempt such as "P001' OR 1=1 --" gets a 400 naming the field and runs no query.
    private static ValidationProblem? NotACode(string participant) =>
        ParticipantCode.IsValid(participant, out var problem)
            ? null
            : TypedResults.ValidationProblem(new Dictionary<string, string[]>(StringComparer.Ordinal) { ["participant"] = [$"participant: {problem}"] });

    private static ProblemHttpResult NotRegistered(string participant) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown participant", detail: $"participant: '{participant}' is not in the registry.");

    // Unreachable and refusing (e.g. the database does not exist yet) are told apart, since only the first passes by itself.
    private static ProblemHttpResult Unavailable(AdherenceReader reader, Exception? exception) => exception is InfluxQueryException refused
        ? TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Storage refused the request", detail: $"{reader.Description} answered: {refused.ServerMessage ?? refused.Message}; nothing was read or stored.")
        : TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Storage unavailable", detail: $"{reader.Description} did not answer; nothing was read or stored.");

    private static async Task<IResult> Guard<T>(Func<Task<T>> action)
        where T : IResult
    {
        try
        {
            return await action();
        }
        catch (HttpRequestException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Storage unavailable", detail: "InfluxDB did not answer; nothing was read.");
        }
        catch (InfluxQueryException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Storage refused the request", detail: $"InfluxDB answered: {ex.ServerMessage ?? ex.Message}; nothing was read.");
        }
    }
}
