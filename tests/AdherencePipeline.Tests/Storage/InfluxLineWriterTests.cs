using System.Text.Json;
using AdherencePipeline.Storage;
using Microsoft.Extensions.Time.Testing;

namespace AdherencePipeline.Tests.Storage;

public sealed class InfluxLineWriterTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("writer-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private InfluxWriterOptions Options(int batchSize = 5_000, TimeSpan? flushInterval = null) => new()
    {
        BatchSize = batchSize,
        FlushInterval = flushInterval ?? TimeSpan.FromSeconds(1),
        SpoolDirectory = Path.Combine(_directory, "spool"),
        InitialRetryDelay = TimeSpan.FromMilliseconds(1),
        MaxRetryDelay = TimeSpan.FromMilliseconds(4),
    };

    private static Point Sample(int i, string measurement = "motion") =>
        Point.For(measurement).Tag("participant", "P001").Field("enmo_mg", i * 0.5).At(1_000_000_000L * i);

    [Fact]
    public async Task Writer_MorePointsThanBatchSize_SendsFullBatchesThenTheRestOnFlush()
    {
        var endpoint = new RecordingEndpoint();
        await using var writer = new InfluxLineWriter(endpoint, Options(batchSize: 3, flushInterval: TimeSpan.FromHours(1)));

        for (var i = 0; i < 7; i++)
        {
            await writer.WriteAsync(Sample(i));
        }

        await writer.FlushAsync().WaitAsync(Patience);

        Assert.Equal([3, 3, 1], endpoint.Requests.Select(r => r.Length));
        Assert.Equal(7, endpoint.Stored.Count);
        Assert.Equal(7, writer.GetStatistics().LinesAccepted);
    }

    [Fact]
    public async Task Writer_PartialBatch_IsSentWhenTheFlushIntervalPasses()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var endpoint = new RecordingEndpoint();
        await using var writer = new InfluxLineWriter(endpoint, Options(batchSize: 5_000), time: time);

        await writer.WriteAsync(Sample(1));
        await writer.WriteAsync(Sample(2));

        // Virtual time: the batch leaves only when the clock reaches its deadline. Whether the
        // batcher had already read the points when the clock moved decides which tick it is, so
        // advance until the request arrives and check it came by time, not by size or flush.
        string[]? request = null;
        for (var tick = 0; tick < 50 && request is null; tick++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            try
            {
                request = await endpoint.RequestsAsTheyArrive.ReadAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        Assert.NotNull(request);
        Assert.Equal(2, request.Length);
    }

    [Fact]
    public async Task Writer_MalformedLineInBatch_GoesToDeadLetterFileAndTheRestLands()
    {
        var endpoint = new RecordingEndpoint();
        var options = Options(batchSize: 100);
        await using (var writer = new InfluxLineWriter(endpoint, options))
        {
            for (var i = 0; i < 100; i++)
            {
                await writer.WriteAsync(i == 37 ? Sample(i, "BAD") : Sample(i));
            }

            await writer.FlushAsync().WaitAsync(Patience);
            Assert.Equal(99, writer.GetStatistics().LinesAccepted);
            Assert.Equal(1, writer.GetStatistics().LinesDeadLettered);
        }

        Assert.Equal(99, endpoint.Stored.Count);
        var deadLetter = File.ReadAllLines(options.ResolvedDeadLetterPath).Single();
        using var json = JsonDocument.Parse(deadLetter);
        Assert.Equal(Sample(37, "BAD").ToString(), json.RootElement.GetProperty("Line").GetString());
        Assert.Equal(400, json.RootElement.GetProperty("Status").GetInt32());
        Assert.Contains("unable to parse", json.RootElement.GetProperty("Error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writer_SeveralMalformedLines_EachIsolatedWithFewRequests()
    {
        var endpoint = new RecordingEndpoint();
        var options = Options(batchSize: 1_000);
        await using var writer = new InfluxLineWriter(endpoint, options);

        for (var i = 0; i < 1_000; i++)
        {
            await writer.WriteAsync(i is 3 or 500 or 999 ? Sample(i, "BAD") : Sample(i));
        }

        await writer.FlushAsync().WaitAsync(Patience);

        Assert.Equal(997, endpoint.Stored.Count);
        Assert.Equal(3, File.ReadAllLines(options.ResolvedDeadLetterPath).Length);
        // Halving isolates each bad line in about 2·log2(n) requests, not one request per line.
        Assert.InRange(endpoint.Requests.Count, 4, 3 * 2 * 11);
    }

    [Fact]
    public async Task Writer_ServerUnavailableTwice_RetriesAndDeliversOnce()
    {
        var endpoint = new RecordingEndpoint((call, _) => call < 2 ? new WriteOutcome(WriteOutcomeKind.Retry, 503, "service unavailable") : null);
        await using var writer = new InfluxLineWriter(endpoint, Options(batchSize: 10));

        for (var i = 0; i < 10; i++)
        {
            await writer.WriteAsync(Sample(i));
        }

        await writer.FlushAsync().WaitAsync(Patience);

        Assert.Equal(3, endpoint.Requests.Count);
        Assert.All(endpoint.Requests, r => Assert.Equal(10, r.Length));
        Assert.Equal(2, writer.GetStatistics().FailedAttempts);
        Assert.Equal(10, writer.GetStatistics().LinesAccepted);
    }

    [Fact]
    public async Task Writer_TooLargeRequest_IsSplitUntilItFits()
    {
        var endpoint = new RecordingEndpoint((_, lines) => lines.Length > 4 ? new WriteOutcome(WriteOutcomeKind.TooLarge, 413, "request too large") : null);
        var options = Options(batchSize: 16);
        await using var writer = new InfluxLineWriter(endpoint, options);

        for (var i = 0; i < 16; i++)
        {
            await writer.WriteAsync(Sample(i));
        }

        await writer.FlushAsync().WaitAsync(Patience);

        Assert.Equal(16, endpoint.Stored.Count);
        Assert.False(File.Exists(options.ResolvedDeadLetterPath));
    }

    [Fact]
    public async Task Writer_StoppedWhileServerAway_KeepsBatchesForTheNextWriter()
    {
        var options = Options(batchSize: 5);
        options.ShutdownTimeout = TimeSpan.Zero;
        var away = new RecordingEndpoint((_, _) => new WriteOutcome(WriteOutcomeKind.Retry, null, "connection refused"));
        await using (var writer = new InfluxLineWriter(away, options))
        {
            for (var i = 0; i < 12; i++)
            {
                await writer.WriteAsync(Sample(i));
            }
        }

        Assert.Empty(away.Stored);
        var back = new RecordingEndpoint();
        await using (var writer = new InfluxLineWriter(back, options))
        {
            await writer.FlushAsync().WaitAsync(Patience);
        }

        Assert.Equal(12, back.Stored.Count);
        Assert.Equal([5, 5, 2], back.Requests.Select(r => r.Length));
    }

    [Fact]
    public async Task Writer_ManyProducersWithSmallQueue_LosesNothing()
    {
        var endpoint = new RecordingEndpoint();
        var options = Options(batchSize: 50);
        options.MaxPendingPoints = 10;
        await using var writer = new InfluxLineWriter(endpoint, options);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < 500; i++)
            {
                await writer.WriteAsync(Sample(p * 1_000 + i));
            }
        })));
        await writer.FlushAsync().WaitAsync(Patience);

        Assert.Equal(2_000, endpoint.Stored.Count);
    }

    [Fact]
    public async Task WriteAsync_AfterDispose_Throws()
    {
        var writer = new InfluxLineWriter(new RecordingEndpoint(), Options());
        await writer.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await writer.WriteAsync(Sample(1)));
    }
}
