using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Threading.Channels;
using AdherencePipeline.Activity;
using AdherencePipeline.Adherence;
using AdherencePipeline.BlueZ;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Service.Monitoring;
using AdherencePipeline.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AdherencePipeline.Service.Worker;

/// <summary>
/// The long-running service: the BlueZ transport's data, per participant, through the same stages as
/// replay into InfluxDB, plus <c>device_status</c> points at every change and every
/// <see cref="WorkerOptions.StatusInterval"/>. Stopping runs the devices' stop sequences, lets every
/// stream complete (closing open seconds, windows, bouts and sessions) and flushes the writer.
/// Each participant's open bout and session are journalled (<see cref="SessionJournal"/>), so after a
/// crash the next start rebuilds them, flagged recovered; the model file is watched and a replacement
/// that cannot be loaded is refused while the model in use stays.
/// </summary>
internal sealed class AdherenceWorker : IHostedService, IAsyncDisposable
{
    /// <summary>How long a start waits for the spool of an earlier run to be delivered before reading sessions back.</summary>
    private static readonly TimeSpan SpoolDeliveryTimeout = TimeSpan.FromSeconds(10);

    private readonly WorkerSetup _setup;
    private readonly BlueZTransport _transport;
    private readonly InfluxLineWriter _writer;
    private readonly InfluxQueryClient _query;
    private readonly ActivityModelSource _models;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WorkerMetrics _metrics;
    private readonly Dictionary<string, string> _participantOf;
    private readonly Channel<BleDeviceStatus> _statuses = Channel.CreateUnbounded<BleDeviceStatus>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<Task> _pipelines = [];
    private readonly List<SessionJournal> _journals = [];
    private readonly List<WorkerArchive> _archives = [];
    private readonly DeviceFaultCounters _faults;
    private readonly CancellationTokenSource _statusStop = new();
    private IDisposable? _connection;
    private IDisposable? _statusSubscription;
    private ITimer? _statusTimer;
    private Task _statusLoop = Task.CompletedTask;
    private long _points;
    private int _disposed;

    public AdherenceWorker(WorkerSetup setup, BlueZTransport transport, InfluxLineWriter writer, InfluxQueryClient query, ActivityModelSource models, DeviceFaultCounters faults, TimeProvider time, ILogger<AdherenceWorker> logger, WorkerMetrics metrics)
    {
        _setup = setup;
        _transport = transport;
        _writer = writer;
        _query = query;
        _models = models;
        _faults = faults;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _participantOf = setup.Devices.ToDictionary(d => d.Address, d => d.Participant.Id, StringComparer.Ordinal);
    }

    /// <summary>Points handed to the writer so far (pipeline and device status).</summary>
    public long Points => Interlocked.Read(ref _points);

    /// <summary>Completes when every participant's stream has completed after a stop.</summary>
    public Task Completion => Task.WhenAll(_pipelines);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var data = _transport.Data.Publish();
        var participants = _setup.Devices.GroupBy(d => d.Participant.Id, StringComparer.Ordinal).ToList();
        var startedAt = _time.GetUtcNow();
        await DeliverSpooledAsync(cancellationToken);
        foreach (var devices in participants)
        {
            var participant = devices.First().Participant;
            var journal = SessionJournal.Open(Path.Combine(Path.GetFullPath(_setup.Worker.StateDirectory), $"session-{participant.Id}.journal"));
            _journals.Add(journal);
            if (journal.Recovered.Count > 0)
            {
                Log.SessionRestored(_logger, participant.Id, journal.Recovered.Count, journal.TornLines);
            }

            var prior = await ReadBackAsync(participant, journal, cancellationToken);
            var merged = devices.Select(d => data.DecodeDevice(d.Profile, d.Address, _faults, _metrics)).Merge();
            if (_setup.ArchiveDirectory is { } archiveRoot)
            {
                var archive = new WorkerArchive(archiveRoot, participant, _logger);
                _archives.Add(archive);
                merged = merged.Do(archive.Append, archive.Flush);
            }

            var options = new ParticipantPipelineOptions
            {
                Participant = participant.Id,
                // Read at every window: a model swapped in while running applies from the next window.
                Model = () => _models.Current,
                Registration = participant,
                PriorSessions = prior,
                Bouts = _setup.Worker.Bouts,
                Journal = journal,
                ResumedAt = startedAt,
            };
            var stored = merged.Process(options)
                .Do(_metrics.Observe)
                .Store(_writer)
                .Do(e => Interlocked.Add(ref _points, PipelinePoints.IsStored(e) ? 1 : 0));
            _pipelines.Add(Observe(participant.Id, stored.DefaultIfEmpty().LastAsync().ToTask(CancellationToken.None)));
        }

