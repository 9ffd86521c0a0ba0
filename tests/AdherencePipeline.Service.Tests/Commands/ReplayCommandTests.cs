using AdherencePipeline.Testing;

namespace AdherencePipeline.Service.Tests.Commands;

public sealed class ReplayCommandTests : IClassFixture<InfluxServerFixture>, IDisposable
{
    private readonly InfluxServer _server;
    private readonly string _spool = Directory.CreateTempSubdirectory("replay-cli-").FullName;

    public ReplayCommandTests(InfluxServerFixture fixture) => _server = fixture.Server;

    public void Dispose() => Directory.Delete(_spool, recursive: true);

    private static string Repository { get; } = RepositoryRoot.Path;

    private static string DemoRecording => Path.Combine(Repository, "data", "demo", "hexoskin-subject001-excerpt.acc.csv.gz");

    private string Config()
    {
        var path = Path.Combine(_spool, "config.json");
        File.WriteAllText(path, $$"""{ "Influx": { "Writer": { "SpoolDirectory": "{{_spool.Replace("\\", "\\\\", StringComparison.Ordinal)}}" } } }""");
        return path;
    }

    [Fact]
    public async Task Replay_DemoRecording_StoresItAndReportsWhatInfluxHolds()
    {
        var (exit, output, error) = await CliRunner.RunAsync("replay", "--recording", DemoRecording, "--participant", "P001",
            "--url", _server.Url.ToString(), "--database", InfluxServer.NewDatabaseName("demo"), "--create-database", "--config", Config());

        Assert.True(exit == 0, error);
        Assert.Contains("0 decode faults", output, StringComparison.Ordinal);
        Assert.Contains("0 dead-lettered", output, StringComparison.Ordinal);
        Assert.Matches(@"heart_rate\s+8\d\d seconds with a valid value", output);
        Assert.Matches(@"motion\s+86\d seconds", output);
    }

