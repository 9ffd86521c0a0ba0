using System.Text.RegularExpressions;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;

namespace AdherencePipeline.Service.Tests.Commands;

/// <summary>
/// InfluxDB stopped for a full minute in the middle of a paced replay of a real recording, then
/// started again: what is stored must be exactly what an undisturbed replay stores, row for row,
/// with nothing missing and nothing twice. This test waits on the real clock on purpose: the outage
/// is the server's, and its length is the point.
/// </summary>
public sealed partial class ReplayOutageTests : IClassFixture<InfluxServerFixture>, IDisposable
{
    // The demo recording has no gaps, so "gap" is compared but may be empty.
    private static readonly string[] Measurements = ["motion", "heart_rate", "gap", "activity", "bout", "session", "adherence"];
    private readonly InfluxServer _reference;
    private readonly string _work = Directory.CreateTempSubdirectory("replay-outage-").FullName;
    private readonly HttpClient _http = new();

    public ReplayOutageTests(InfluxServerFixture fixture) => _reference = fixture.Server;

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Replay_InfluxStoppedForSixtySecondsMidway_StoresExactlyWhatAnUndisturbedReplayStores()
    {
        var referenceDatabase = InfluxServer.NewDatabaseName("undisturbed");
        var (referenceExit, _, referenceError) = await ReplayAsync(_reference, referenceDatabase, "max", "reference");
        Assert.True(referenceExit == 0, referenceError);

        await using var server = await InfluxServer.StartAsync();
        var database = InfluxServer.NewDatabaseName("outage");
        var connection = new InfluxConnectionOptions { Url = server.Url, Database = database };
        // Ten times real time: the 14-minute recording takes about 84 s, so the minute of outage
        // falls inside the replay and the writer must spool most of it.
        var replay = ReplayAsync(server, database, "10", "outage");
        await Eventually.TrueAsync(() => CountAsync(connection, "motion").GetAwaiter().GetResult() > 0, TimeSpan.FromSeconds(60), "the first stored seconds");
        await server.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(60));
        Assert.False(replay.IsCompleted, "the replay ended during the outage; the outage did not fall inside it");
        await server.StartAgainAsync();
        var (exit, output, error) = await replay.WaitAsync(TimeSpan.FromMinutes(5));

        Assert.True(exit == 0, error);
        Assert.DoesNotContain("did not take every point", error, StringComparison.Ordinal);
        var points = PointsLine().Match(output);
        Assert.True(points.Success, output);
        Assert.Equal(points.Groups["queued"].Value, points.Groups["accepted"].Value);
        Assert.Equal("0", points.Groups["dead"].Value);

        var referenceConnection = new InfluxConnectionOptions { Url = _reference.Url, Database = referenceDatabase };
        foreach (var measurement in Measurements)
        {
            var expected = await RowsAsync(referenceConnection, measurement);
            var actual = await RowsAsync(connection, measurement);
            Assert.True(expected.Count > 0 || measurement == "gap", $"the undisturbed replay stored no {measurement}");
            Assert.Equal(expected.Count, actual.Count);
            Assert.Equal(expected, actual);
        }
    }

    private async Task<(int ExitCode, string Output, string Error)> ReplayAsync(InfluxServer server, string database, string speed, string name)
    {
        var spool = Path.Combine(_work, name, "spool").Replace("\\", "\\\\", StringComparison.Ordinal);
        var config = Path.Combine(_work, name + ".json");
        Directory.CreateDirectory(Path.Combine(_work, name));
        await File.WriteAllTextAsync(config, $$"""{ "Influx": { "Writer": { "SpoolDirectory": "{{spool}}", "MaxRetryDelay": "00:00:05" } } }""");
        return await CliRunner.RunAsync("replay", "--recording", RepositoryRoot.Combine("data", "demo", "hexoskin-subject001-excerpt.acc.csv.gz"),
            "--participant", "P002", "--registry", RepositoryRoot.Combine("data", "participants.example.json"), "--start", "2026-03-04T17:00:00Z",
            "--speed", speed, "--url", server.Url.ToString(), "--database", database, "--create-database", "--config", config);
    }

    private async Task<long> CountAsync(InfluxConnectionOptions connection, string measurement)
    {
        try
        {
            var series = await new InfluxQueryClient(_http, connection).QueryAsync($"SELECT COUNT(*) FROM \"{measurement}\"");
            return series.Count == 0 ? 0 : series[0].Rows.Count;
        }
        catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException)
        {
            return 0;
        }
    }

    // Every row with every tag and field, as text, in time order: equality means the same points.
    private async Task<List<string>> RowsAsync(InfluxConnectionOptions connection, string measurement)
    {
        var series = await new InfluxQueryClient(_http, connection).QueryAsync($"SELECT * FROM \"{measurement}\" GROUP BY * ORDER BY time");
        var rows = new List<string>();
        foreach (var s in series)
        {
            var tags = string.Join(',', s.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));
            foreach (var row in s.Rows)
            {
                rows.Add(tags + " " + string.Join(',', s.Columns.Select(c => $"{c}={row.Value(c).GetRawText()}")));
            }
        }

        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    [GeneratedRegex(@"points\s+(?<queued>[\d,]+) queued, (?<accepted>[\d,]+) accepted by InfluxDB, (?<dead>[\d,]+) dead-lettered")]
    private static partial Regex PointsLine();
}
