using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace AdherencePipeline.Service.Tests.Web;

/// <summary>The pages in a real headless Chromium (Debian's <c>chromium</c>, never a downloaded browser); screenshots go to TestResults/web.</summary>
public sealed class WebPageTests : IClassFixture<WebServer>, IAsyncLifetime
{
    private static readonly ViewportSize Phone = new() { Width = 390, Height = 844 }, Desktop = new() { Width = 1280, Height = 900 };
    private readonly WebServer _server;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public WebPageTests(WebServer server) => _server = server;

    /// <summary>The Chromium binary: <c>$CHROMIUM</c>, else <c>/usr/bin/chromium</c>.</summary>
    private static string Chromium => Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException($"Chromium was not found at '{Chromium}'. Run scripts/test.sh, which installs Debian's 'chromium' package, or set CHROMIUM.");
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    [Fact]
    public async Task ParticipantSubmitsPain_ResearcherSeesItWithTheCharts()
    {
        _server.Clock.Advance(TimeSpan.FromMinutes(7));
        var participant = await NewPageAsync(Phone);
        await participant.GotoAsync(new Uri(_server.Url, "/me").ToString());
        Assert.EndsWith("/sign-in?ReturnUrl=%2Fme", participant.Url, StringComparison.Ordinal);
        await Shot(participant, "sign-in-phone");
        await SignInAsParticipantAsync(participant, WebServer.P002Code);
        await Shot(participant, "participant-phone");

        await participant.GetByLabel("After a session").CheckAsync();
        await participant.Locator("#nrs label").Filter(new() { HasText = "7" }).ClickAsync();
        await participant.GetByText("Three more questions").ClickAsync();
        await participant.Locator("#pegPain label").Filter(new() { HasText = "6" }).ClickAsync();
        await participant.Locator("#pegEnjoyment label").Filter(new() { HasText = "5" }).ClickAsync();
        // Keyboard use: focus the last PEG item's first option and move along it with the arrow keys.
        await participant.Locator("#pegActivity input[value='0']").FocusAsync();
        await participant.Keyboard.PressAsync("ArrowRight");
        await participant.Keyboard.PressAsync("ArrowRight");
        await participant.Keyboard.PressAsync("ArrowRight");
        await participant.Keyboard.PressAsync("ArrowRight");
        await participant.GetByRole(AriaRole.Button, new() { Name = "Send my report" }).ClickAsync();

        await Assertions.Expect(participant.GetByRole(AriaRole.Status)).ToHaveTextAsync("Thank you — your pain report is stored.");
        await Assertions.Expect(participant.Locator("progress")).ToBeVisibleAsync();
        await Shot(participant, "participant-confirmation-phone");

        var researcher = await NewPageAsync(Desktop);
        await researcher.GotoAsync(new Uri(_server.Url, "/sign-in").ToString());
        await researcher.GetByLabel("API token").FillAsync(WebServer.ResearcherToken);
        await researcher.GetByLabel("API token").PressAsync("Enter");
        await Assertions.Expect(researcher.GetByRole(AriaRole.Heading, new() { Name = "Cohort" })).ToBeVisibleAsync();
        var row = researcher.GetByRole(AriaRole.Row).Filter(new() { HasText = "P002" });
        await Assertions.Expect(row).ToContainTextAsync("exercise");
        // 18:00 or 18:02 local: see the session-start note in AdherenceApiTests.
        await Assertions.Expect(row).ToContainTextAsync(new System.Text.RegularExpressions.Regex("2026-03-04 18:0[0-2]"));
        await Shot(researcher, "cohort-desktop");

        await researcher.GetByRole(AriaRole.Link, new() { Name = "P002" }).ClickAsync();
        await Assertions.Expect(researcher.GetByRole(AriaRole.Heading, new() { Name = "Participant P002" })).ToBeVisibleAsync();
        var newest = researcher.Locator("table.pain-reports tbody tr").First;
        await Assertions.Expect(newest).ToContainTextAsync("post");
        await Assertions.Expect(newest.Locator("td").Nth(2)).ToHaveTextAsync("7");
        await Assertions.Expect(newest.Locator("td").Nth(3)).ToHaveTextAsync("6/5/4");
        await Assertions.Expect(researcher.Locator("svg .adherence-bar")).ToHaveCountAsync(1);
        await Assertions.Expect(researcher.Locator("svg .pain-report")).ToHaveCountAsync(2);
        await Assertions.Expect(researcher.Locator("svg .pain-report title").Last).ToContainTextAsync("post: NRS 7");
        // The session lasts at least 5 minutes (see the replay tests) and windows start every 2.5 s.
        Assert.InRange(await researcher.Locator("svg .timeline-window").CountAsync(), 120, 350);
        await Shot(researcher, "researcher-participant-desktop");
        await researcher.SetViewportSizeAsync(Phone.Width, Phone.Height);
        await Shot(researcher, "researcher-participant-phone");
    }

