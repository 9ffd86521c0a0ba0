using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;

namespace AdherencePipeline.Service.Tests.Web;

/// <summary>
/// Due questionnaires and their submission through the API and the participant's form, against a real
/// influxd. The clock stands on 2026-03-06, so P002 (exercise arm, enrolled 2026-03-02) has the baseline
/// overdue (window 2026-02-23 to 2026-03-05) and week 4 still to come (window opens 2026-03-27).
/// Each test answers a different instrument, so their order does not matter.
/// </summary>
public sealed class QuestionnaireApiTests : IClassFixture<WebServer>
{
    private readonly WebServer _server;

    public QuestionnaireApiTests(WebServer server) => _server = server;

    [Fact]
    public async Task Due_OwnAsParticipant_ListsTheOverdueBaselineWithItemsAndRanges()
    {
        using var client = await _server.ParticipantAsync();

        var due = await client.GetFromJsonAsync<JsonElement>("/api/participants/P002/questionnaires");

        var peg = due.EnumerateArray().Single(q => q.GetProperty("instrument").GetString() == "peg-3");
        Assert.Equal(("baseline", "overdue", "2026-03-02", "2026-02-23", "2026-03-05"),
            (peg.GetProperty("timePoint").GetString(), peg.GetProperty("status").GetString(), peg.GetProperty("targetDate").GetString(),
                peg.GetProperty("windowStart").GetString(), peg.GetProperty("windowEnd").GetString()));
        Assert.Equal(["pain:0-10", "enjoyment:0-10", "activity:0-10"],
            peg.GetProperty("items").EnumerateArray().Select(i => $"{i.GetProperty("id").GetString()}:{i.GetProperty("min").GetInt32()}-{i.GetProperty("max").GetInt32()}"));
        Assert.Equal("No pain", peg.GetProperty("items")[0].GetProperty("anchors").GetProperty("0").GetString());
        Assert.All(due.EnumerateArray(), q => Assert.Equal("baseline", q.GetProperty("timePoint").GetString()));
    }

    [Fact]
    public async Task Submit_Valid_IsStoredWithTheLibrarysScoresAndNoLongerDue()
    {
        _server.Clock.Advance(TimeSpan.FromMinutes(2));
        using var client = await _server.ParticipantAsync();

        using var created = await client.PostAsJsonAsync("/api/participants/P002/questionnaires/baseline/who-5",
            new { answers = new { cheerful = 3, calm = 4, active = 2, rested = 5, interest = 1 } });

        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, body);
        var total = JsonDocument.Parse(body).RootElement.GetProperty("scores")[0];
        Assert.Equal((15.0, 60.0, 5), (total.GetProperty("value").GetDouble(), total.GetProperty("transformed").GetDouble(), total.GetProperty("answered").GetInt32()));
        // Stored as 'adherence outcomes add' stores it: tags, scores, the raw answers and the local date.
        var row = Assert.Single(await OutcomeRowsAsync("who-5"));
        Assert.Equal(("exercise", "bergen", "baseline"), (row.GetString("arm"), row.GetString("site"), row.GetString("time_point")));
        Assert.Equal((15.0, 60.0, 5L), (row.GetDouble("score"), row.GetDouble("score_100"), row.GetInt64("answered")));
        string[] items = ["cheerful", "calm", "active", "rested", "interest"];
        Assert.Equal([3L, 4L, 2L, 5L, 1L], items.Select(i => row.GetInt64("item_" + i)));
        Assert.Equal("2026-03-06", row.GetString("local_date"));
        Assert.Equal(_server.Clock.GetUtcNow(), Point.FromTimestampNs(row.TimestampNs));

        var due = await client.GetFromJsonAsync<JsonElement>("/api/participants/P002/questionnaires");
        Assert.DoesNotContain(due.EnumerateArray(), q => q.GetProperty("instrument").GetString() == "who-5");
        using var again = await client.PostAsJsonAsync("/api/participants/P002/questionnaires/baseline/who-5", new { answers = new { cheerful = 1 } });
        var problem = await AssertProblemAsync(again, HttpStatusCode.Conflict);
        Assert.Contains("already answered", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var researcher = _server.Researcher();
        var stored = await researcher.GetFromJsonAsync<JsonElement>("/api/participants/P002/outcomes");
        var who5 = stored.EnumerateArray().Single(r => r.GetProperty("instrument").GetString() == "who-5");
        Assert.Equal(60.0, who5.GetProperty("scores")[0].GetProperty("transformed").GetDouble());
    }