    [Fact]
    public async Task Replay_WithModelAndRegistry_StoresSessionAndWeeklyAdherence()
    {
        var database = InfluxServer.NewDatabaseName("sessions");
        var (exit, output, error) = await CliRunner.RunAsync("replay", "--recording", DemoRecording, "--participant", "P002",
            "--registry", Path.Combine(Repository, "data", "participants.example.json"), "--start", "2026-03-04T17:00:00Z",
            "--url", _server.Url.ToString(), "--database", database, "--create-database", "--config", Config());

        Assert.True(exit == 0, error);
        Assert.Matches(@"activity\s+34\d windows classified by model [0-9a-f]{12}", output);
        // The excerpt starts with 30 s standing, 47 s walking and about a minute standing or shuffling
        // before ten minutes of walking from 02:20. Whether that first walk joins the session depends on
        // whether the pause reads as under a minute (MaximumInterruption), a window either way: the
        // session starts at 17:00:3x or at 17:02:2x.
        Assert.Matches(@"  session       2026-03-04 17:0[02]:[23]\dZ", output);
        Assert.Matches(@"adherence\s+2026-W10: 1 of 2 sessions, \d+\.\d of 90 min in the target zone", output);
        var connection = new AdherencePipeline.Storage.InfluxConnectionOptions { Url = _server.Url, Database = database };
        using var http = new HttpClient();
        var query = new AdherencePipeline.Storage.InfluxQueryClient(http, connection);
        var sessions = await query.QueryAsync("SELECT \"exercise_min\", \"bouts\" FROM \"session\" WHERE \"participant\" = 'P002'");
        var session = Assert.Single(Assert.Single(sessions).Rows);
        Assert.InRange(session.GetDouble("exercise_min"), 5, 14.4);
        var adherence = await query.QueryAsync("SELECT \"adherence_pct\", \"prescribed_min\" FROM \"adherence\" WHERE \"period\" = 'week'");
        Assert.Equal(90, Assert.Single(Assert.Single(adherence).Rows).GetDouble("prescribed_min"));
        var activity = await query.QueryAsync("SELECT COUNT(\"activity\") AS n FROM \"activity\"");
        Assert.InRange(Assert.Single(Assert.Single(activity).Rows).GetInt64("n"), 340, 350);

        // What a researcher gets back through 'adherence query'.
        var common = new[] { "--url", _server.Url.ToString(), "--database", database };
        var csv = await CliRunner.RunAsync(["query", "sessions", "--participant", "P002", "--format", "csv", .. common]);
        Assert.Equal(0, csv.ExitCode);
        var lines = csv.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("time,", lines[0], StringComparison.Ordinal);
        Assert.Contains("exercise_min", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^2026-03-04T17:0[02]:", lines[1]);
        var json = await CliRunner.RunAsync(["query", "adherence", "--arm", "exercise", "--from", "2026-03-01", "--to", "2026-03-09", "--format", "json", .. common]);
        using var parsed = System.Text.Json.JsonDocument.Parse(json.Output);
        Assert.Equal("2026-W10", Assert.Single(parsed.RootElement.EnumerateArray().ToList()).GetProperty("label").GetString());
        // InfluxQL smuggled into a participant code is refused before any query; into an arm (any text), it is
        // bound as a value and matches nothing, although the exercise arm has rows.
        var hostile = await CliRunner.RunAsync(["query", "sessions", "--participant", "P002' OR participant =~ /.*/ --", .. common]);
        Assert.Equal(1, hostile.ExitCode);
        Assert.Contains("--participant: 'P002' OR participant =~ /.*/ --' looks like a name", hostile.Error, StringComparison.Ordinal);
        Assert.Equal("", hostile.Output);
        var hostileArm = await CliRunner.RunAsync(["query", "sessions", "--arm", "x' OR \"arm\" =~ /.*/ --", .. common]);
        Assert.Equal(0, hostileArm.ExitCode);
        Assert.Equal("no rows\n", hostileArm.Output);
        var exerciseArm = await CliRunner.RunAsync(["query", "sessions", "--arm", "exercise", .. common]);
        Assert.Contains("P002", exerciseArm.Output, StringComparison.Ordinal);

        // And the weekly report, with a pain report after the session and the chart.
        var registry = Path.Combine(Repository, "data", "participants.example.json");
        var pain = await CliRunner.RunAsync(["pain", "add", "--participant", "P002", "--nrs", "3", "--context", "post", "--at", "2026-03-04T17:20:00Z", "--registry", registry, .. common]);
        Assert.True(pain.ExitCode == 0, pain.Error);
        Assert.Matches(@"linked to the session that started at 2026-03-04T17:0[02]:", pain.Output);
        var svg = Path.Combine(_spool, "week.svg");
        var report = await CliRunner.RunAsync(["report", "--participant", "P002", "--week", "2026-W10", "--registry", registry, "--plot", svg, .. common]);
        Assert.True(report.ExitCode == 0, report.Error);
        Assert.Contains("Week 2026-W10 (2026-03-02 – 2026-03-08) for P002", report.Output, StringComparison.Ordinal);
        Assert.Contains("prescription  2 × 45 min a week, moderate or above", report.Output, StringComparison.Ordinal);
        Assert.Contains("sessions      1", report.Output, StringComparison.Ordinal);
        Assert.Matches(@"adherence\s+\d+\.\d of 90 min in the target zone, 1 of 2 sessions: \d+ %", report.Output);
        Assert.Contains("pain post     mean NRS 3.0 over 1 report(s)", report.Output, StringComparison.Ordinal);
        var chart = System.Xml.Linq.XDocument.Load(svg);
        Assert.Equal("svg", chart.Root!.Name.LocalName);
        Assert.Contains(chart.Descendants(), e => e.Name.LocalName == "rect" && ((string?)e.Element(e.Name.Namespace + "title"))?.StartsWith("2026-W10", StringComparison.Ordinal) == true);
        Assert.Contains(chart.Descendants(), e => e.Name.LocalName == "circle");
    }

    [Fact]
    public async Task Replay_CorruptModel_IsRefusedBeforeReplaying()
    {
        var model = Path.Combine(_spool, "broken.zip");
        File.WriteAllBytes(model, [1, 2, 3]);

        var (exit, _, error) = await CliRunner.RunAsync("replay", "--recording", DemoRecording, "--participant", "P001", "--model", model, "--url", _server.Url.ToString());

        Assert.Equal(1, exit);
        Assert.Contains("broken", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_NameInsteadOfCode_IsRefused()
    {
        var (exit, _, error) = await CliRunner.RunAsync("replay", "--recording", DemoRecording, "--participant", "Jane Doe", "--url", _server.Url.ToString());

        Assert.Equal(1, exit);
        Assert.Contains("not a participant code", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_FileWithSeveralRecordings_AsksForASegment()
    {
        var torso = Path.Combine(Repository, "..", "shared", "data", "daily-sports-torso", "subject1.csv.gz");

        var (exit, _, error) = await CliRunner.RunAsync("replay", "--recording", torso, "--participant", "P001", "--url", _server.Url.ToString());

        Assert.Equal(1, exit);
        Assert.Contains("--segment 0–18", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_InfluxUnreachable_ExitsTwoBeforeReplaying()
    {
        await using var server = await InfluxServer.StartAsync();
        await server.KillAsync();

        var (exit, output, error) = await CliRunner.RunAsync("replay", "--recording", DemoRecording, "--participant", "P001", "--url", server.Url.ToString());

        Assert.Equal(2, exit);
        Assert.Contains("unreachable", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Replaying", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_UnknownProfile_ListsTheKnownOnes()
    {
        var (exit, _, error) = await CliRunner.RunAsync("replay", "--recording", DemoRecording, "--participant", "P001", "--profile", "fitbit", "--url", _server.Url.ToString());

        Assert.Equal(1, exit);
        Assert.Contains("polar-h10", error, StringComparison.Ordinal);
    }
}
