using System.Net;
using System.Net.Http.Json;
using AdherencePipeline.Service.Tests.Commands;
using AdherencePipeline.Service.Web;
using AdherencePipeline.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace AdherencePipeline.Service.Tests.Web;

/// <summary>
/// The web API and pages on a free loopback port against a real influxd, seeded with the demo
/// recording replayed for P002 on 2026-03-04 and one pain report; the clock stands in that week.
/// </summary>
public sealed class WebServer : IAsyncLifetime
{
    /// <summary>The researcher token whose hash the server is configured with.</summary>
    public const string ResearcherToken = "researcher-token-0123456789abcdef";

    /// <summary>P002's access code; P001 has none configured.</summary>
    public const string P002Code = "771934";

    private static readonly string P002CodeHash = WebSecrets.HashCode(P002Code);
    private readonly string _spool = Directory.CreateTempSubdirectory("web-tests-").FullName;
    private InfluxServer? _influx;
    private readonly List<WebApplication> _apps = [];

    /// <summary>The clock the server reads: Friday of ISO week 2026-W10.</summary>
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 6, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The influxd the seeded server reads.</summary>
    public Uri InfluxUrl => _influx!.Url;

    /// <summary>The influxd itself, to create further databases.</summary>
    public InfluxServer Influx => _influx!;

    /// <summary>The seeded database.</summary>
    public string Database { get; private set; } = "";

    /// <summary>The seeded server's base address.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Where test artefacts (screenshots) go: TestResults beside the test binaries.</summary>
    public static string ArtefactDirectory => Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults", "web")).FullName;

    public async Task InitializeAsync()
    {
        _influx = await InfluxServer.StartAsync();
        var database = Database = InfluxServer.NewDatabaseName("web");
        var config = Path.Combine(_spool, "config.json");
        await File.WriteAllTextAsync(config, $$"""{ "Influx": { "Writer": { "SpoolDirectory": "{{_spool}}" } } }""");
        string[] common = ["--url", _influx.Url.ToString(), "--database", database, "--registry", ParticipantsCommandTests.ExampleRegistry, "--config", config];
        var replay = await CliRunner.RunAsync(["replay", "--recording", DemoRecording, "--participant", "P002", "--start", "2026-03-04T17:00:00Z", "--create-database", .. common]);
        Assert.True(replay.ExitCode == 0, replay.Error);
        var pain = await CliRunner.RunAsync(["pain", "add", "--participant", "P002", "--nrs", "5", "--context", "pre", "--at", "2026-03-04T16:50:00Z", .. common]);
        Assert.True(pain.ExitCode == 0, pain.Error);
        Url = await StartAsync(_influx.Url, database, signInAttemptsPerMinute: 1000);
    }

    /// <summary>Starts another server with the same secrets against any InfluxDB URL (e.g. one that is down) and returns its address.</summary>
    public async Task<Uri> StartAsync(Uri influx, string database, int signInAttemptsPerMinute, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Influx:Url"] = influx.ToString(),
            ["Influx:Database"] = database,
            ["Participants:Registry"] = ParticipantsCommandTests.ExampleRegistry,
            ["Web:ResearcherTokens:0"] = WebSecrets.HashToken(ResearcherToken),
            ["Web:ParticipantCodes:P002"] = P002CodeHash,
            ["Web:SecureCookies"] = "false",
            ["Web:SignInAttemptsPerMinute"] = signInAttemptsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Services.AddSingleton<TimeProvider>(Clock);
        builder.Services.AddAdherenceWeb(builder.Configuration);
        var app = builder.Build();
        app.MapAdherenceWeb();
        await app.StartAsync();
        _apps.Add(app);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new Uri(address);
    }

    /// <summary>A client without credentials; cookies are kept so a sign-in lasts.</summary>
    public HttpClient Anonymous(Uri? url = null) => new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = url ?? Url };

    /// <summary>A client with the researcher's bearer token.</summary>
    public HttpClient Researcher(string token = ResearcherToken)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A client signed in as P002 through the API.</summary>
    public async Task<HttpClient> ParticipantAsync(Uri? url = null)
    {
        var client = Anonymous(url);
        using var response = await client.PostAsJsonAsync("/api/sign-in", new { participant = "P002", code = P002Code });
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        return client;
    }

    public async Task DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        if (_influx is not null)
        {
            await _influx.DisposeAsync();
        }

        Directory.Delete(_spool, recursive: true);
    }

    private static string DemoRecording => Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(ParticipantsCommandTests.ExampleRegistry))!, "data", "demo", "hexoskin-subject001-excerpt.acc.csv.gz");
}
