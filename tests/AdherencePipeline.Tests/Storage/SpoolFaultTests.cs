using AdherencePipeline.Storage;
using AdherencePipeline.Testing;

namespace AdherencePipeline.Tests.Storage;

/// <summary>
/// The writer when its spool folder fails: a real, tiny tmpfs that fills up or turns read-only under a
/// real influxd. Producers must be held back (bounded memory), the fault must be visible, and every
/// point must arrive exactly once when space or write access returns.
/// </summary>
public sealed class SpoolFaultTests : IDisposable
{
    private const int Total = 40_000;
    private const int BatchSize = 500;
    private const int MaxPendingPoints = 1_000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly HttpClient _http = new();

    public void Dispose() => _http.Dispose();

    private static InfluxWriterOptions Options(string spool) => new()
    {
        BatchSize = BatchSize,
        MaxPendingPoints = MaxPendingPoints,
        FlushInterval = TimeSpan.FromMilliseconds(50),
        SpoolDirectory = spool,
        InitialRetryDelay = TimeSpan.FromMilliseconds(20),
        MaxRetryDelay = TimeSpan.FromMilliseconds(200),
    };

    private static Point Sample(int i) =>
        Point.For("heart_rate").Tag("participant", "P007").Field("seq", (long)i).At(1_790_000_000_000_000_000L + i * 10_000_000L);

    [Fact]
    public async Task Writer_SpoolDiskFullWhileServerAway_HoldsProducersBackAndDeliversEverythingOnceItReturns()
    {
        await using var server = await InfluxServer.StartAsync();
        using var disk = SmallDisk.Mount(256 * 1024);
        var connection = new InfluxConnectionOptions { Url = server.Url, Database = InfluxServer.NewDatabaseName("diskfull"), CreateDatabase = true };
        await using var writer = new InfluxLineWriter(new InfluxV1WriteEndpoint(_http, connection), Options(Path.Combine(disk.Path, "spool")));
        await server.KillAsync();

        var written = 0L;
        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < Total; i++)
            {
                await writer.WriteAsync(Sample(i));
                Interlocked.Increment(ref written);
            }
        });

        await Eventually.TrueAsync(() => writer.GetStatistics().SpoolFault is not null, Patience, "the writer to report the full spool disk");
        var fault = writer.GetStatistics().SpoolFault!;
        Assert.Contains(disk.Path, fault, StringComparison.Ordinal);
        await AssertProducerHeldBackAsync(writer, () => Interlocked.Read(ref written), producer);

        await server.StartAgainAsync();
        await producer.WaitAsync(Patience);
        await writer.FlushAsync().WaitAsync(Patience);

        await AssertEveryPointStoredOnceAsync(connection);
        var stats = writer.GetStatistics();
        Assert.Null(stats.SpoolFault);
        Assert.Equal(Total, stats.LinesAccepted);
        Assert.Equal(0, stats.SpoolBatches);
    }

    [Fact]
    public async Task Writer_SpoolOnReadOnlyFileSystem_RefusesToStartNamingTheFolder_AndStartsOnceWritable()
    {
        await using var server = await InfluxServer.StartAsync();
        using var disk = SmallDisk.Mount(1024 * 1024);
        var spool = Path.Combine(disk.Path, "spool");
        Directory.CreateDirectory(spool);
        var connection = new InfluxConnectionOptions { Url = server.Url, Database = InfluxServer.NewDatabaseName("readonly"), CreateDatabase = true };
        disk.MakeReadOnly();

        var refused = Assert.ThrowsAny<IOException>(() => new InfluxLineWriter(new InfluxV1WriteEndpoint(_http, connection), Options(spool)));
        Assert.Contains(spool, refused.Message, StringComparison.Ordinal);
        Assert.Contains("Influx:Writer:SpoolDirectory", refused.Message, StringComparison.Ordinal);

        disk.MakeWritable(1024 * 1024);
        await using var writer = new InfluxLineWriter(new InfluxV1WriteEndpoint(_http, connection), Options(spool));
        for (var i = 0; i < Total; i++)
        {
            await writer.WriteAsync(Sample(i));
        }

        await writer.FlushAsync().WaitAsync(Patience);
        await AssertEveryPointStoredOnceAsync(connection);
    }

    // While the spool refuses batches the writer holds one batch and the bounded queue, nothing more:
    // whatever the producer got rid of beyond that must be in the spool or already at the server.
    private static async Task AssertProducerHeldBackAsync(InfluxLineWriter writer, Func<long> written, Task producer)
    {
        var failures = writer.GetStatistics().SpoolFailures;
        await Eventually.TrueAsync(() => writer.GetStatistics().SpoolFailures >= failures + 5, Patience, "five more failed spool attempts");
        var stats = writer.GetStatistics();
        Assert.NotNull(stats.SpoolFault);
        Assert.False(producer.IsCompleted);
        var shortestLine = LineBytes(Sample(0));
        var storedOrSpooled = stats.LinesAccepted + (stats.SpoolBytes / shortestLine);
        Assert.True(written() <= storedOrSpooled + MaxPendingPoints + BatchSize + 1,
            $"{written()} points left the producer, but only {storedOrSpooled} can be stored or spooled; memory is not bounded.");
    }

    private static long LineBytes(Point point)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        LineProtocol.Write(point, buffer);
        return buffer.WrittenCount + 1;
    }

    private async Task AssertEveryPointStoredOnceAsync(InfluxConnectionOptions connection)
    {
        var result = (await new InfluxQueryClient(_http, connection).QueryAsync(
            "SELECT COUNT(\"seq\") AS n, SUM(\"seq\") AS s, MIN(\"seq\") AS lo, MAX(\"seq\") AS hi FROM \"heart_rate\"")).Single().Rows.Single();
        Assert.Equal(Total, result.GetInt64("n"));
        Assert.Equal((long)Total * (Total - 1) / 2, result.GetInt64("s"));
        Assert.Equal(0, result.GetInt64("lo"));
        Assert.Equal(Total - 1, result.GetInt64("hi"));
    }
}
