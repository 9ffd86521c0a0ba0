using AdherencePipeline.Activity;
using AdherencePipeline.BlueZ;
using AdherencePipeline.Nats;
using AdherencePipeline.Service.Monitoring;
using AdherencePipeline.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AdherencePipeline.Service.Worker;

/// <summary>
/// <c>adherence run</c> with <c>Worker:Source=Nats</c>: a <see cref="FrameWorker"/> that shares the registry's
/// participants with the other workers and writes through the same storage as the BLE mode. Stopping hands
/// the participants over (their open sessions are rebuilt and closed by whoever goes on) and flushes the writer.
/// The model file is watched as in the BLE mode: a replacement applies from the next window, a damaged one is refused;
/// the decoded stream of every participant processed here goes to the raw archive, and the device statuses the
/// gateways send become <c>device_status</c> points, as in the BLE mode.
/// </summary>
internal sealed class NatsFrameWorkerService : IHostedService, IAsyncDisposable
{
    private readonly WorkerSetup _setup;
    private readonly NatsWorkerSettings _nats;
    private readonly InfluxLineWriter _writer;
    private readonly InfluxQueryClient _query;
    private readonly ActivityModelSource _models;
    private readonly WorkerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly DeviceFaultCounters _faults = new();
    private NatsWorkerArchive? _archive;
    private NatsConnection? _connection;
    private Task _run = Task.CompletedTask;
    private int _disposed;

    public NatsFrameWorkerService(WorkerSetup setup, InfluxLineWriter writer, InfluxQueryClient query, ActivityModelSource models, WorkerMetrics metrics, TimeProvider time, ILoggerFactory loggers)
    {
        _setup = setup;
        _nats = setup.Nats ?? throw new ArgumentException("The setup has no NATS settings.", nameof(setup));
        _writer = writer;
        _query = query;
        _models = models;
        _metrics = metrics;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<NatsFrameWorkerService>();
    }

    /// <summary>The worker, once started.</summary>
    public FrameWorker? Worker { get; private set; }

    /// <summary>The connection to the cluster, once started.</summary>
    public NatsConnection? Connection => _connection;

    /// <summary>The worker's run; it completes only after a stop, or when it failed.</summary>
    public Task Running => _run;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The client connects in the background and keeps retrying: the worker starts while the cluster is away.
        if (_setup.ArchiveDirectory is { } archiveRoot)
        {
            _archive = new NatsWorkerArchive(archiveRoot, _logger);
        }

        var archive = _archive;
        _connection = new NatsConnection(_nats.Client.ToNatsOpts() with { Name = _nats.Worker.EffectiveName, LoggerFactory = _loggers });
        Worker = new FrameWorker(new NatsJSContext(_connection), new FrameWorkerSetup
        {
            Participants = _nats.Eligible(_setup.Registry),
            Profiles = _setup.Profiles,
            // Read at every window: a model swapped in while running applies from the next window.
            Model = () => _models.Current,
            Writer = _writer,
            StoredSessions = (participant, from, until, ct) => AdherencePipeline.Adherence.StoredSessions.ReadAsync(_query, participant, from, until, ct),
            StreamName = _nats.Stream.Name,
            Worker = _nats.Worker,
            Leases = _nats.Leases,
            Consumer = _nats.Consumer,
            Processed = _metrics.FrameProcessed,
            Decoded = (participant, decoder, output) =>
            {
                _metrics.Decoded(decoder, output, 0);
                _faults.Set(decoder.DeviceAddress, decoder.Faults, decoder.Clock.Resets);
                archive?.Append(participant, output);
            },
            StatusReceived = WriteStatusAsync,
            Observed = _metrics.Observe,
            Paused = archive is null ? null : archive.Pause,
        }, _time, _loggers.CreateLogger<FrameWorker>());
        _models.Watch();
        _run = Worker.RunAsync(_stop.Token);
        return Task.CompletedTask;
    }

    // The gateway's status of a participant's device, written as the BLE worker writes it; the decoder's faults
    // are those of the device's current wear period on this worker.
    private async Task WriteStatusAsync(AdherencePipeline.Adherence.Participant participant, FrameEnvelope envelope, GatewayDeviceStatus status, CancellationToken cancellationToken)
    {
        var frame = envelope.Frame;
        var ble = new BleDeviceStatus(frame.DeviceAddress, envelope.ProfileId, frame.ReceivedUnixNs, status.Connected, status.RssiDbm, status.BatteryPercent, status.FramesReceived, status.Connections, status.FramesDropped);
        await _writer.WriteAsync(DeviceStatusPoints.ToPoint(ble, participant.Id, _faults.Get(frame.DeviceAddress)), cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Log.Stopping(_logger);
        await _stop.CancelAsync();
        await _run.WaitAsync(cancellationToken);
        _models.Dispose();
        _archive?.Dispose();
        try
        {
            await _writer.FlushAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.FlushIncomplete(_logger);
        }

        var written = _writer.GetStatistics();
        Log.Stopped(_logger, Worker?.GetStatistics().Points ?? 0, written.LinesAccepted, written.SpoolBatches);
    }

    public async ValueTask DisposeAsync()
    {
        // Disposed once as a singleton and once as the hosted service it also is.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        try
        {
            await _run;
        }
        catch (Exception ex) when (ex is OperationCanceledException or NatsException)
        {
            // Disposed without a stop.
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        _models.Dispose();
        _archive?.Dispose();
        _stop.Dispose();
    }
}
