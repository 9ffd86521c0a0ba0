using System.Diagnostics;
using System.Net.Http.Json;
using AdherencePipeline.Service.Tests.Commands;
using AdherencePipeline.Service.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AdherencePipeline.Service.Tests.Web;

public sealed class WebSecretsTests
{
    [Fact]
    public void HashCode_SameCodeTwice_DiffersBySaltAndBothMatch()
    {
        var first = WebSecrets.HashCode("771934");
        var second = WebSecrets.HashCode("771934");

        Assert.NotEqual(first, second);
        Assert.True(WebSecrets.CodeMatches("771934", first));
        Assert.True(WebSecrets.CodeMatches("771934", second));
        Assert.False(WebSecrets.CodeMatches("771935", first));
    }

    [Theory]
    [InlineData("")]
    [InlineData("pbkdf2-sha256$210000$bm90IGJhc2U2NA")]
    [InlineData("pbkdf2-sha256$10$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==")]
    [InlineData("sha1$210000$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==")]
    public void CodeMatches_MalformedHash_IsFalse(string hash)
    {
        Assert.False(WebSecrets.CodeMatches("771934", hash));
        Assert.False(WebSecrets.IsCodeHash(hash));
    }

    [Fact]
    public void TokenMatches_OnlyTheHashedToken()
    {
        string[] hashes = [WebSecrets.HashToken("first-token-0123456789abcdef"), WebSecrets.HashToken("second-token-0123456789abcdef")];

        Assert.True(WebSecrets.TokenMatches("second-token-0123456789abcdef", hashes));
        Assert.False(WebSecrets.TokenMatches("third-token-0123456789abcdef", hashes));
        Assert.Equal("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", WebSecrets.HashToken("test"));
    }

    [Theory]
    [InlineData("hash-token", "researcher-token-0123456789abcdef")]
    [InlineData("hash-code", "771934")]
    public async Task HashVerb_ReadsTheSecretFromStdinAndPrintsAHashThatMatchesIt(string verb, string secret)
    {
        var (exit, output, error) = await RunAdherenceAsync(secret + "\n", "web", verb);

        Assert.True(exit == 0, error);
        var hash = output.Trim();
        Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
        Assert.True(verb == "hash-token" ? WebSecrets.TokenMatches(secret, [hash]) : WebSecrets.CodeMatches(secret, hash));
    }

