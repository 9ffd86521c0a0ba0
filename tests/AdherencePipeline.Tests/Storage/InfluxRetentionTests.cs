using AdherencePipeline.Storage;
using AdherencePipeline.Testing;

namespace AdherencePipeline.Tests.Storage;

/// <summary>Per-measurement retention policies (<c>Influx:RetentionPolicies</c>) against a real influxd.</summary>
public sealed class InfluxRetentionTests : IClassFixture<InfluxServerFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly InfluxServer _server;
    private readonly string _directory = Directory.CreateTempSubdirectory("influx-rp-").FullName;

    public InfluxRetentionTests(InfluxServerFixture fixture) => _server = fixture.Server;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Writer_PerSecondMeasurements_GoToTheirPolicyAndAggregatesToTheDefault()
    {
        var database = InfluxServer.NewDatabaseName("rp");
        await _server.CreateDatabaseAsync(database);
        await _server.ExecuteAsync($"CREATE RETENTION POLICY \"raw_90d\" ON \"{database}\" DURATION 90d REPLICATION 1");
        var connection = new InfluxConnectionOptions { Url = _server.Url, Database = database };
        connection.RetentionPolicies["motion"] = "raw_90d";
        connection.RetentionPolicies["heart_rate"] = "raw_90d";
        using var http = InfluxHttpClient.Create(connection);
        var start = Point.ToTimestampNs(DateTimeOffset.UtcNow.AddDays(-1));
        var options = new InfluxWriterOptions { FlushInterval = TimeSpan.FromMilliseconds(20), SpoolDirectory = Path.Combine(_directory, "spool"), BatchSize = 7 };
        await using (var writer = new InfluxLineWriter(new InfluxV1WriteEndpoint(http, connection), options))
        {
            // Interleaved, so that most batches hold lines for both policies.
            for (var i = 0; i < 20; i++)
            {
                var t = start + i * 1_000_000_000L;
                await writer.WriteAsync(Point.For("motion").Tag("participant", "P001").Field("enmo_mg", 10.0 + i).At(t));
                await writer.WriteAsync(Point.For("heart_rate").Tag("participant", "P001").Field("hr_bpm", 100.0 + i).At(t));
                if (i % 5 == 0)
                {
                    await writer.WriteAsync(Point.For("session").Tag("participant", "P001").Field("exercise_min", (double)i).At(t));
                }
            }

            await writer.FlushAsync().WaitAsync(Patience);
        }

        var query = new InfluxQueryClient(http, connection);

        Assert.Equal(20, await CountAsync(query, "SELECT COUNT(\"enmo_mg\") AS n FROM \"raw_90d\".\"motion\""));
        Assert.Equal(20, await CountAsync(query, $"SELECT COUNT(\"hr_bpm\") AS n FROM {query.Source("heart_rate")}"));
        Assert.Equal(0, await CountAsync(query, "SELECT COUNT(\"enmo_mg\") AS n FROM \"autogen\".\"motion\""));
        Assert.Equal(4, await CountAsync(query, $"SELECT COUNT(\"exercise_min\") AS n FROM {query.Source("session")}"));
        Assert.Equal(0, await CountAsync(query, "SELECT COUNT(\"exercise_min\") AS n FROM \"raw_90d\".\"session\""));
        Assert.Equal("\"raw_90d\".\"motion\"", query.Source("motion"));
        Assert.Equal("\"session\"", query.Source("session"));
    }

    private static async Task<long> CountAsync(InfluxQueryClient query, string text)
    {
        var series = await query.QueryAsync(text);
        return series.Count == 0 ? 0 : Assert.Single(Assert.Single(series).Rows).GetInt64("n");
    }
}
