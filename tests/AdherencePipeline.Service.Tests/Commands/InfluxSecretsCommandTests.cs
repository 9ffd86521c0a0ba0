using System.Diagnostics;
using System.Text;
using AdherencePipeline.Service.Commands;
using AdherencePipeline.Service.Storage;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AdherencePipeline.Service.Tests.Commands;

/// <summary>A real influxd with authentication on, serving HTTPS with a certificate from a CA made in the test.</summary>
public sealed class SecureInfluxFixture : IAsyncLifetime
{
    /// <summary>The admin's password: the secret the tests look for in every output and log.</summary>
    public const string Password = "Tr0ub4dor&3-correct-horse";

    private InfluxServer? _server;

    public TestCertificateAuthority Authority { get; } = TestCertificateAuthority.Create("adherence-test-ca");

    public TestCertificateAuthority Stranger { get; } = TestCertificateAuthority.Create("stranger-ca");

    public InfluxServer Server => _server ?? throw new InvalidOperationException("The fixture has not started.");

    public async Task InitializeAsync()
    {
        _server = await InfluxServer.StartAsync(authEnabled: true, tls: Authority.IssueServer());
        await _server.CreateAdminAsync("admin", Password);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Authority.Dispose();
        Stranger.Dispose();
    }
}

/// <summary>
/// Secrets reach InfluxDB from the environment or from files, never from the command line, and appear in
/// no output or log; certificates are checked, and a refused one is reported as such by <c>influx check</c>.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class InfluxSecretsCommandTests : IClassFixture<SecureInfluxFixture>, IDisposable
{
    private const string WrongPassword = "n0t-the-Password-at-all";
    private readonly SecureInfluxFixture _fixture;
    private readonly string _directory = Directory.CreateTempSubdirectory("influx-secrets-cli-").FullName;

    public InfluxSecretsCommandTests(SecureInfluxFixture fixture) => _fixture = fixture;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string SecretFile(string name, string text, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private string Config(string name, string passwordFile, string? caFile)
    {
        var path = Path.Combine(_directory, name);
        var ca = caFile is null ? "" : $", \"CaCertificateFile\": \"{caFile}\"";
        File.WriteAllText(path, $$"""
            { "Influx": { "Url": "{{_fixture.Server.Url}}", "Database": "{{InfluxServer.NewDatabaseName("secrets")}}", "CreateDatabase": true,
                          "Username": "admin", "PasswordFile": "{{passwordFile}}"{{ca}} } }
            """);
        return path;
    }

    private static void AssertNoSecret(params string[] texts)
    {
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + SecureInfluxFixture.Password));
        foreach (var text in texts)
        {
            Assert.DoesNotContain(SecureInfluxFixture.Password, text, StringComparison.Ordinal);
            Assert.DoesNotContain(WrongPassword, text, StringComparison.Ordinal);
            Assert.DoesNotContain(basic, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Check_PasswordFromTheEnvironment_AuthenticatesOverTls()
    {
        var (exit, output, error) = await RunAdherenceAsync(
            new()
            {
                ["ADHERENCE_Influx__Url"] = _fixture.Server.Url.ToString(),
                ["ADHERENCE_Influx__Database"] = InfluxServer.NewDatabaseName("env"),
                ["ADHERENCE_Influx__CreateDatabase"] = "true",
                ["ADHERENCE_Influx__Username"] = "admin",
                ["ADHERENCE_Influx__Password"] = SecureInfluxFixture.Password,
                ["ADHERENCE_Influx__CaCertificateFile"] = _fixture.Authority.CertificatePath,
            },
            "influx", "check");

        Assert.True(exit == 0, output + error);
        Assert.Contains("read back", output, StringComparison.Ordinal);
        AssertNoSecret(output, error);
    }

    [Fact]
    public async Task Check_PasswordFromAFile_AuthenticatesOverTls()
    {
        var config = Config("file.json", SecretFile("password", SecureInfluxFixture.Password + "\n"), _fixture.Authority.CertificatePath);

        var (exit, output, error) = await CliRunner.RunAsync("influx", "check", "--config", config);

        Assert.True(exit == 0, output + error);
        Assert.Contains("read back", output, StringComparison.Ordinal);
        AssertNoSecret(output, error);
    }

    [Fact]
    public async Task Check_WrongPasswordFromAFile_ExitsThreeWithoutShowingIt()
    {
        var config = Config("wrong.json", SecretFile("password", WrongPassword + "\n"), _fixture.Authority.CertificatePath);

        var (exit, output, error) = await CliRunner.RunAsync("influx", "check", "--config", config);

        Assert.Equal((int)InfluxCommand.CheckExit.Unauthorized, exit);
        Assert.Contains("authentication failed", output, StringComparison.Ordinal);
        AssertNoSecret(output, error);
    }

    [Fact]
    public async Task Check_PasswordFileReadableByEveryone_ExitsOneNamingTheKey()
    {
        var file = SecretFile("password", SecureInfluxFixture.Password + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var config = Config("open.json", file, _fixture.Authority.CertificatePath);

        var (exit, output, error) = await CliRunner.RunAsync("influx", "check", "--config", config);

        Assert.Equal((int)InfluxCommand.CheckExit.BadConfiguration, exit);
        Assert.Contains($"Influx:PasswordFile: the file '{file}' is readable by every user (mode 0644)", error, StringComparison.Ordinal);
        AssertNoSecret(output, error);
    }

    [Fact]
    public async Task Check_CertificateFromAnUnknownCa_ExitsTwoSayingWhy()
    {
        var config = Config("stranger.json", SecretFile("password", SecureInfluxFixture.Password), _fixture.Stranger.CertificatePath);

        var (exit, output, error) = await CliRunner.RunAsync("influx", "check", "--config", config);

        Assert.Equal((int)InfluxCommand.CheckExit.Unreachable, exit);
        Assert.Contains("unreachable: TLS: the certificate of 127.0.0.1 (CN=localhost, issued by CN=adherence-test-ca) is not signed by the CA in Influx:CaCertificateFile", output, StringComparison.Ordinal);
        AssertNoSecret(output, error);
    }

    [Fact]
    public async Task Check_PrivateCaWithoutCaFile_ExitsTwoPointingAtTheSetting()
    {
        var config = Config("system-cas.json", SecretFile("password", SecureInfluxFixture.Password), caFile: null);

        var (exit, output, _) = await CliRunner.RunAsync("influx", "check", "--config", config);

        Assert.Equal((int)InfluxCommand.CheckExit.Unreachable, exit);
        Assert.Contains("is not trusted: ", output, StringComparison.Ordinal);
        Assert.Contains("set Influx:CaCertificateFile", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--password", "ADHERENCE_Influx__Password or Influx:PasswordFile", "influx", "check")]
    [InlineData("--influx-password", "ADHERENCE_Influx__Password or Influx:PasswordFile", "query", "sessions")]
    [InlineData("--token", "ADHERENCE_Influx__Token or Influx:TokenFile", "replay", "--recording", "x.csv")]
    [InlineData("--code", "'adherence web hash-code'", "web", "hash-code")]
    [InlineData("--secret", "*File setting", "serve")]
    public async Task CommandLine_SecretOption_IsRefusedWithDirections(string option, string instead, params string[] verb)
    {
        var (exit, output, error) = await CliRunner.RunAsync([.. verb, option, SecureInfluxFixture.Password]);

        Assert.NotEqual(0, exit);
        Assert.Contains($"{option}: secrets are not taken on the command line", error, StringComparison.Ordinal);
        Assert.Contains(instead, error, StringComparison.Ordinal);
        AssertNoSecret(output, error);
    }

    [Fact]
    public async Task Check_UrlWithCredentials_ExitsOneWithoutEchoingThem()
    {
        var url = new UriBuilder(_fixture.Server.Url) { UserName = "admin", Password = SecureInfluxFixture.Password }.Uri;

        var (exit, output, error) = await CliRunner.RunAsync("influx", "check", "--url", url.ToString());

        Assert.Equal((int)InfluxCommand.CheckExit.BadConfiguration, exit);
        Assert.Contains("Influx:Url must not carry a user name or password", error, StringComparison.Ordinal);
        AssertNoSecret(output, error, Uri.UnescapeDataString(error));
        Assert.DoesNotContain(Uri.EscapeDataString(SecureInfluxFixture.Password), error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_NatsUrlWithCredentials_IsRefusedWithoutEchoingThem()
    {
        var (exit, output, error) = await CliRunner.RunAsync("gateway", "--nats-url", $"nats://site:{Uri.EscapeDataString(SecureInfluxFixture.Password)}@127.0.0.1:4222", "--site", "oslo");

        Assert.Equal(1, exit);
        Assert.Contains("--nats-url must not carry a user name, password or token", error, StringComparison.Ordinal);
        AssertNoSecret(output, error, Uri.UnescapeDataString(error));
    }

    // The service's own storage, as 'adherence run' builds it, logging at Trace: failed authentication,
    // retries, a failed query; then 'influx check' with the wrong and the right password.
    [Fact]
    public async Task Log_OfFailedAuthenticationRetriesAndCheck_NeverContainsTheSecret()
    {
        var log = new CapturedLog();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Influx:Url"] = _fixture.Server.Url.ToString(),
            ["Influx:Database"] = InfluxServer.NewDatabaseName("log"),
            ["Influx:CreateDatabase"] = "true",
            ["Influx:Username"] = "admin",
            ["Influx:PasswordFile"] = SecretFile("wrong-password", WrongPassword + "\n"),
            ["Influx:CaCertificateFile"] = _fixture.Authority.CertificatePath,
            ["Influx:Writer:SpoolDirectory"] = Path.Combine(_directory, "spool"),
            ["Influx:Writer:FlushInterval"] = "00:00:00.020",
            ["Influx:Writer:InitialRetryDelay"] = "00:00:00.020",
            ["Influx:Writer:MaxRetryDelay"] = "00:00:00.100",
            ["Influx:Writer:ShutdownTimeout"] = "00:00:00.200",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(log);
        builder.Services.AddInfluxStorage(builder.Configuration);
        string queryError;
        using (var host = builder.Build())
        {
            await host.StartAsync();
            await using (var writer = host.Services.GetRequiredService<InfluxLineWriter>())
            {
                await writer.WriteAsync(Point.For("motion").Tag("participant", "P001").Field("enmo_mg", 1.5).At(1_790_000_000_000_000_000L));
                await Eventually.TrueAsync(() => writer.GetStatistics().FailedAttempts >= 3, TimeSpan.FromSeconds(60), "three refused writes");
            }

            var refused = await Assert.ThrowsAsync<InfluxQueryException>(() => host.Services.GetRequiredService<InfluxQueryClient>().QueryAsync("SHOW DATABASES"));
            queryError = refused.ToString();
            await host.StopAsync();
        }

        var wrong = await CliRunner.RunAsync("influx", "check", "--config", Config("wrong.json", SecretFile("wrong-check", WrongPassword), _fixture.Authority.CertificatePath));
        var right = await CliRunner.RunAsync("influx", "check", "--config", Config("right.json", SecretFile("right-check", SecureInfluxFixture.Password), _fixture.Authority.CertificatePath));

        var text = log.Text;
        Assert.Contains("authentication failed", text, StringComparison.Ordinal);
        Assert.Contains("Authorization", text, StringComparison.Ordinal);
        Assert.Equal(3, wrong.ExitCode);
        Assert.Equal(0, right.ExitCode);
        AssertNoSecret(text, queryError, wrong.Output, wrong.Error, right.Output, right.Error);
    }

    // 'influx check' as a child process, with the environment it is given and nothing on its command line.
    private static async Task<(int ExitCode, string Output, string Error)> RunAdherenceAsync(Dictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "adherence.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Every log record of every category, formatted with its state and exception.</summary>
    private sealed class CapturedLog : ILoggerProvider
    {
        private readonly StringBuilder _text = new();

        public string Text
        {
            get { lock (_text) { return _text.ToString(); } }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private void Append(string line)
        {
            lock (_text)
            {
                _text.AppendLine(line);
            }
        }

        private sealed class Logger(CapturedLog owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull
            {
                owner.Append($"scope {category}: {state}");
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join("; ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
                owner.Append($"{logLevel} {category} [{eventId.Id}] {formatter(state, exception)} | {values} | {exception}");
            }
        }
    }
}
