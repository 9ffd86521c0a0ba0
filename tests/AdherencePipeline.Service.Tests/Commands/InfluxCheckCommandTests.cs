using AdherencePipeline.Testing;

namespace AdherencePipeline.Service.Tests.Commands;

public sealed class InfluxCheckCommandTests : IClassFixture<InfluxServerFixture>, IDisposable
{
    private readonly InfluxServer _server;
    private readonly string _directory = Directory.CreateTempSubdirectory("check-test-").FullName;

    public InfluxCheckCommandTests(InfluxServerFixture fixture) => _server = fixture.Server;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Check_ReachableServerWithCreateDatabase_WritesAndReadsTheProbe()
    {
        var (exit, output, _) = await CliRunner.RunAsync("influx", "check", "--url", _server.Url.ToString(), "--database", InfluxServer.NewDatabaseName(), "--create-database");

        Assert.Equal(0, exit);
        Assert.Contains("server version 1.", output, StringComparison.Ordinal);
        Assert.Contains("read back", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_MissingDatabase_ExitsFourAndSaysHowToCreateIt()
    {
        var (exit, output, _) = await CliRunner.RunAsync("influx", "check", "--url", _server.Url.ToString(), "--database", InfluxServer.NewDatabaseName());

        Assert.Equal(4, exit);
        Assert.Contains("--create-database", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_NothingListening_ExitsTwoWithTheReason()
    {
        await using var server = await InfluxServer.StartAsync();
        await server.KillAsync();

        var (exit, output, error) = await CliRunner.RunAsync("influx", "check", "--url", server.Url.ToString());

        Assert.Equal(2, exit);
        Assert.Contains("unreachable", output, StringComparison.Ordinal);
        Assert.Contains("Unreachable", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WrongPassword_ExitsThreeAndRightPasswordPasses()
    {
        await using var server = await InfluxServer.StartAsync(authEnabled: true);
        await server.CreateAdminAsync("admin", "correct horse");
        var database = InfluxServer.NewDatabaseName();
        var wrong = WriteConfig("wrong.json", $$"""{ "Influx": { "Url": "{{server.Url}}", "Database": "{{database}}", "Username": "admin", "Password": "battery staple" } }""");
        var right = WriteConfig("right.json", $$"""{ "Influx": { "Url": "{{server.Url}}", "Database": "{{database}}", "Username": "admin", "Password": "correct horse", "CreateDatabase": true } }""");

        var refused = await CliRunner.RunAsync("influx", "check", "--config", wrong);
        var accepted = await CliRunner.RunAsync("influx", "check", "--config", right);

        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("authentication failed", refused.Output, StringComparison.Ordinal);
        Assert.Equal(0, accepted.ExitCode);
    }

    [Fact]
    public async Task Check_RetentionPolicyMissing_ExitsFiveNamingTheSettingAndPassesOnceCreated()
    {
        var database = InfluxServer.NewDatabaseName();
        var config = WriteConfig("rp.json", $$"""{ "Influx": { "Url": "{{_server.Url}}", "Database": "{{database}}", "CreateDatabase": true, "RetentionPolicies": { "motion": "raw_90d" } } }""");

        var missing = await CliRunner.RunAsync("influx", "check", "--config", config);
        await _server.ExecuteAsync($"CREATE RETENTION POLICY \"raw_90d\" ON \"{database}\" DURATION 90d REPLICATION 1");
        var present = await CliRunner.RunAsync("influx", "check", "--config", config);

        Assert.Equal(5, missing.ExitCode);
        Assert.Contains("Influx:RetentionPolicies:motion: the retention policy 'raw_90d' does not exist", missing.Output, StringComparison.Ordinal);
        Assert.Equal(0, present.ExitCode);
        Assert.Contains("retention policies raw_90d: present", present.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ConfigFileMissing_ExitsOneNamingTheFile()
    {
        var missing = Path.Combine(_directory, "nope.json");

        var (exit, _, error) = await CliRunner.RunAsync("influx", "check", "--config", missing);

        Assert.Equal(1, exit);
        Assert.Contains(missing, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ConfigValueOfWrongType_ExitsOneNamingTheKey()
    {
        var config = WriteConfig("bad.json", """{ "Influx": { "Url": "http://127.0.0.1:1", "RequestTimeout": "soon" } }""");

        var (exit, _, error) = await CliRunner.RunAsync("influx", "check", "--config", config);

        Assert.Equal(1, exit);
        Assert.Contains("Influx:RequestTimeout", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ConfigNotJson_ExitsOneNamingTheFile()
    {
        var config = WriteConfig("broken.json", """{ "Influx": { "Url": """);

        var (exit, _, error) = await CliRunner.RunAsync("influx", "check", "--config", config);

        Assert.Equal(1, exit);
        Assert.Contains("broken.json", error, StringComparison.Ordinal);
    }

    private string WriteConfig(string name, string json)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, json);
        return path;
    }
}
