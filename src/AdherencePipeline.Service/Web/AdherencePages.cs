using System.Globalization;
using System.Net;
using System.Text;
using AdherencePipeline.Adherence;
using AdherencePipeline.Outcomes;
using AdherencePipeline.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AdherencePipeline.Service.Web;

/// <summary>
/// Server-rendered HTML pages: sign-in, the participant's phone page, the researcher's cohort and
/// participant pages. Plain forms and SVG, so they work with the keyboard and without script.
/// </summary>
internal static class AdherencePages
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext context) => Results.Redirect(
            context.User.IsInRole(WebRegistration.ResearcherRole) ? "/researcher" : context.User.IsInRole(WebRegistration.ParticipantRole) ? "/me" : "/sign-in")).AllowAnonymous();
        app.MapGet("/sign-in", (HttpContext context) => Page("Sign in", SignInBody(context, null))).AllowAnonymous();
        app.MapPost("/sign-in", async ([FromForm] string? participant, [FromForm] string? code, [FromForm] string? token, HttpContext context) =>
        {
            if (!string.IsNullOrEmpty(token))
            {
                return await SignIn.ResearcherAsync(context, token) ? Results.Redirect("/researcher") : Page("Sign in", SignInBody(context, "That researcher token is not right."), 401);
            }

            if (string.IsNullOrWhiteSpace(participant) || string.IsNullOrEmpty(code))
            {
                return Page("Sign in", SignInBody(context, "Enter your participant code and your access code."), 400);
            }

            return await SignIn.ParticipantAsync(context, participant.Trim(), code)
                ? Results.Redirect("/me")
                : Page("Sign in", SignInBody(context, "The participant code or access code is not right."), 401);
        }).AllowAnonymous().RequireRateLimiting(WebRegistration.SignInLimit);
        app.MapPost("/sign-out", async (HttpContext context) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/sign-in");
        }).RequireAuthorization(WebRegistration.AnyonePolicy);

        app.MapGet("/me", async (HttpContext context, ParticipantRegistry registry, AdherenceReader reader, TimeProvider time, string? stored, CancellationToken cancellationToken) =>
            await ParticipantPageAsync(context, registry, reader, time, null, stored switch
            {
                "1" => "Thank you — your pain report is stored.",
                "questionnaire" => "Thank you — your questionnaire is stored.",
                _ => null,
            }, 200, cancellationToken))
            .RequireAuthorization(WebRegistration.ParticipantPolicy);
        app.MapGet("/me/questionnaires/{timePoint}/{instrument}", async (string timePoint, string instrument, HttpContext context, ParticipantRegistry registry,
            InstrumentCatalog catalog, AdherenceReader reader, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var participant = registry.Get(SignIn.ParticipantOf(context.User)!);
            IReadOnlyList<DueQuestionnaire> due;
            try
            {
                due = await Questionnaires.DueAsync(participant, registry, catalog, reader, time.GetUtcNow(), cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException or FormatException)
            {
                return StorageUnavailable(reader);
            }

            return due.FirstOrDefault(q => q.TimePoint == timePoint && q.Instrument == instrument) is { } questionnaire
                ? Page(questionnaire.Name, QuestionnaireBody(context, questionnaire, new Dictionary<string, string?>(StringComparer.Ordinal), []))
                : NotOpenPage("This questionnaire is not open for you now: it is answered already, not due yet, or not in your schedule.");
        }).RequireAuthorization(WebRegistration.ParticipantPolicy);
        app.MapPost("/me/questionnaires/{timePoint}/{instrument}", async (string timePoint, string instrument, IFormCollection form, HttpContext context, ParticipantRegistry registry,
            InstrumentCatalog catalog, AdherenceReader reader, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var participant = registry.Get(SignIn.ParticipantOf(context.User)!);
            try
            {
                var due = await Questionnaires.DueAsync(participant, registry, catalog, reader, time.GetUtcNow(), cancellationToken);
                if (due.FirstOrDefault(q => q.TimePoint == timePoint && q.Instrument == instrument) is not { } questionnaire)
                {
                    return NotOpenPage("This questionnaire is not open for you now: it is answered already, not due yet, or not in your schedule. Nothing was stored.");
                }

                // What the participant typed, kept so that a page with errors shows it again.
                var typed = new Dictionary<string, string?>(StringComparer.Ordinal);
                foreach (var (key, value) in form)
                {
                    if (key.StartsWith(AnswerPrefix, StringComparison.Ordinal) || key.StartsWith(NamePrefix, StringComparison.Ordinal))
                    {
                        typed[key] = value.ToString();
                    }
                }

                var answers = questionnaire.Items.ToDictionary(i => i.Id, i => typed.GetValueOrDefault(AnswerPrefix + i.Id), StringComparer.Ordinal);
                var nameErrors = ActivityNameErrors(questionnaire, typed);
                if (nameErrors.Count > 0)
                {
                    // Shown together with any invalid answer, so one round of corrections is enough.
                    InstrumentAnswers.TryParseItems(catalog.Find(instrument)!, answers, out var answerErrors);
                    var order = questionnaire.Items.Select(i => i.Id).ToList();
                    return Page(questionnaire.Name, QuestionnaireBody(context, questionnaire, typed, [.. answerErrors.Concat(nameErrors).OrderBy(e => order.IndexOf(e.Item))]), 400);
                }

                var result = await Questionnaires.SubmitAsync(participant, timePoint, instrument, answers, registry, catalog, reader, time.GetUtcNow(), cancellationToken);
                if (result.Invalid.Count > 0)
                {
                    return Page(questionnaire.Name, QuestionnaireBody(context, questionnaire, typed, result.Invalid), 400);
                }

                if (result.NotOpen is { } why)
                {
                    return NotOpenPage(why + " Nothing was stored.");
                }

                if (result.Refused is { } refused)
                {
                    var problem = AdherenceApi.NotStored(reader, refused);
                    return Page("Not stored", $"<main><h1>Your answers were not stored</h1><p role=\"alert\">{E(problem.ProblemDetails.Detail ?? "")}</p><p>Please try again in a few minutes.</p><p><a href=\"/me\">Back</a></p></main>", problem.StatusCode);
                }

                return Results.Redirect("/me?stored=questionnaire");
            }
            catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException or FormatException)
            {
                return StorageUnavailable(reader);
            }
        }).RequireAuthorization(WebRegistration.ParticipantPolicy);
        app.MapPost("/me/pain", async ([FromForm] string? nrs, [FromForm] string? pegPain, [FromForm] string? pegEnjoyment, [FromForm] string? pegActivity, [FromForm] string? context, HttpContext http, ParticipantRegistry registry, AdherenceReader reader, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var participant = SignIn.ParticipantOf(http.User)!;
            var anyPeg = !string.IsNullOrEmpty(pegPain) || !string.IsNullOrEmpty(pegEnjoyment) || !string.IsNullOrEmpty(pegActivity);
            var peg = anyPeg ? $"{pegPain},{pegEnjoyment},{pegActivity}" : null;
            var report = PainReport.TryParse(registry, participant, string.IsNullOrEmpty(nrs) ? null : nrs, peg, context, null, time.GetUtcNow(), out var problems);
            if (report is null)
            {
                return await ParticipantPageAsync(http, registry, reader, time, problems, null, 400, cancellationToken);
            }

            var problem = await AdherenceApi.StoreAsync(reader, report, cancellationToken);
            return problem is null
                ? Results.Redirect("/me?stored=1")
                : Page("Not stored", $"<main><h1>Your report was not stored</h1><p role=\"alert\">{E(problem.ProblemDetails.Detail ?? "")}</p><p>Please try again in a few minutes.</p><p><a href=\"/me\">Back</a></p></main>", problem.StatusCode);
        }).RequireAuthorization(WebRegistration.ParticipantPolicy);

        app.MapGet("/researcher", async (HttpContext context, ParticipantRegistry registry, AdherenceReader reader, TimeProvider time, IOptions<AnalysisOptions> analysis, CancellationToken cancellationToken) =>
        {
            try
            {
                var rows = await AdherenceApi.CohortAsync(registry, reader, time.GetUtcNow(), analysis.Value.DropoutDays, cancellationToken);
                return Page("Cohort", CohortBody(context, registry, rows, analysis.Value.DropoutDays));
            }
            catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException)
            {
                return StorageUnavailable(reader);
            }
        }).RequireAuthorization(WebRegistration.ResearcherPolicy);
        app.MapGet("/researcher/participants/{participant}", async (string participant, HttpContext context, ParticipantRegistry registry, AdherenceReader reader, TimeProvider time, CancellationToken cancellationToken) =>
        {
            if (registry.Find(participant) is not { } p)
            {
                return Page("Unknown participant", $"<main><h1>Unknown participant</h1><p>'{E(participant)}' is not in the registry.</p><p><a href=\"/researcher\">Cohort</a></p></main>", 404);
            }

            try
            {
                return Page(p.Id, await ResearcherParticipantBodyAsync(context, p, reader, time.GetUtcNow(), cancellationToken));
            }
            catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException)
            {
                return StorageUnavailable(reader);
            }
        }).RequireAuthorization(WebRegistration.ResearcherPolicy);
    }

    /// <summary>A page that says, in words, that the signed-in person may not see this.</summary>
    public static Task WriteForbiddenAsync(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(Layout("Not allowed", "<main><h1>Not allowed</h1><p>You are signed in, but this page is not for you.</p><p><a href=\"/\">Your start page</a></p></main>"));
    }

    private static async Task<IResult> ParticipantPageAsync(HttpContext context, ParticipantRegistry registry, AdherenceReader reader, TimeProvider time,
        IReadOnlyList<PainReportError>? problems, string? confirmation, int status, CancellationToken cancellationToken)
    {
        var participant = registry.Get(SignIn.ParticipantOf(context.User)!);
        var body = new StringBuilder("<main>");
        body.Append(C, $"<h1>Hello {E(participant.Id)}</h1>");
        if (confirmation is not null)
        {
            body.Append(C, $"<p class=\"confirmation\" role=\"status\">{E(confirmation)}</p>");
        }

        var catalog = context.RequestServices.GetRequiredService<InstrumentCatalog>();
        try
        {
            body.Append(DueListHtml(await Questionnaires.DueAsync(participant, registry, catalog, reader, time.GetUtcNow(), cancellationToken)));
        }
        catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException or FormatException)
        {
            body.Append("<p role=\"alert\">Your questionnaires cannot be shown right now.</p>");
        }

        body.Append(PainFormHtml(context, problems));
        try
        {
            var summary = await AdherenceApi.SummaryAsync(participant, reader, time.GetUtcNow(), cancellationToken);
            body.Append(C, $"<section aria-labelledby=\"week\"><h2 id=\"week\">This week ({E(summary.Week)})</h2>");
            if (summary.Prescription is { } rx)
            {
                var done = summary.ThisWeek?.TargetMin ?? 0;
                var goal = (double)rx.SessionsPerWeek * rx.MinutesPerSession;
                body.Append(C, $"<p>Your goal: {rx.SessionsPerWeek} sessions of {rx.MinutesPerSession} minutes at {E(rx.TargetZone)} intensity or above.</p>");
                body.Append(C, $"<p><label for=\"progress\">{done:0} of {goal:0} minutes, {summary.ThisWeek?.SessionsDone ?? 0} of {rx.SessionsPerWeek} sessions</label><br><progress id=\"progress\" max=\"{goal:0}\" value=\"{Math.Min(done, goal):0}\">{done:0} min</progress></p>");
            }
            else
            {
                body.Append("<p>No exercise goal is set for this week.</p>");
            }

            body.Append("</section><section aria-labelledby=\"recent\"><h2 id=\"recent\">Recent sessions</h2>");
            if (summary.RecentSessions.Count == 0)
            {
                body.Append("<p>No sessions in the last four weeks.</p>");
            }
            else
            {
                body.Append("<ul class=\"sessions\">");
                foreach (var s in summary.RecentSessions)
                {
                    body.Append(C, $"<li>{participant.LocalTime(s.Start):ddd d MMM HH:mm}: {s.ExerciseMin:0} min exercise, {s.TargetMin:0} min at your target</li>");
                }

                body.Append("</ul>");
            }

            body.Append("</section>");
        }
        catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException)
        {
            body.Append("<p role=\"alert\">Your sessions cannot be shown right now.</p>");
        }

        body.Append(SignOutForm(context)).Append("</main>");
        return Page("My pain and exercise", body.ToString(), status);
    }

    private const string AnswerPrefix = "answer_", NamePrefix = "name_";

    /// <summary>Longest activity name accepted on the PSFS form, in characters.</summary>
    private const int MaxActivityNameLength = 80;

    private static string DueListHtml(IReadOnlyList<DueQuestionnaire> due)
    {
        var html = new StringBuilder("<section aria-labelledby=\"questionnaires\" class=\"questionnaires\"><h2 id=\"questionnaires\">Questionnaires</h2>");
        if (due.Count == 0)
        {
            return html.Append("<p>No questionnaires to fill in today.</p></section>").ToString();
        }

        html.Append("<p>Your study asks you to fill in:</p><ul class=\"due\">");
        foreach (var q in due)
        {
            var when = q.Status == "due" ? string.Create(C, $"please answer by {q.WindowEnd:d MMM yyyy}") : string.Create(C, $"overdue since {q.WindowEnd.AddDays(1):d MMM yyyy}");
            html.Append(C, $"<li data-instrument=\"{E(q.Instrument)}\" data-time-point=\"{E(q.TimePoint)}\"><a href=\"/me/questionnaires/{Uri.EscapeDataString(q.TimePoint)}/{Uri.EscapeDataString(q.Instrument)}\">{E(q.Name)}</a> ({E(q.TimePoint)}, {when})</li>");
        }

        return html.Append("</ul></section>").ToString();
    }

    // Rated activities need a name and named ones a rating; the names are only for the form and are not stored.
    private static List<AnswerError> ActivityNameErrors(DueQuestionnaire questionnaire, IReadOnlyDictionary<string, string?> typed)
    {
        var errors = new List<AnswerError>();
        foreach (var item in questionnaire.Items.Where(i => i.NamedByRespondent))
        {
            var name = typed.GetValueOrDefault(NamePrefix + item.Id)?.Trim() ?? "";
            var rated = !string.IsNullOrWhiteSpace(typed.GetValueOrDefault(AnswerPrefix + item.Id));
            if (name.Length > MaxActivityNameLength)
            {
                errors.Add(new(item.Id, string.Create(C, $"{questionnaire.Instrument}.{item.Id}: expected an activity name of at most {MaxActivityNameLength} characters")));
            }
            else if (rated && name.Length == 0)
            {
                errors.Add(new(item.Id, $"{questionnaire.Instrument}.{item.Id}: expected the name of the activity you rated"));
            }
            else if (!rated && name.Length > 0)
            {
                errors.Add(new(item.Id, $"{questionnaire.Instrument}.{item.Id}: expected a rating of the activity you named"));
            }
        }

        return errors;
    }

    private static string QuestionnaireBody(HttpContext context, DueQuestionnaire questionnaire, IReadOnlyDictionary<string, string?> typed, IReadOnlyList<AnswerError> errors)
    {
        var named = questionnaire.Items.Any(i => i.NamedByRespondent);
        var body = new StringBuilder("<main>");
        body.Append(C, $"<p><a href=\"/me\">← Back</a></p><h1>{E(questionnaire.Name)}</h1>");
        body.Append(C, $"<p>These questions are about {E(questionnaire.RecallPeriod)}.");
        body.Append(named
            ? " Name up to five important activities that you are unable to do, or find hard, because of your problem, and rate how able you are to do each one today. The names are not stored; your study team keeps them with your study records.</p>"
            : " Choose the one number that best describes each answer.</p>");
        var action = $"/me/questionnaires/{Uri.EscapeDataString(questionnaire.TimePoint)}/{Uri.EscapeDataString(questionnaire.Instrument)}";
        body.Append(C, $"<form method=\"post\" action=\"{E(action)}\" class=\"questionnaire\" novalidate>").Append(Antiforgery(context));
        if (errors.Count > 0)
        {
            body.Append("<div role=\"alert\" class=\"errors\"><p>Please check:</p><ul>");
            foreach (var e in errors)
            {
                body.Append(C, $"<li data-item=\"{E(e.Item)}\"><a href=\"#item-{E(e.Item)}\">{E(e.Message)}</a></li>");
            }

            body.Append("</ul></div>");
        }

        foreach (var item in questionnaire.Items)
        {
            var itemErrors = errors.Where(e => e.Item == item.Id).ToList();
            var errorId = "error-" + item.Id;
            body.Append(C, $"<fieldset class=\"scale item\" id=\"item-{E(item.Id)}\"{(itemErrors.Count > 0 ? $" aria-describedby=\"{E(errorId)}\" aria-invalid=\"true\"" : "")}><legend>{E(item.Text)}</legend>");
            if (item.NamedByRespondent)
            {
                body.Append(C, $"<label for=\"name-{E(item.Id)}\">Activity</label><input id=\"name-{E(item.Id)}\" name=\"{NamePrefix}{E(item.Id)}\" maxlength=\"{MaxActivityNameLength}\" autocomplete=\"off\" value=\"{E(typed.GetValueOrDefault(NamePrefix + item.Id) ?? "")}\">");
            }

            var answer = typed.GetValueOrDefault(AnswerPrefix + item.Id);
            body.Append("<div class=\"scale-options\">");
            for (var i = item.Min; i <= item.Max; i++)
            {
                var value = i.ToString(C);
                body.Append(C, $"<label><input type=\"radio\" name=\"{AnswerPrefix}{E(item.Id)}\" value=\"{value}\"{(answer == value ? " checked" : "")}><span>{value}</span></label>");
            }

            body.Append("</div>");
            if (item.Anchors.Count > 0)
            {
                body.Append(C, $"<p class=\"anchors\">{string.Join(" · ", item.Anchors.OrderBy(a => a.Key).Select(a => E(string.Create(C, $"{a.Key} = {a.Value}"))))}</p>");
            }

            if (itemErrors.Count > 0)
            {
                body.Append(C, $"<p class=\"item-error\" id=\"{E(errorId)}\">{E(string.Join(" ", itemErrors.Select(e => e.Message)))}</p>");
            }

            body.Append("</fieldset>");
        }

        return body.Append("<button type=\"submit\">Send my answers</button></form></main>").ToString();
    }

    private static IResult NotOpenPage(string message) =>
        Page("Not open", $"<main><h1>Questionnaire not open</h1><p role=\"alert\">{E(message)}</p><p><a href=\"/me\">Back to your page</a></p></main>", 409);

    private static string Flag(string flag, CohortRow row) => flag == "possibly_dropped_out"
        ? string.Create(C, $"<span class=\"flag dropout\">possibly dropped out ({row.DaysWithoutWear} days without valid wear)</span>")
        : $"<span class=\"flag\">{E(flag)}</span>";

    private static string PainFormHtml(HttpContext context, IReadOnlyList<PainReportError>? problems)
    {
        var form = new StringBuilder();
        form.Append("<form method=\"post\" action=\"/me/pain\" class=\"pain\">").Append(Antiforgery(context));
        form.Append("<h2>How is your pain?</h2>");
        if (problems is { Count: > 0 })
        {
            form.Append("<div role=\"alert\" class=\"errors\"><p>Please check:</p><ul>");
            foreach (var p in problems)
            {
                form.Append(C, $"<li data-field=\"{E(p.Field)}\">{E(p.Message)}</li>");
            }

            form.Append("</ul></div>");
        }

        form.Append("<fieldset class=\"context\"><legend>When</legend>");
        foreach (var (value, label) in new[] { ("pre", "Before a session"), ("post", "After a session"), ("daily", "Daily report") })
        {
            form.Append(C, $"<label><input type=\"radio\" name=\"context\" value=\"{value}\"{(value == "daily" ? " checked" : "")}> {label}</label>");
        }

        form.Append("</fieldset>");
        form.Append(Scale("nrs", "Pain right now (0 = no pain, 10 = worst pain imaginable)", required: true));
        form.Append("<details><summary>Three more questions (PEG-3, optional)</summary>");
        form.Append(Scale("pegPain", "What number best describes your pain on average in the past week?", required: false));
        form.Append(Scale("pegEnjoyment", "How much has pain interfered with your enjoyment of life in the past week?", required: false));
        form.Append(Scale("pegActivity", "How much has pain interfered with your general activity in the past week?", required: false));
        form.Append("</details><button type=\"submit\">Send my report</button></form>");
        return form.ToString();
    }

    private static string Scale(string name, string legend, bool required)
    {
        var html = new StringBuilder();
        html.Append(C, $"<fieldset class=\"scale\" id=\"{name}\"><legend>{E(legend)}</legend><div class=\"scale-options\">");
        for (var i = PainScale.Min; i <= PainScale.Max; i++)
        {
            html.Append(C, $"<label><input type=\"radio\" name=\"{name}\" value=\"{i}\"{(required && i == 0 ? " required" : "")}><span>{i}</span></label>");
        }

        return html.Append("</div></fieldset>").ToString();
    }

    private static string CohortBody(HttpContext context, ParticipantRegistry registry, IReadOnlyList<CohortRow> rows, int dropoutDays)
    {
        var body = new StringBuilder("<main class=\"wide\"><h1>Cohort</h1>");
        body.Append("<table><caption>This week's adherence per participant (target-zone minutes against the prescription)</caption>");
        body.Append("<thead><tr><th scope=\"col\">Participant</th><th scope=\"col\">Arm</th><th scope=\"col\">This week</th><th scope=\"col\">Trend</th><th scope=\"col\">Last session</th><th scope=\"col\">Last valid wear</th><th scope=\"col\">Data quality</th></tr></thead><tbody>");
        foreach (var row in rows)
        {
            var p = registry.Get(row.Participant);
            var trend = row.AdherencePct is { } a && row.PreviousPct is { } b ? (a - b) switch
            {
                > 5 => string.Create(C, $"↑ +{a - b:0} points"),
                < -5 => string.Create(C, $"↓ {a - b:0} points"),
                _ => "→ steady",
            } : "–";
            body.Append(C, $"<tr><th scope=\"row\"><a href=\"/researcher/participants/{E(row.Participant)}\">{E(row.Participant)}</a></th><td>{E(row.Arm)}</td>");
            body.Append(C, $"<td>{(row.AdherencePct is { } pct ? pct.ToString("0", C) + " %" : "–")}</td><td>{trend}</td>");
            body.Append(C, $"<td>{(row.LastSession is { } last ? p.LocalTime(last).ToString("yyyy-MM-dd HH:mm", C) : "none")}</td>");
            body.Append(C, $"<td>{(row.LastValidWear is { } wear ? p.LocalTime(wear).ToString("yyyy-MM-dd HH:mm", C) : "none")}</td>");
            body.Append(C, $"<td>{(row.Flags.Count == 0 ? "ok" : string.Join(", ", row.Flags.Select(f => Flag(f, row))))}</td></tr>");
        }

        body.Append(C, $"</tbody></table><p><span class=\"flag\">possibly dropped out</span>: enrolled, and no valid heart rate for {dropoutDays} days or more (counted from the enrolment start when there has never been one; <code>Analysis:DropoutDays</code>).</p>");
        body.Append("<p>Exports: <code>/api/participants/{code}/sessions.csv</code>, <code>adherence.csv</code>, <code>pain.csv</code>, <code>activity.csv</code>; API description at <a href=\"/openapi/v1.json\">/openapi/v1.json</a>.</p>");
        return body.Append(SignOutForm(context)).Append("</main>").ToString();
    }

    private static async Task<string> ResearcherParticipantBodyAsync(HttpContext context, Participant p, AdherenceReader reader, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var monday = AdherenceApi.MondayOf(p.LocalDate(now));
        var firstMonday = monday.AddDays(-7 * 7);
        var from = p.StartOfDay(firstMonday);
        var to = p.StartOfDay(monday.AddDays(7));
        var weeks = await reader.WeeksAsync(p, firstMonday, monday, cancellationToken);
        var sessions = await reader.SessionsAsync(p, from, to, cancellationToken);
        var pain = await reader.PainAsync(p, from, to, cancellationToken);
        var labels = Enumerable.Range(0, 8).Select(i => AdherenceCalculator.WeekLabel(firstMonday.AddDays(7 * i))).ToList();
        string WeekOf(DateTimeOffset t) => AdherenceCalculator.WeekLabel(p.LocalDate(t));

        var body = new StringBuilder("<main class=\"wide\">");
        body.Append(C, $"<p><a href=\"/researcher\">← Cohort</a></p><h1>Participant {E(p.Id)}</h1>");
        var info = AdherenceApi.Info(p, now);
        body.Append(C, $"<p>Arm {E(p.Arm)}, site {E(p.Site)}, enrolled {p.EnrolmentStart:yyyy-MM-dd}–{(p.EnrolmentEnd is { } end ? end.ToString("yyyy-MM-dd", C) : "")}, time zone {E(info.TimeZone)}. ");
        body.Append(info.Prescription is { } rx ? string.Create(C, $"Prescription: {rx.SessionsPerWeek} × {rx.MinutesPerSession} min a week at {rx.TargetZone} or above.</p>") : "No prescription in force.</p>");

        body.Append("<section aria-labelledby=\"adherence\"><h2 id=\"adherence\">Weekly adherence against the prescription</h2><figure>");
        body.Append(AdherenceCharts.WeeklyAdherence(p.Id, [.. labels.Select(l => new WeekBar(l, weeks.FirstOrDefault(w => w.Week == l)?.AdherencePct,
            pain.Where(r => WeekOf(r.Time) == l).Select(r => (double?)r.Nrs).Average()))]));
        body.Append("</figure></section>");

        body.Append("<section aria-labelledby=\"zones\"><h2 id=\"zones\">Minutes per intensity zone</h2><figure>");
        body.Append(AdherenceCharts.ZoneMinutesChart(p.Id, [.. labels.Select(l =>
        {
            var inWeek = sessions.Where(s => WeekOf(s.Start) == l).ToList();
            return new ZoneMinutes(l, inWeek.Sum(s => s.LightMin), inWeek.Sum(s => s.ModerateMin), inWeek.Sum(s => s.VigorousMin));
        })]));
        body.Append("</figure></section>");

        body.Append("<section aria-labelledby=\"pain\"><h2 id=\"pain\">Pain</h2><figure>");
        body.Append(AdherenceCharts.PainTrend(p.Id, [.. pain.Select(r => (r.Time, r.Context, r.Nrs))], from, to));
        body.Append("</figure>");
        if (pain.Count > 0)
        {
            body.Append("<table class=\"pain-reports\"><caption>Pain reports, newest first</caption><thead><tr><th scope=\"col\">Time (local)</th><th scope=\"col\">Context</th><th scope=\"col\">NRS</th><th scope=\"col\">PEG-3</th></tr></thead><tbody>");
            foreach (var r in pain.Reverse())
            {
                body.Append(C, $"<tr><td>{p.LocalTime(r.Time):yyyy-MM-dd HH:mm}</td><td>{E(r.Context)}</td><td>{r.Nrs}</td><td>{(r.PegPain is { } pp ? string.Create(C, $"{pp}/{r.PegEnjoyment}/{r.PegActivity}") : "–")}</td></tr>");
            }

            body.Append("</tbody></table>");
        }

        body.Append("</section><section aria-labelledby=\"sessions\"><h2 id=\"sessions\">Sessions</h2>");
        if (sessions.Count == 0)
        {
            body.Append("<p>No sessions in these eight weeks.</p>");
        }

        foreach (var s in sessions.Reverse().Take(10))
        {
            var windows = await reader.ActivityAsync(p, s.Start, s.End, cancellationToken);
            body.Append(C, $"<article class=\"session\"><h3>{p.LocalTime(s.Start):ddd yyyy-MM-dd HH:mm}</h3><p>{s.ExerciseMin:0.0} min exercise, {s.TargetMin:0.0} in target (light {s.LightMin:0.0}, moderate {s.ModerateMin:0.0}, vigorous {s.VigorousMin:0.0})");
            body.Append(C, $"{(s.HeartRateMeanBpm is { } hr ? string.Create(C, $", mean HR {hr:0} bpm") : "")}, coverage {s.Coverage:P0}, quality {E(s.Quality)}.</p>");
            body.Append(AdherenceCharts.ActivityTimeline(s.Start, s.End, [.. windows.Select(w => new TimelineWindow(w.Start, w.DurationS, w.Activity, w.Intensity))]));
            body.Append("</article>");
        }

        return body.Append("</section>").Append(SignOutForm(context)).Append("</main>").ToString();
    }

    private static IResult StorageUnavailable(AdherenceReader reader) =>
        Page("Storage unavailable", $"<main><h1>Storage unavailable</h1><p role=\"alert\">{E(reader.Description)} did not answer or refused the query. Try again in a few minutes.</p></main>", 503);

    private static string SignInBody(HttpContext context, string? error)
    {
        var body = new StringBuilder("<main><h1>Sign in</h1>");
        if (error is not null)
        {
            body.Append(C, $"<p role=\"alert\" class=\"errors\">{E(error)}</p>");
        }

        body.Append("<form method=\"post\" action=\"/sign-in\" class=\"sign-in\">").Append(Antiforgery(context));
        body.Append("<h2>Participants</h2><label for=\"participant\">Participant code</label><input id=\"participant\" name=\"participant\" autocomplete=\"username\" autocapitalize=\"characters\">");
        body.Append("<label for=\"code\">Access code</label><input id=\"code\" name=\"code\" type=\"password\" autocomplete=\"current-password\"><button type=\"submit\">Sign in</button></form>");
        body.Append("<form method=\"post\" action=\"/sign-in\" class=\"sign-in\">").Append(Antiforgery(context));
        body.Append("<h2>Researchers</h2><label for=\"token\">API token</label><input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\"><button type=\"submit\">Sign in</button></form></main>");
        return body.ToString();
    }

    private static string SignOutForm(HttpContext context) =>
        $"<form method=\"post\" action=\"/sign-out\" class=\"sign-out\">{Antiforgery(context)}<button type=\"submit\">Sign out</button></form>";

    private static string Antiforgery(HttpContext context)
    {
        var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        return $"<input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken ?? "")}\">";
    }

    private static IResult Page(string title, string body, int status = 200) =>
        Results.Content(Layout(title, body), "text/html; charset=utf-8", Encoding.UTF8, status);

    private static string Layout(string title, string body) =>
        $$$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{{E(title)}}} · AdherencePipeline</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa;line-height:1.4}
            main{max-width:40rem;margin:0 auto;padding:1rem}main.wide{max-width:72rem}
            h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:1.5rem}
            a{color:#0b4f8a}:focus-visible{outline:3px solid #c25e00;outline-offset:2px}
            label{display:block;margin:.5rem 0 .2rem}input[type=password],input:not([type]){font-size:1.1rem;padding:.5rem;width:100%;box-sizing:border-box}
            button{font-size:1.1rem;padding:.7rem 1.4rem;margin-top:1rem;background:#0b4f8a;color:#fff;border:0;border-radius:.4rem;cursor:pointer}
            fieldset{border:1px solid #bbb;border-radius:.4rem;margin:1rem 0;padding:.6rem}legend{font-weight:600;padding:0 .3rem}
            .scale-options{display:grid;grid-template-columns:repeat(6,1fr);gap:.4rem}
            @media (min-width:40rem){.scale-options{grid-template-columns:repeat(11,1fr)}}
            .scale-options label{margin:0}.scale-options input{position:absolute;opacity:0;width:1px;height:1px}
            .scale-options span{display:block;text-align:center;font-size:1.4rem;font-weight:600;padding:.7rem 0;border:2px solid #0b4f8a;border-radius:.4rem;background:#fff;color:#0b4f8a;cursor:pointer}
            .scale-options input:checked+span{background:#0b4f8a;color:#fff}.scale-options input:focus-visible+span{outline:3px solid #c25e00;outline-offset:2px}
            .context label{display:inline-block;margin-right:1rem;font-size:1.05rem}
            .confirmation{background:#e3f1e3;border:2px solid #2d6a2d;padding:.7rem;border-radius:.4rem;font-weight:600}
            .errors{background:#fbe9e7;border:2px solid #a3261a;padding:.5rem .8rem;border-radius:.4rem}
            progress{width:100%;height:1.5rem}
            table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd}caption{text-align:left;font-weight:600;padding:.4rem 0}
            .flag{background:#fff3cd;border:1px solid #8a6d00;border-radius:.3rem;padding:0 .3rem;margin-right:.2rem}
            figure{margin:0;overflow-x:auto}svg{max-width:100%;height:auto}
            .session{background:#fff;border:1px solid #ddd;border-radius:.4rem;padding:.2rem .8rem;margin:.8rem 0}
            .sign-out button{background:#555}
            .due li{margin:.4rem 0;font-size:1.1rem}.anchors{font-size:.95rem;color:#444;margin:.4rem 0 0}
            .item-error{color:#a3261a;font-weight:600;margin:.4rem 0 0}fieldset[aria-invalid=true]{border:2px solid #a3261a}
            .flag.dropout{background:#fbe9e7;border-color:#a3261a}
            </style></head>
            <body>{{{body}}}</body></html>
            """;

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
