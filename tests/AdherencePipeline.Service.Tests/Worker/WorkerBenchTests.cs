using AdherencePipeline.Testing;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary>
/// A test class of the service: every test gets a fresh <see cref="WorkerBench"/> (a private
/// dbus-daemon with its BlueZ-shaped service and a scratch folder); the class shares one influxd.
/// </summary>
public abstract class WorkerBenchTests : IClassFixture<InfluxServerFixture>, IAsyncLifetime
{
    private WorkerBench? _bench;

    protected WorkerBenchTests(InfluxServerFixture fixture)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        Server = fixture.Server;
    }

    /// <summary>The class's influxd.</summary>
    protected InfluxServer Server { get; }

    /// <summary>This test's bench.</summary>
    private protected WorkerBench Bench => _bench!;

    public async Task InitializeAsync() => _bench = await WorkerBench.StartAsync();

    public async Task DisposeAsync()
    {
        if (_bench is not null)
        {
            await _bench.DisposeAsync();
        }
    }
}