    [Fact]
    public async Task HashVerb_ShortSecret_IsRefused()
    {
        var (exit, _, error) = await RunAdherenceAsync("123\n", "web", "hash-code");

        Assert.Equal(1, exit);
        Assert.Contains("stdin: expected a secret of at least 6 characters", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ResearcherTokenNotAHash_FailsAtStartNamingTheKey()
    {
        var config = Path.Combine(Directory.CreateTempSubdirectory("serve-config-").FullName, "web.json");
        await File.WriteAllTextAsync(config, $$"""{ "Participants": { "Registry": "{{ParticipantsCommandTests.ExampleRegistry}}" }, "Web": { "ResearcherTokens": ["plain-text-token"] } }""");

        var (exit, _, error) = await CliRunner.RunAsync("serve", "--config", config, "--urls", "http://127.0.0.1:0");

        Assert.Equal(1, exit);
        Assert.Contains("Web:ResearcherTokens:0: expected a SHA-256 hash", error, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task SecretsFile_HashesInTheFile_AdmitTheTokenAndTheCode()
    {
        const string Token = "researcher-token-from-file-0123456789";
        var directory = Directory.CreateTempSubdirectory("web-secrets-").FullName;
        var secrets = Path.Combine(directory, "web-secrets.json");
        await File.WriteAllTextAsync(secrets, $$"""{ "ResearcherTokens": ["{{WebSecrets.HashToken(Token)}}"], "ParticipantCodes": { "P002": "{{WebSecrets.HashCode("771934")}}" } }""");
        File.SetUnixFileMode(secrets, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Influx:Url"] = "http://127.0.0.1:1",
            ["Participants:Registry"] = ParticipantsCommandTests.ExampleRegistry,
            ["Web:SecretsFile"] = secrets,
            ["Web:SecureCookies"] = "false",
        });
        builder.Services.AddAdherenceWeb(builder.Configuration);
        await using var app = builder.Build();
        app.MapAdherenceWeb();
        await app.StartAsync();
        var url = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = url };

        using var anonymous = await client.GetAsync(new Uri("/api/participants", UriKind.Relative));
        using var signIn = await client.PostAsJsonAsync("/api/sign-in", new { participant = "P002", code = "771934" });
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        using var researcher = await client.GetAsync(new Uri("/api/participants", UriKind.Relative));

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NoContent, signIn.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, researcher.StatusCode);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Serve_SecretsFileReadableByEveryone_FailsAtStartNamingTheKey()
    {
        var directory = Directory.CreateTempSubdirectory("serve-config-").FullName;
        var secrets = Path.Combine(directory, "web-secrets.json");
        await File.WriteAllTextAsync(secrets, $$"""{ "ResearcherTokens": ["{{WebSecrets.HashToken("researcher-token-0123456789abcdef")}}"] }""");
        File.SetUnixFileMode(secrets, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var config = Path.Combine(directory, "web.json");
        await File.WriteAllTextAsync(config, $$"""{ "Participants": { "Registry": "{{ParticipantsCommandTests.ExampleRegistry}}" }, "Web": { "SecretsFile": "{{secrets}}" } }""");

        var (exit, _, error) = await CliRunner.RunAsync("serve", "--config", config, "--urls", "http://127.0.0.1:0");

        Assert.Equal(1, exit);
        Assert.Contains($"Web:SecretsFile: the file '{secrets}' is readable by every user (mode 0644)", error, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    // Three servers share one data-protection key ring, as restarts of one service do. B has the token
    // revoked and P002's code changed; C has the settings of A. InfluxDB is not running, so an admitted
    // participant gets 503 where a refused one gets 401.
    [Fact]
    public async Task SignIn_TokenRevokedOrCodeChanged_EndsTheSignInsMadeWithThem()
    {
        const string OldToken = "researcher-token-old-0123456789abcdef", NewToken = "researcher-token-new-0123456789abcdef";
        var keys = Directory.CreateTempSubdirectory("web-keys-").FullName;
        var before = new Dictionary<string, string?> { ["Web:ResearcherTokens:0"] = WebSecrets.HashToken(OldToken), ["Web:ParticipantCodes:P002"] = WebSecrets.HashCode("771934") };
        var after = new Dictionary<string, string?> { ["Web:ResearcherTokens:0"] = WebSecrets.HashToken(NewToken), ["Web:ParticipantCodes:P002"] = WebSecrets.HashCode("550917") };
        await using var a = await StartAsync(before, keys);
        await using var b = await StartAsync(after, keys);
        await using var c = await StartAsync(before, keys);
        var urlA = Address(a);

        var participantCookies = new System.Net.CookieContainer();
        using (var participant = new HttpClient(new HttpClientHandler { CookieContainer = participantCookies }) { BaseAddress = urlA })
        {
            using var signIn = await participant.PostAsJsonAsync("/api/sign-in", new { participant = "P002", code = "771934" });
            Assert.Equal(System.Net.HttpStatusCode.NoContent, signIn.StatusCode);
        }

        var researcherCookies = new System.Net.CookieContainer();
        using (var researcher = new HttpClient(new HttpClientHandler { CookieContainer = researcherCookies, AllowAutoRedirect = false }) { BaseAddress = urlA })
        {
            var html = await researcher.GetStringAsync(new Uri("/sign-in", UriKind.Relative));
            var antiforgery = System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
            using var signIn = await researcher.PostAsync(new Uri("/sign-in", UriKind.Relative),
                new FormUrlEncodedContent([new("token", OldToken), new("__RequestVerificationToken", antiforgery)]));
            Assert.Equal(System.Net.HttpStatusCode.Redirect, signIn.StatusCode);
        }

        var participantCookie = participantCookies.GetCookies(urlA)["adherence.sign-in"]!.Value;
        var researcherCookie = researcherCookies.GetCookies(urlA)["adherence.sign-in"]!.Value;

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, await StatusAsync(c, "/api/participants/P002/summary", participantCookie));
        Assert.Equal(System.Net.HttpStatusCode.OK, await StatusAsync(c, "/api/participants", researcherCookie));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, await StatusAsync(b, "/api/participants/P002/summary", participantCookie));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, await StatusAsync(b, "/api/participants", researcherCookie));
        Directory.Delete(keys, recursive: true);
    }

    private static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());

    private static async Task<System.Net.HttpStatusCode> StatusAsync(WebApplication app, string path, string cookie)
    {
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = Address(app) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Add("Cookie", $"adherence.sign-in={cookie}");
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<WebApplication> StartAsync(Dictionary<string, string?> secrets, string keys)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(secrets)
        {
            ["Influx:Url"] = "http://127.0.0.1:1",
            ["Participants:Registry"] = ParticipantsCommandTests.ExampleRegistry,
            ["Web:SecureCookies"] = "false",
        });
        builder.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keys)).SetApplicationName("adherence-web-tests");
        builder.Services.AddAdherenceWeb(builder.Configuration);
        var app = builder.Build();
        app.MapAdherenceWeb();
        await app.StartAsync();
        return app;
    }

    // The verbs read standard input, so they run as the real executable in a child process.
    private static async Task<(int ExitCode, string Output, string Error)> RunAdherenceAsync(string input, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "adherence.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
