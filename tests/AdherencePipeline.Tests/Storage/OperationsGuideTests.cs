using System.Diagnostics;
using System.Text.RegularExpressions;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;

namespace AdherencePipeline.Tests.Storage;

/// <summary>The InfluxQL and the backup commands of docs/operations.md, run as written against a real influxd.</summary>
public sealed partial class OperationsGuideTests : IClassFixture<InfluxServerFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly InfluxServer _server;
    private readonly string _directory = Directory.CreateTempSubdirectory("operations-guide-").FullName;

    public OperationsGuideTests(InfluxServerFixture fixture) => _server = fixture.Server;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Guide => File.ReadAllText(RepositoryRoot.Combine("docs", "operations.md"));

    [Fact]
    public async Task RetentionSetup_AsWritten_KeepsPerSecondDataApartAndTheBackfillSummarisesIt()
    {
        var database = InfluxServer.NewDatabaseName("guide");
        var setup = RetentionBlock().Match(Guide);
        Assert.True(setup.Success, "docs/operations.md has no InfluxQL block after the OperationsGuideTests marker");
        foreach (var statement in setup.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            await _server.ExecuteAsync(statement.Replace("\"adherence\"", $"\"{database}\"", StringComparison.Ordinal));
        }

        var connection = new InfluxConnectionOptions { Url = _server.Url, Database = database };
        foreach (var (measurement, policy) in RetentionSettings().Matches(Guide).Select(m => (m.Groups[1].Value, m.Groups[2].Value)))
        {
            connection.RetentionPolicies[measurement] = policy;
        }

        Assert.Equal("raw_90d", connection.RetentionPolicyFor("heart_rate"));
        using var http = InfluxHttpClient.Create(connection);
        var minute = DateTimeOffset.UtcNow.AddDays(-1);
        minute = new DateTimeOffset(minute.Year, minute.Month, minute.Day, minute.Hour, minute.Minute, 0, TimeSpan.Zero);
        var writer = new InfluxLineWriter(new InfluxV1WriteEndpoint(http, connection),
            new InfluxWriterOptions { FlushInterval = TimeSpan.FromMilliseconds(20), SpoolDirectory = Path.Combine(_directory, "spool") });
        await using (writer)
        {
            for (var second = 0; second < 120; second++)
            {
                var t = Point.ToTimestampNs(minute.AddSeconds(second));
                await writer.WriteAsync(Point.For("heart_rate").Tag("participant", "P001").Tag("device_model", "polar-h10")
                    .Field("hr_bpm", second < 60 ? 100.0 : 120.0).Field("valid", 1L).Field("rejected", 0L).At(t));
            }

            await writer.WriteAsync(Point.For("session").Tag("participant", "P001").Field("exercise_min", 2.0).At(Point.ToTimestampNs(minute)));
            await writer.FlushAsync().WaitAsync(Patience);
        }

        var backfill = BackfillStatement().Match(Guide);
        Assert.True(backfill.Success, "docs/operations.md has no backfill SELECT … INTO heart_rate_1m");
        await _server.ExecuteAsync(backfill.Value
            .Replace("\"adherence\"", $"\"{database}\"", StringComparison.Ordinal)
            .Replace("2026-03-02T00:00:00Z", minute.AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("2026-03-09T00:00:00Z", minute.AddMinutes(3).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

        var query = new InfluxQueryClient(http, connection);
        var summary = await query.QueryAsync("SELECT \"hr_bpm\", \"valid\" FROM \"autogen\".\"heart_rate_1m\" WHERE \"participant\" = 'P001' ORDER BY time");
        var rows = Assert.Single(summary).Rows;
        Assert.Equal([100.0, 120.0], rows.Select(r => r.GetDouble("hr_bpm")));
        Assert.Equal([60L, 60L], rows.Select(r => r.GetInt64("valid")));
        Assert.Empty(await query.QueryAsync("SELECT COUNT(\"hr_bpm\") FROM \"autogen\".\"heart_rate\""));
        Assert.Single(await query.QueryAsync("SELECT COUNT(\"exercise_min\") FROM \"autogen\".\"session\""));
        var cqs = await query.QueryAsync("SHOW CONTINUOUS QUERIES");
        Assert.Equal(["heart_rate_1m", "motion_1m"], cqs.Single(s => s.Name == database).Rows.Select(r => r.GetString("name")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Backup_PortableBackupAndRestoreAsWritten_GiveBackEveryPointAndThePolicies()
    {
        var database = InfluxServer.NewDatabaseName("backup");
        var restored = database + "_restored";
        await _server.CreateDatabaseAsync(database);
        await _server.ExecuteAsync($"CREATE RETENTION POLICY \"raw_90d\" ON \"{database}\" DURATION 90d REPLICATION 1 SHARD DURATION 1d");
        var connection = new InfluxConnectionOptions { Url = _server.Url, Database = database };
        connection.RetentionPolicies["motion"] = "raw_90d";
        using var http = InfluxHttpClient.Create(connection);
        var start = Point.ToTimestampNs(DateTimeOffset.UtcNow.AddHours(-2));
        var lines = string.Concat(Enumerable.Range(0, 500).Select(i =>
            $"motion,participant=P00{1 + (i % 3)} enmo_mg={i}.5 {start + i * 1_000_000_000L}\nsession,participant=P00{1 + (i % 3)} exercise_min={i}.0 {start + i * 1_000_000_000L}\n"));
        Assert.Equal(WriteOutcomeKind.Accepted, (await new InfluxV1WriteEndpoint(http, connection).WriteAsync(System.Text.Encoding.UTF8.GetBytes(lines), CancellationToken.None)).Kind);

        var backupLine = Regex.Match(Guide, @"^influxd backup -portable .+$", RegexOptions.Multiline).Value;
        var restoreLine = Regex.Match(Guide, @"^influxd restore -portable .+$", RegexOptions.Multiline).Value;
        var backupDirectory = Path.Combine(_directory, "influx-backup");
        await RunInfluxdAsync(backupLine, new()
        {
            ["-database adherence"] = $"-database {database}",
            ["127.0.0.1:8088"] = _server.RpcAddress,
            ["/var/backups/adherence/influx-$(date +%F)"] = backupDirectory,
        });
        await RunInfluxdAsync(restoreLine, new()
        {
            ["-db adherence -newdb adherence_restored"] = $"-db {database} -newdb {restored}",
            ["127.0.0.1:8088"] = _server.RpcAddress,
            ["/var/backups/adherence/influx-2026-12-03"] = backupDirectory,
        });

        var original = new InfluxQueryClient(http, connection);
        var copy = new InfluxQueryClient(http, new InfluxConnectionOptions { Url = _server.Url, Database = restored });
        await RestoredShardsOnlineAsync(copy);
        foreach (var text in new[] { "SELECT * FROM \"raw_90d\".\"motion\" ORDER BY time", "SELECT * FROM \"autogen\".\"session\" ORDER BY time" })
        {
            var expected = (await original.QueryAsync(text)).SelectMany(s => s.Rows).Select(r => r.ToString()).ToList();
            Assert.Equal(500, expected.Count);
            Assert.Equal(expected, (await copy.QueryAsync(text)).SelectMany(s => s.Rows).Select(r => r.ToString()));
        }

        var policies = await copy.QueryAsync($"SHOW RETENTION POLICIES ON \"{restored}\"");
        Assert.Contains("raw_90d", policies.SelectMany(s => s.Rows).Select(r => r.GetString("name")));
    }

    // influxd brings restored shards online in the background: until then a query answers "shard is
    // disabled" (the guide says so). Wait for that to pass, with a deadline, before comparing.
    private static async Task RestoredShardsOnlineAsync(InfluxQueryClient copy)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await copy.QueryAsync("SELECT COUNT(*) FROM \"raw_90d\".\"motion\"");
                await copy.QueryAsync("SELECT COUNT(*) FROM \"autogen\".\"session\"");
                return;
            }
            catch (InfluxQueryException ex) when (ex.Message.Contains("shard is disabled", StringComparison.Ordinal) && watch.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }
        }
    }

    // The guide's command line with its example values replaced by the test's, run with the influxd under test.
    private static async Task RunInfluxdAsync(string commandLine, Dictionary<string, string> replacements)
    {
        foreach (var (example, actual) in replacements)
        {
            Assert.Contains(example, commandLine, StringComparison.Ordinal);
            commandLine = commandLine.Replace(example, actual, StringComparison.Ordinal);
        }

        var words = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("influxd", words[0]);
        var info = new ProcessStartInfo(InfluxServer.Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var word in words.Skip(1))
        {
            info.ArgumentList.Add(word);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Patience);
        Assert.True(process.ExitCode == 0, $"{commandLine} exited with {process.ExitCode}:\n{await output}\n{await error}");
    }

    [GeneratedRegex(@"<!-- The block below is run against a real influxd by OperationsGuideTests\. -->\s*```sql\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex RetentionBlock();

    [GeneratedRegex(@"""(\w+)"": ""(raw_\w+)""")]
    private static partial Regex RetentionSettings();

    [GeneratedRegex(@"SELECT mean\(""hr_bpm""\)[^\n]*INTO ""adherence"".""autogen"".""heart_rate_1m""[^\n]*WHERE time[^\n]*")]
    private static partial Regex BackfillStatement();
}