        _statusSubscription = _transport.Events.OfType<BleDeviceStatusChanged>().Subscribe(e => _statuses.Writer.TryWrite(e.Status));
        _statusLoop = WriteStatusAsync(_statusStop.Token);
        _statusTimer = _time.CreateTimer(_ => WriteAllStatus(), null, _setup.Worker.StatusInterval, _setup.Worker.StatusInterval);
        _connection = data.Connect();
        _models.Watch();
        await _transport.StartAsync(cancellationToken);
        WriteAllStatus();
        Log.Started(_logger, participants.Count, _setup.Devices.Count);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Log.Stopping(_logger);
        // The transport completes its queue after the stop sequences; the streams then complete and
        // close what is open, so everything received is stored.
        await _transport.StopAsync(cancellationToken);
        await Completion.WaitAsync(cancellationToken);
        _models.Dispose();
        if (_statusTimer is not null)
        {
            await _statusTimer.DisposeAsync();
        }

        _statusSubscription?.Dispose();
        WriteAllStatus();
        _statuses.Writer.TryComplete();
        await _statusLoop.WaitAsync(cancellationToken);
        try
        {
            await _writer.FlushAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.FlushIncomplete(_logger);
        }

        var written = _writer.GetStatistics();
        Log.Stopped(_logger, Points, written.LinesAccepted, written.SpoolBatches);
    }

    public async ValueTask DisposeAsync()
    {
        // The container disposes the worker once as a singleton and once as the hosted service it also is.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _connection?.Dispose();
        _statusSubscription?.Dispose();
        if (_statusTimer is not null)
        {
            await _statusTimer.DisposeAsync();
        }

        await _statusStop.CancelAsync();
        _statusStop.Dispose();
        _models.Dispose();
        foreach (var journal in _journals)
        {
            journal.Dispose();
        }

        foreach (var archive in _archives)
        {
            archive.Dispose();
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private void WriteAllStatus()
    {
        foreach (var status in _transport.GetStatus())
        {
            _statuses.Writer.TryWrite(status);
        }
    }

    private async Task WriteStatusAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var status in _statuses.Reader.ReadAllAsync(cancellationToken))
            {
                if (_participantOf.TryGetValue(status.DeviceAddress, out var participant))
                {
                    await _writer.WriteAsync(DeviceStatusPoints.ToPoint(status, participant, _faults.Get(status.DeviceAddress)), cancellationToken);
                    Interlocked.Increment(ref _points);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed without a stop.
        }
        catch (Exception ex)
        {
            Log.StatusFailed(_logger, ex);
        }
    }

    private async Task Observe(string participant, Task pipeline)
    {
        try
        {
            await pipeline;
        }
        catch (Exception ex)
        {
            // One participant's failure must not stop the others' streams or the service's stop.
            Log.PipelineFailed(_logger, ex, participant);
        }
    }

    /// <summary>
    /// Gives the writer a bounded time to deliver what an earlier run left in the spool, so the sessions
    /// read back next include those closed just before a crash.
    /// </summary>
    private async Task DeliverSpooledAsync(CancellationToken cancellationToken)
    {
        if (_writer.GetStatistics().SpoolBatches == 0)
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(SpoolDeliveryTimeout);
        try
        {
            await _writer.FlushAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Log.SpoolNotDelivered(_logger, _writer.GetStatistics().SpoolBatches, (int)SpoolDeliveryTimeout.TotalSeconds);
        }
    }

    private async Task<IReadOnlyList<Session>> ReadBackAsync(Participant participant, SessionJournal journal, CancellationToken cancellationToken)
    {
        var history = _setup.Worker.SessionHistory;
        if (history <= TimeSpan.Zero)
        {
            return [];
        }

        var from = _time.GetUtcNow() - history;
        if (journal.Recovered.Count > 0)
        {
            // A session restored from long ago recomputes its own week: read that week's sessions too.
            from = Min(from, DateTimeOffset.UnixEpoch.AddTicks(journal.Recovered[0].Window.StartNs / 100) - TimeSpan.FromDays(8));
        }

        try
        {
            var sessions = await StoredSessions.ReadAsync(_query, participant, Point.ToTimestampNs(from), untilNs: null, cancellationToken);
            Log.SessionsReadBack(_logger, participant.Id, sessions.Count, (int)history.TotalDays);
            return sessions;
        }
        catch (Exception ex) when (ex is InfluxQueryException or HttpRequestException)
        {
            Log.SessionsNotReadBack(_logger, participant.Id, ex.Message);
            return [];
        }
    }
}