    [Fact]
    public async Task Submit_InvalidAnswers_Is400NamingEachItemAndStoresNothing()
    {
        using var client = await _server.ParticipantAsync();

        using var response = await client.PostAsync(new Uri("/api/participants/P002/questionnaires/baseline/peg-3", UriKind.Relative),
            new StringContent("""{ "answers": { "pain": 11, "enjoyment": 4.5, "activity": 3 } }""", Encoding.UTF8, "application/json"));

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.Equal("peg-3.pain: expected an integer from 0 to 10, found 11", errors.GetProperty("pain")[0].GetString());
        Assert.Equal("peg-3.enjoyment: expected an integer from 0 to 10, found '4.5'", errors.GetProperty("enjoyment")[0].GetString());
        Assert.False(errors.TryGetProperty("activity", out _));
        Assert.Empty(await OutcomeRowsAsync("peg-3"));
        var due = await client.GetFromJsonAsync<JsonElement>("/api/participants/P002/questionnaires");
        Assert.Contains(due.EnumerateArray(), q => q.GetProperty("instrument").GetString() == "peg-3");
    }

    [Fact]
    public async Task Submit_TooFewAnsweredForAScore_Is400NamingTheUnansweredItems()
    {
        using var client = await _server.ParticipantAsync();

        using var response = await client.PostAsJsonAsync("/api/participants/P002/questionnaires/baseline/peg-3", new { answers = new { pain = 4 } });

        var errors = (await AssertProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Equal(["activity", "enjoyment"], errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.StartsWith("peg-3.enjoyment: expected an answer", errors.GetProperty("enjoyment")[0].GetString(), StringComparison.Ordinal);
        Assert.Empty(await OutcomeRowsAsync("peg-3"));
    }

    [Fact]
    public async Task Submit_NotDueYet_Is409AndIsNotOffered()
    {
        using var client = await _server.ParticipantAsync();

        using var response = await client.PostAsJsonAsync("/api/participants/P002/questionnaires/week4/peg-3", new { answers = new { pain = 4, enjoyment = 4, activity = 4 } });

        var problem = await AssertProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Equal("peg-3 at week4 is not due yet: its window opens on 2026-03-27. Nothing was stored.", problem.GetProperty("detail").GetString());
        var due = await client.GetFromJsonAsync<JsonElement>("/api/participants/P002/questionnaires");
        Assert.DoesNotContain(due.EnumerateArray(), q => q.GetProperty("timePoint").GetString() == "week4");
        Assert.Empty(await OutcomeRowsAsync("peg-3", "week4"));
    }

    [Theory]
    [InlineData("GET", "/api/participants/P001/questionnaires")]
    [InlineData("POST", "/api/participants/P001/questionnaires/baseline/peg-3")]
    public async Task AnotherParticipantsQuestionnaires_Are403(string method, string path)
    {
        using var client = await _server.ParticipantAsync();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative))
        {
            Content = method == "POST" ? JsonContent.Create(new { answers = new { pain = 1, enjoyment = 1, activity = 1 } }) : null,
        });

        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Empty(await OutcomeRowsAsync("peg-3", participant: "P001"));
    }

    [Fact]
    public async Task Submit_AsResearcher_Is403()
    {
        using var client = _server.Researcher();

        using var response = await client.PostAsJsonAsync("/api/participants/P002/questionnaires/baseline/peg-3", new { answers = new { pain = 1, enjoyment = 1, activity = 1 } });

        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Form_InvalidAnswer_Is400WithTheErrorBesideTheItemAndKeepsWhatWasTyped()
    {
        using var client = await _server.ParticipantAsync();
        var token = await AntiforgeryTokenAsync(client, "/me/questionnaires/baseline/psfs");

        using var response = await client.PostAsync(new Uri("/me/questionnaires/baseline/psfs", UriKind.Relative), new FormUrlEncodedContent(
        [
            new("__RequestVerificationToken", token),
            new("name_activity1", "Gardening"), new("answer_activity1", "7"),
            new("name_activity2", "Climbing stairs"), new("answer_activity2", "12"),
            new("name_activity3", "Cycling"),
        ]));

        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Matches("id=\"item-activity2\"[^>]*aria-invalid=\"true\".*<p class=\"item-error\" id=\"error-activity2\">psfs.activity2: expected an integer from 0 to 10, found 12</p>", html);
        Assert.Contains("value=\"Gardening\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"answer_activity1\" value=\"7\" checked", html, StringComparison.Ordinal);
        Assert.Contains("id=\"error-activity3\">psfs.activity3: expected a rating of the activity you named</p>", html, StringComparison.Ordinal);
        Assert.Empty(await OutcomeRowsAsync("psfs"));
    }

    [Fact]
    public async Task Form_WithoutAntiforgeryToken_Is400AndStoresNothing()
    {
        using var client = await _server.ParticipantAsync();

        using var response = await client.PostAsync(new Uri("/me/questionnaires/baseline/psfs", UriKind.Relative),
            new FormUrlEncodedContent([new("name_activity1", "Gardening"), new("answer_activity1", "7")]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(await OutcomeRowsAsync("psfs"));
    }

    [Fact]
    public async Task Form_NotDue_IsNotOffered()
    {
        using var client = await _server.ParticipantAsync();

        using var response = await client.GetAsync(new Uri("/me/questionnaires/week4/psfs", UriKind.Relative));
        var me = await client.GetStringAsync(new Uri("/me", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("href=\"/me/questionnaires/baseline/psfs\"", me, StringComparison.Ordinal);
        Assert.DoesNotContain("/me/questionnaires/week4/", me, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cohort_NoWearFor15Days_IsFlaggedPossiblyDroppedOut_WearThreeDaysAgoIsNot()
    {
        var now = _server.Clock.GetUtcNow();
        using var researcher = await ResearcherOnWearAsync(now, null);

        var cohort = await researcher.GetFromJsonAsync<JsonElement>("/api/cohort");
        var page = await researcher.GetStringAsync(new Uri("/researcher", UriKind.Relative));

        var rows = cohort.EnumerateArray().ToDictionary(r => r.GetProperty("participant").GetString()!);
        Assert.True(rows["P001"].GetProperty("possiblyDroppedOut").GetBoolean());
        Assert.Equal(15, rows["P001"].GetProperty("daysWithoutWear").GetInt32());
        Assert.Contains("possibly_dropped_out", rows["P001"].GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.False(rows["P002"].GetProperty("possiblyDroppedOut").GetBoolean());
        Assert.DoesNotContain("possibly_dropped_out", rows["P002"].GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(now.AddDays(-3), rows["P002"].GetProperty("lastValidWear").GetDateTimeOffset());
        Assert.Matches(new Regex("<th scope=\"row\"><a [^>]*>P001</a></th>.*possibly dropped out \\(15 days without valid wear\\).*</tr>"), page);
        Assert.DoesNotMatch(new Regex("<th scope=\"row\"><a [^>]*>P002</a></th>((?!</tr>).)*possibly dropped out \\("), page);
        Assert.Contains("no valid heart rate for 14 days or more", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cohort_DropoutThreshold_IsAnalysisDropoutDays()
    {
        using var researcher = await ResearcherOnWearAsync(_server.Clock.GetUtcNow(), new Dictionary<string, string?> { ["Analysis:DropoutDays"] = "16" });

        var cohort = await researcher.GetFromJsonAsync<JsonElement>("/api/cohort");
        var page = await researcher.GetStringAsync(new Uri("/researcher", UriKind.Relative));

        Assert.All(cohort.EnumerateArray(), r => Assert.False(r.GetProperty("possiblyDroppedOut").GetBoolean()));
        Assert.Contains("no valid heart rate for 16 days or more", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ScheduleNamesAnInstrumentTheFolderLacks_FailsNamingTheRegistryEntry()
    {
        var folder = Directory.CreateTempSubdirectory("instruments-").FullName;
        try
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, "instruments", "peg-3.json"), Path.Combine(folder, "peg-3.json"));

            var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
                _server.StartAsync(_server.InfluxUrl, _server.Database, signInAttemptsPerMinute: 10, new Dictionary<string, string?> { ["Outcomes:InstrumentsDirectory"] = folder }));

            Assert.Contains("$.outcomeSchedules.exercise[0].instruments: 'psfs' is not one of the instruments (peg-3)", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // A server on a database holding one heart-rate second of P001 15 days and 1 hour before now and one of P002 3 days before.
    private async Task<HttpClient> ResearcherOnWearAsync(DateTimeOffset now, IReadOnlyDictionary<string, string?>? settings)
    {
        var database = InfluxServer.NewDatabaseName("dropout");
        await _server.Influx.CreateDatabaseAsync(database);
        await WriteAsync(database,
            HeartRateLine("P001", now.AddDays(-15).AddHours(-1)),
            HeartRateLine("P002", now.AddDays(-3)));
        var url = await _server.StartAsync(_server.InfluxUrl, database, signInAttemptsPerMinute: 10, settings);
        var researcher = _server.Researcher();
        researcher.BaseAddress = url;
        return researcher;
    }

    private static string HeartRateLine(string participant, DateTimeOffset time) =>
        string.Create(CultureInfo.InvariantCulture, $"heart_rate,participant={participant},device_model=polar-h10 hr_bpm=72,valid=1i,rejected=0i {Point.ToTimestampNs(time)}");

    private async Task WriteAsync(string database, params string[] lines)
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(_server.InfluxUrl, $"/write?db={database}&precision=ns"), new StringContent(string.Join("\n", lines) + "\n"));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private async Task<IReadOnlyList<InfluxRow>> OutcomeRowsAsync(string instrument, string timePoint = "baseline", string participant = "P002")
    {
        using var http = new HttpClient();
        var query = new InfluxQueryClient(http, new InfluxConnectionOptions { Url = _server.InfluxUrl, Database = _server.Database });
        var series = await query.QueryAsync("SELECT * FROM \"outcome\" WHERE \"participant\" = $p AND \"instrument\" = $i AND \"time_point\" = $t",
            new Dictionary<string, object?> { ["p"] = participant, ["i"] = instrument, ["t"] = timePoint });
        return [.. series.SelectMany(s => s.Rows)];
    }

    private static async Task<string> AntiforgeryTokenAsync(HttpClient client, string page)
    {
        var html = await client.GetStringAsync(new Uri(page, UriKind.Relative));
        return Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
    }

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {status}, got {response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement;
    }
}
