using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Signal;
using AdherencePipeline.Storage;
using AdherencePipeline.Tests.Storage;

namespace AdherencePipeline.Tests.Pipeline;

public sealed class StoreStageTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("store-stage-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static List<PipelineEvent> Events(int seconds)
    {
        var events = new List<PipelineEvent>();
        for (var i = 0; i < seconds; i++)
        {
            events.Add(new MotionSecondEvent("P001", "polar-h10", new MotionSecond(1_000_000_000L * i, i, 1.0, 25, 25)));
            if (i % 5 == 0)
            {
                // Not stored: passes on without a write.
                events.Add(new DecodeFaultEvent("P001", "polar-h10", 1_000_000_000L * i, "bad frame"));
            }
        }

        return events;
    }

    [Fact]
    public async Task Store_WriterQueueOfOnePoint_PassesEveryEventOnInOrderAndStoresEveryPointInOrder()
    {
        var endpoint = new RecordingEndpoint();
        var events = Events(2_000);
        List<PipelineEvent> passed;
        await using (var writer = new InfluxLineWriter(endpoint, new InfluxWriterOptions { MaxPendingPoints = 1, BatchSize = 7, SpoolDirectory = Path.Combine(_directory, "spool") }))
        {
            passed = [.. await events.ToObservable().Store(writer).ToList().ToTask().WaitAsync(TimeSpan.FromMinutes(1))];
            await writer.FlushAsync().WaitAsync(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(events, passed);
        var expected = events.Select(PipelinePoints.ToPoint).OfType<Point>().Select(LineProtocol.Format).ToList();
        Assert.Equal(expected, endpoint.Requests.SelectMany(r => r));
    }

    [Fact]
    public async Task Store_WriterDisposed_EndsTheStreamWithItsError()
    {
        var writer = new InfluxLineWriter(new RecordingEndpoint(), new InfluxWriterOptions { SpoolDirectory = Path.Combine(_directory, "spool") });
        await writer.DisposeAsync();

        var error = await Assert.ThrowsAsync<ObjectDisposedException>(() => Events(3).ToObservable().Store(writer).ToList().ToTask());

        Assert.Contains(nameof(InfluxLineWriter), error.ObjectName, StringComparison.Ordinal);
    }
}
