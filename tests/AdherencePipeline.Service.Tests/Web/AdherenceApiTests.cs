using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace AdherencePipeline.Service.Tests.Web;

public sealed class AdherenceApiTests : IClassFixture<WebServer>
{
    private readonly WebServer _server;

    public AdherenceApiTests(WebServer server) => _server = server;

    public static TheoryData<string, string> ResearcherEndpoints => new()
    {
        { "GET", "/api/participants" },
        { "GET", "/api/cohort" },
        { "GET", "/api/participants/P002/sessions" },
        { "GET", "/api/participants/P002/sessions.csv" },
        { "GET", "/api/participants/P002/adherence" },
        { "GET", "/api/participants/P002/adherence.csv" },
        { "GET", "/api/participants/P002/pain" },
        { "GET", "/api/participants/P002/pain.csv" },
        { "GET", "/api/participants/P002/activity" },
        { "GET", "/api/participants/P002/activity.csv" },
        { "GET", "/api/participants/P002/outcomes" },
    };

    public static TheoryData<string, string> EveryProtectedEndpoint
    {
        get
        {
            var data = ResearcherEndpoints;
            data.Add("GET", "/api/participants/P002/summary");
            data.Add("POST", "/api/participants/P002/pain");
            data.Add("GET", "/api/participants/P002/questionnaires");
            data.Add("POST", "/api/participants/P002/questionnaires/baseline/peg-3");
            data.Add("POST", "/api/sign-out");
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(EveryProtectedEndpoint))]
    public async Task Api_WithoutCredentials_Is401WithProblemDetails(string method, string path)
    {
        using var client = _server.Anonymous();

        using var response = await SendAsync(client, method, path);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(EveryProtectedEndpoint))]
    public async Task Api_WithWrongToken_Is401WithProblemDetails(string method, string path)
    {
        using var client = _server.Researcher("not-the-researcher-token-at-all");

        using var response = await SendAsync(client, method, path);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [MemberData(nameof(ResearcherEndpoints))]
    public async Task ResearcherEndpoint_AsParticipant_Is403WithProblemDetails(string method, string path)
    {
        using var client = await _server.ParticipantAsync();

        using var response = await SendAsync(client, method, path);

        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Summary_OfAnotherParticipant_Is403()
    {
        using var client = await _server.ParticipantAsync();

        using var response = await client.GetAsync(new Uri("/api/participants/P001/summary", UriKind.Relative));

        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task SubmitPain_ForAnotherParticipant_Is403()
    {
        using var client = await _server.ParticipantAsync();

        using var response = await client.PostAsJsonAsync("/api/participants/P001/pain", new { nrs = 3 });

        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task SubmitPain_AsResearcher_Is403()
    {
        using var client = _server.Researcher();

        using var response = await client.PostAsJsonAsync("/api/participants/P002/pain", new { nrs = 3 });

        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("""{ "nrs": 11 }""", "nrs", "nrs: expected an integer from 0 to 10, found '11'")]
    [InlineData("""{ "nrs": 4.5 }""", "nrs", "nrs: expected an integer from 0 to 10, found '4.5'")]
    [InlineData("""{ "nrs": "many" }""", "nrs", "nrs: expected an integer from 0 to 10, found 'many'")]
    [InlineData("""{ }""", "nrs", "nrs:")]
    [InlineData("""{ "nrs": 3, "pegPain": 2, "pegEnjoyment": 12, "pegActivity": 1 }""", "peg_enjoyment", "peg_enjoyment: expected an integer from 0 to 10, found '12'")]
    [InlineData("""{ "nrs": 3, "pegPain": 2 }""", "peg_enjoyment", "peg_enjoyment:")]
    [InlineData("""{ "nrs": 3, "context": "during" }""", "context", "context: expected one of pre, post, daily, found 'during'")]
    public async Task SubmitPain_InvalidValue_Is400NamingTheField(string body, string field, string message)
    {
        using var client = await _server.ParticipantAsync();

        using var response = await client.PostAsync(new Uri("/api/participants/P002/pain", UriKind.Relative), new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        var messages = problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains(messages, m => m!.StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SubmitPain_Valid_IsStoredAndResearcherReadsItBack()
    {
        _server.Clock.Advance(TimeSpan.FromMinutes(1));
        using var participant = await _server.ParticipantAsync();

        using var created = await participant.PostAsJsonAsync("/api/participants/P002/pain", new { nrs = 6, pegPain = 5, pegEnjoyment = 4, pegActivity = 3, context = "post" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var researcher = _server.Researcher();
        var reports = await researcher.GetFromJsonAsync<JsonElement>("/api/participants/P002/pain");
        Assert.Contains(reports.EnumerateArray(), r => r.GetProperty("nrs").GetInt32() == 6 && r.GetProperty("pegEnjoyment").GetInt32() == 4
            && r.GetProperty("context").GetString() == "post" && r.GetProperty("time").GetDateTimeOffset() == _server.Clock.GetUtcNow());
        var csv = await researcher.GetStringAsync(new Uri("/api/participants/P002/pain.csv", UriKind.Relative));
        Assert.StartsWith("time,", csv, StringComparison.Ordinal);
        Assert.Contains(",6,", csv, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Researcher_ReadsTheReplayedSessionAdherenceAndActivity()
    {
        using var client = _server.Researcher();

        var sessions = await client.GetFromJsonAsync<JsonElement>("/api/participants/P002/sessions?from=2026-03-02&to=2026-03-09");
        var adherence = await client.GetFromJsonAsync<JsonElement>("/api/participants/P002/adherence?from=2026-03-02&to=2026-03-09");
        var activity = await client.GetFromJsonAsync<JsonElement>("/api/participants/P002/activity?from=2026-03-04T17:00:00Z&to=2026-03-04T18:00:00Z");
        var cohort = await client.GetFromJsonAsync<JsonElement>("/api/cohort");
        var csv = await client.GetAsync(new Uri("/api/participants/P002/sessions.csv?from=2026-03-02&to=2026-03-09", UriKind.Relative));

        var session = Assert.Single(sessions.EnumerateArray());
        // The recording opens with a short walk and a minute of standing: whether that pause splits the
        // session rests on one window, so the session starts at 17:00 or with the walk after it.
        Assert.InRange(session.GetProperty("start").GetDateTimeOffset(), new DateTimeOffset(2026, 3, 4, 17, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 4, 17, 3, 0, TimeSpan.Zero));
        var week = Assert.Single(adherence.EnumerateArray());
        Assert.Equal("2026-W10", week.GetProperty("week").GetString());
        Assert.Equal(90, week.GetProperty("prescribedMin").GetDouble());
        Assert.InRange(activity.GetArrayLength(), 340, 350);
        var p002 = cohort.EnumerateArray().Single(r => r.GetProperty("participant").GetString() == "P002");
        Assert.Equal(week.GetProperty("adherencePct").GetDouble(), p002.GetProperty("adherencePct").GetDouble());
        Assert.Equal("text/csv; charset=utf-8", csv.Content.Headers.ContentType!.ToString());
        Assert.Equal(2, (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData("/api/participants/P002/sessions?from=yesterday", "from", "from: expected an ISO 8601 date or time")]
    [InlineData("/api/participants/P002/sessions?to=2026-13-01", "to", "to: expected an ISO 8601 date or time")]
    [InlineData("/api/participants/P002/pain?from=2026-03-05&to=2026-03-01", "from", "from: expected a time before 'to'")]
    [InlineData("/api/participants/P002/activity.csv?from=2026-01-01&to=2026-03-01", "to", "to: expected at most 31 days after 'from'")]
    public async Task Read_InvalidRange_Is400NamingTheField(string path, string field, string message)
    {
        using var client = _server.Researcher();

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.StartsWith(message, problem.GetProperty("errors").GetProperty(field)[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_UnknownParticipant_Is404()
    {
        using var client = _server.Researcher();

        using var response = await client.GetAsync(new Uri("/api/participants/P999/sessions", UriKind.Relative));

        await AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("""{ "code": "771934" }""", "participant")]
    [InlineData("""{ "participant": "P002" }""", "code")]
    public async Task SignIn_MissingField_Is400NamingIt(string body, string field)
    {
        using var client = _server.Anonymous();

        using var response = await client.PostAsync(new Uri("/api/sign-in", UriKind.Relative), new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Theory]
    [InlineData("P002", "000000")]
    [InlineData("P001", "771934")]
    [InlineData("P999", "771934")]
    public async Task SignIn_WrongCodeOrParticipant_Is401AndGrantsNothing(string participant, string code)
    {
        using var client = _server.Anonymous();

        using var response = await client.PostAsJsonAsync("/api/sign-in", new { participant, code });
        using var after = await client.GetAsync(new Uri($"/api/participants/{participant}/summary", UriKind.Relative));

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task SignIn_TooManyAttempts_Is429()
    {
        var url = await _server.StartAsync(new Uri("http://127.0.0.1:9"), "unused", signInAttemptsPerMinute: 2);
        using var client = _server.Anonymous(url);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.PostAsJsonAsync("/api/sign-in", new { participant = "P002", code = "000000" });
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, (HttpStatusCode)429], statuses);
    }

    [Fact]
    public async Task SubmitPain_InfluxDown_Is503AndSaysNotStored()
    {
        var url = await _server.StartAsync(new Uri($"http://127.0.0.1:{ClosedPort()}"), "unused", signInAttemptsPerMinute: 10);
        using var client = await _server.ParticipantAsync(url);

        using var response = await client.PostAsJsonAsync("/api/participants/P002/pain", new { nrs = 2, context = "post" });

        var problem = await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Contains("nothing was read or stored", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_DatabaseMissing_Is503WithInfluxAnswer()
    {
        var url = await _server.StartAsync(_server.InfluxUrl, "never_created", signInAttemptsPerMinute: 10);
        using var client = _server.Researcher();
        client.BaseAddress = url;

        using var response = await client.GetAsync(new Uri("/api/participants/P002/sessions", UriKind.Relative));

        var problem = await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Contains("database not found", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Summary_OwnAsParticipant_ShowsThisWeekAgainstTheGoal()
    {
        using var client = await _server.ParticipantAsync();

        var summary = await client.GetFromJsonAsync<JsonElement>("/api/participants/P002/summary");

        Assert.Equal("2026-W10", summary.GetProperty("week").GetString());
        Assert.Equal(45, summary.GetProperty("prescription").GetProperty("minutesPerSession").GetInt32());
        Assert.Equal(1, summary.GetProperty("thisWeek").GetProperty("sessionsDone").GetInt32());
        Assert.Single(summary.GetProperty("recentSessions").EnumerateArray());
    }

    [Theory]
    [InlineData("", "nrs:")]
    [InlineData("nrs=12", "nrs: expected an integer from 0 to 10, found &#39;12&#39;")]
    [InlineData("nrs=3&pegPain=4", "peg_enjoyment:")]
    [InlineData("nrs=3&context=during", "context: expected one of pre, post, daily")]
    public async Task PainPage_InvalidForm_Is400ListingTheField(string fields, string message)
    {
        using var client = await _server.ParticipantAsync();
        var token = await AntiforgeryTokenAsync(client, "/me");

        using var response = await client.PostAsync(new Uri("/me/pain", UriKind.Relative), Form(token, fields));

        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInPage_MissingCode_Is400()
    {
        using var client = _server.Anonymous();
        var token = await AntiforgeryTokenAsync(client, "/sign-in");

        using var response = await client.PostAsync(new Uri("/sign-in", UriKind.Relative), Form(token, "participant=P002"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Enter your participant code and your access code.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PainPage_WithoutAntiforgeryToken_Is400AndStoresNothing()
    {
        using var client = await _server.ParticipantAsync();

        using var response = await client.PostAsync(new Uri("/me/pain", UriKind.Relative), Form(null, "nrs=3"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task OpenApi_DescribesTheEndpoints()
    {
        using var client = _server.Anonymous();

        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/participants/{participant}/pain", out var pain));
        Assert.True(pain.TryGetProperty("post", out _));
        Assert.True(paths.TryGetProperty("/api/cohort", out _));
        Assert.True(paths.TryGetProperty("/api/participants/{participant}/questionnaires/{timePoint}/{instrument}", out var questionnaire));
        Assert.True(questionnaire.TryGetProperty("post", out _));
    }

    private static async Task<string> AntiforgeryTokenAsync(HttpClient client, string page)
    {
        var html = await client.GetStringAsync(new Uri(page, UriKind.Relative));
        return System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
    }

    private static FormUrlEncodedContent Form(string? token, string fields)
    {
        var pairs = fields.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(f => f.Split('=')).Select(kv => new KeyValuePair<string, string>(kv[0], kv[1])).ToList();
        if (token is not null)
        {
            pairs.Add(new("__RequestVerificationToken", token));
        }

        return new FormUrlEncodedContent(pairs);
    }

    public static TheoryData<string> HostileParticipantPaths => new()
    {
        "/api/participants/P001' OR 1=1 --/sessions",
        "/api/participants/P001%27%20OR%20participant%20%3D~%20%2F.*%2F%20--/activity.csv",
        "/api/participants/%22%3B%20DROP%20DATABASE%20adherence%3B%20--/adherence",
        "/api/participants/P002%22%20OR%20%221%22%3D%221/pain",
        "/api/participants/P001' OR 1=1 --/summary",
    };

    // The server below points at a port where no InfluxDB listens: a request that ran any query would be
    // answered 503, so a 400 shows the hostile code was refused before a query was made.
    [Theory]
    [MemberData(nameof(HostileParticipantPaths))]
    public async Task Read_ParticipantCodeWithInfluxQL_Is400NamingTheFieldAndRunsNoQuery(string path)
    {
        var url = await _server.StartAsync(new Uri($"http://127.0.0.1:{ClosedPort()}"), "unused", signInAttemptsPerMinute: 10);
        using var client = _server.Researcher();
        client.BaseAddress = url;

        using var hostile = await client.GetAsync(new Uri(path, UriKind.Relative));
        using var valid = await client.GetAsync(new Uri("/api/participants/P002/sessions", UriKind.Relative));

        var problem = await AssertProblemAsync(hostile, HttpStatusCode.BadRequest);
        Assert.StartsWith("participant: ", problem.GetProperty("errors").GetProperty("participant")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, valid.StatusCode);
    }

    [Fact]
    public async Task Read_ParticipantCodeWithInfluxQL_AsParticipant_GetsNothing()
    {
        using var client = await _server.ParticipantAsync();

        using var summary = await client.GetAsync(new Uri("/api/participants/P002' OR 1=1 --/summary", UriKind.Relative));
        using var sessions = await client.GetAsync(new Uri("/api/participants/P002' OR 1=1 --/sessions", UriKind.Relative));

        await AssertProblemAsync(summary, HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.Forbidden, sessions.StatusCode);
    }

    // A port nothing listens on: bound, read and released.
    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path) =>
        client.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative))
        {
            Content = method == "POST" ? JsonContent.Create(new { nrs = 3 }) : null,
        });

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {status}, got {response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }
}