    [Fact]
    public async Task ParticipantFillsInADueQuestionnaire_ItIsStoredAndNoLongerOffered()
    {
        var page = await NewPageAsync(Phone);
        await page.GotoAsync(new Uri(_server.Url, "/sign-in").ToString());
        await SignInAsParticipantAsync(page, WebServer.P002Code);
        var due = page.Locator("section.questionnaires li[data-instrument='psfs']");
        await Assertions.Expect(due).ToContainTextAsync("baseline, overdue since 6 Mar 2026");
        await Shot(page, "questionnaires-due-phone");

        await due.GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Patient-Specific Functional Scale" })).ToBeVisibleAsync();
        await page.Locator("#name-activity1").FillAsync("Gardening");
        await page.Locator("#item-activity1 label").Filter(new() { HasTextRegex = new Regex("^6$") }).ClickAsync();
        await page.Locator("#name-activity2").FillAsync("Climbing stairs");
        await page.Locator("#item-activity2 label").Filter(new() { HasTextRegex = new Regex("^4$") }).ClickAsync();
        await Shot(page, "questionnaire-psfs-phone");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send my answers" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Thank you — your questionnaire is stored.");
        await Assertions.Expect(page.Locator("section.questionnaires li[data-instrument='psfs']")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("section.questionnaires li[data-instrument='peg-3']")).ToHaveCountAsync(1);
        await Shot(page, "questionnaire-stored-phone");
        using var researcher = _server.Researcher();
        var stored = await researcher.GetFromJsonAsync<JsonElement>("/api/participants/P002/outcomes");
        var psfs = stored.EnumerateArray().Single(r => r.GetProperty("instrument").GetString() == "psfs");
        Assert.Equal(5.0, psfs.GetProperty("scores")[0].GetProperty("value").GetDouble());
        Assert.Equal(6, psfs.GetProperty("answers").GetProperty("activity1").GetInt32());
    }

    [Fact]
    public async Task WrongAccessCode_IsRefusedAndGrantsNothing()
    {
        var page = await NewPageAsync(Phone);
        await page.GotoAsync(new Uri(_server.Url, "/sign-in").ToString());

        await SignInAsParticipantAsync(page, "123456");

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The participant code or access code is not right.");
        var me = await page.GotoAsync(new Uri(_server.Url, "/me").ToString());
        Assert.EndsWith("/sign-in?ReturnUrl=%2Fme", page.Url, StringComparison.Ordinal);
        Assert.Equal(200, me!.Status);
        await Shot(page, "sign-in-refused-phone");
    }

    [Fact]
    public async Task WrongResearcherToken_IsRefused()
    {
        var page = await NewPageAsync(Desktop);
        await page.GotoAsync(new Uri(_server.Url, "/sign-in").ToString());

        await page.GetByLabel("API token").FillAsync("a-guessed-token-that-is-long-enough");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).Nth(1).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That researcher token is not right.");
        await page.GotoAsync(new Uri(_server.Url, "/researcher").ToString());
        Assert.EndsWith("/sign-in?ReturnUrl=%2Fresearcher", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Participant_OnResearcherPages_IsForbidden()
    {
        var page = await NewPageAsync(Phone);
        await page.GotoAsync(new Uri(_server.Url, "/sign-in").ToString());
        await SignInAsParticipantAsync(page, WebServer.P002Code);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello P002" })).ToBeVisibleAsync();

        var response = await page.GotoAsync(new Uri(_server.Url, "/researcher/participants/P002").ToString());

        Assert.Equal(403, response!.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
    }

    private static async Task SignInAsParticipantAsync(IPage page, string code)
    {
        await page.GetByLabel("Participant code").FillAsync("P002");
        await page.GetByLabel("Access code").FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).First.ClickAsync();
    }

    private async Task<IPage> NewPageAsync(ViewportSize viewport)
    {
        var context = await _browser!.NewContextAsync(new() { ViewportSize = viewport });
        return await context.NewPageAsync();
    }

    private static async Task Shot(IPage page, string name) =>
        await page.ScreenshotAsync(new() { Path = Path.Combine(WebServer.ArtefactDirectory, name + ".png"), FullPage = true });
}
