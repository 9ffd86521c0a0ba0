using AdherencePipeline.Storage;
using AdherencePipeline.Testing;

namespace AdherencePipeline.Service.Tests.Commands;

public sealed class PainCommandTests : IClassFixture<InfluxServerFixture>
{
    private readonly InfluxServer _server;

    public PainCommandTests(InfluxServerFixture fixture) => _server = fixture.Server;

    private Task<(int ExitCode, string Output, string Error)> AddAsync(string database, params string[] args) =>
        CliRunner.RunAsync(["pain", "add", "--registry", ParticipantsCommandTests.ExampleRegistry, "--url", _server.Url.ToString(), "--database", database, .. args]);

    private async Task<IReadOnlyList<InfluxRow>> RowsAsync(string database)
    {
        using var http = new HttpClient();
        var query = new InfluxQueryClient(http, new InfluxConnectionOptions { Url = _server.Url, Database = database });
        var series = await query.QueryAsync("SELECT * FROM \"pain_report\" WHERE \"participant\" = $participant", new Dictionary<string, object?> { ["participant"] = "P001" });
        return [.. series.SelectMany(s => s.Rows)];
    }

    [Fact]
    public async Task Add_WithPeg_StoresThePointAndReadsBackTheSameValues()
    {
        var database = InfluxServer.NewDatabaseName();

        var (exit, output, error) = await AddAsync(database, "--create-database", "--participant", "P001", "--nrs", "4", "--peg", "5,6,8", "--context", "post", "--at", "2026-04-20T03:30:00Z");

        Assert.True(exit == 0, error);
        Assert.Contains("P001 (exercise, oslo) post: NRS 4, PEG-3 5/6/8 (score 6.33) at 2026-04-20T03:30:00Z (local 2026-04-20 05:30 Europe/Oslo, local date 2026-04-20)", output, StringComparison.Ordinal);
        var row = Assert.Single(await RowsAsync(database));
        Assert.Equal(Point.ToTimestampNs(new DateTimeOffset(2026, 4, 20, 3, 30, 0, TimeSpan.Zero)), row.TimestampNs);
        Assert.Equal(4, row.GetInt64("nrs"));
        Assert.Equal(5, row.GetInt64("peg_pain"));
        Assert.Equal(6, row.GetInt64("peg_enjoyment"));
        Assert.Equal(8, row.GetInt64("peg_activity"));
        Assert.Equal(19 / 3.0, row.GetDouble("peg_score"), 12);
        Assert.Equal("2026-04-20", row.GetString("local_date"));
        Assert.Equal("exercise", row.GetString("arm"));
        Assert.Equal("oslo", row.GetString("site"));
        Assert.Equal("post", row.GetString("context"));
    }

    [Fact]
    public async Task Add_SameReportTwice_StoresOnePoint()
    {
        var database = InfluxServer.NewDatabaseName();
        string[] args = ["--create-database", "--participant", "P001", "--nrs", "2", "--at", "2026-03-20T08:30"];

        var first = await AddAsync(database, args);
        var second = await AddAsync(database, args);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, second.ExitCode);
        var row = Assert.Single(await RowsAsync(database));
        Assert.Equal(Point.ToTimestampNs(new DateTimeOffset(2026, 3, 20, 7, 30, 0, TimeSpan.Zero)), row.TimestampNs);
        Assert.Equal("daily", row.GetString("context"));
        Assert.True(row.IsNull("peg_score"));
    }

    [Theory]
    [InlineData("--nrs", "11", "nrs: expected an integer from 0 to 10, found '11'")]
    [InlineData("--nrs", "-1", "nrs: expected an integer from 0 to 10, found '-1'")]
    [InlineData("--nrs", "4.5", "nrs: expected an integer from 0 to 10, found '4.5'")]
    [InlineData("--peg", "3,11,2", "peg_enjoyment: expected an integer from 0 to 10, found '11'")]
    [InlineData("--context", "during", "context: expected one of pre, post, daily, found 'during'")]
    [InlineData("--at", "2026-03-29T02:30", "does not exist in Europe/Oslo")]
    public async Task Add_InvalidInput_ExitsOneNamingFieldAndRangeAndStoresNothing(string option, string value, string message)
    {
        var database = InfluxServer.NewDatabaseName();
        await _server.CreateDatabaseAsync(database);
        var args = new Dictionary<string, string> { ["--participant"] = "P001", ["--nrs"] = "3", ["--at"] = "2026-03-20T07:30:00Z", [option] = value };

        var (exit, output, error) = await AddAsync(database, [.. args.SelectMany(kv => new[] { kv.Key, kv.Value })]);

        Assert.Equal(1, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Contains("nothing was stored", error, StringComparison.Ordinal);
        Assert.Equal("", output);
        Assert.Empty(await RowsAsync(database));
    }

    [Fact]
    public async Task Add_UnknownParticipant_ExitsOneNamingTheRegistry()
    {
        var (exit, _, error) = await AddAsync(InfluxServer.NewDatabaseName(), "--participant", "P999", "--nrs", "3");

        Assert.Equal(1, exit);
        Assert.Contains("participant: expected a participant of the registry", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_InfluxUnreachable_ExitsTwoAndSaysNothingWasStored()
    {
        await using var server = await InfluxServer.StartAsync();
        await server.KillAsync();

        var (exit, output, error) = await CliRunner.RunAsync("pain", "add", "--registry", ParticipantsCommandTests.ExampleRegistry, "--url", server.Url.ToString(),
            "--participant", "P001", "--nrs", "3", "--at", "2026-03-20T07:30:00Z");

        Assert.Equal(2, exit);
        Assert.Contains("is unreachable", error, StringComparison.Ordinal);
        Assert.Contains("NOT stored", error, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Add_DatabaseMissing_ExitsFourAndSuggestsCreating()
    {
        var (exit, _, error) = await AddAsync(InfluxServer.NewDatabaseName(), "--participant", "P001", "--nrs", "3", "--at", "2026-03-20T07:30:00Z");

        Assert.Equal(4, exit);
        Assert.Contains("--create-database", error, StringComparison.Ordinal);
    }
}
