using System.Collections.Concurrent;
using System.Threading.Channels;
using AdherencePipeline.Activity;
using AdherencePipeline.Adherence;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Sensors;
using AdherencePipeline.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AdherencePipeline.Nats;

/// <summary>Reads the sessions a participant stored in [<c>fromNs</c>, <c>untilNs</c>) back, for adherence.</summary>
public delegate Task<IReadOnlyList<Session>> StoredSessionReader(Participant participant, long fromNs, long untilNs, CancellationToken cancellationToken);

/// <summary>
/// Called with what one frame of <paramref name="participant"/> decoded into, as <paramref name="decoder"/> added it
/// (for counters and the raw archive); <paramref name="output"/> is reused for the next frame.
/// </summary>
public delegate void FrameDecoded(Participant participant, DeviceDecoder decoder, List<DeviceData> output);

/// <summary>Called with a device status that the gateway of <paramref name="participant"/>'s device sent (<see cref="DeviceStatusFrame"/>).</summary>
public delegate Task DeviceStatusReceived(Participant participant, FrameEnvelope envelope, GatewayDeviceStatus status, CancellationToken cancellationToken);

/// <summary>Everything a <see cref="FrameWorker"/> works with besides the NATS connection.</summary>
public sealed record FrameWorkerSetup
{
    /// <summary>The participants whose frames may be taken (filtered by <see cref="FrameWorkerOptions.Sites"/>).</summary>
    public required IReadOnlyList<Participant> Participants { get; init; }

    /// <summary>The firmware profiles; a frame names its profile by id.</summary>
    public required IReadOnlyList<FirmwareProfile> Profiles { get; init; }

    /// <summary>The activity model, read at every window; without one, windows are not classified and no sessions are formed.</summary>
    public Func<ActivityModel>? Model { get; init; }

    /// <summary>Where the points go.</summary>
    public required InfluxLineWriter Writer { get; init; }

    /// <summary>Reads stored sessions back for adherence (<see cref="Adherence.StoredSessions"/>); null for none.</summary>
    public StoredSessionReader? StoredSessions { get; init; }

    /// <summary>The frame stream's name.</summary>
    public string StreamName { get; init; } = new FrameStreamOptions().Name;

    /// <summary>The key-value bucket of checkpoints.</summary>
    public string CheckpointBucket { get; init; } = ParticipantCheckpoints.DefaultBucket;

    /// <summary>The worker's own settings.</summary>
    public FrameWorkerOptions Worker { get; init; } = new();

    /// <summary>Lease settings.</summary>
    public ParticipantLeaseOptions Leases { get; init; } = new();

    /// <summary>Consumer settings.</summary>
    public ParticipantFrameConsumerOptions Consumer { get; init; } = new();

    /// <summary>Called after each frame was processed and acknowledged (for counters and latency); must be quick and must not throw.</summary>
    public Action<ParticipantFrame>? Processed { get; init; }

    /// <summary>
    /// Called with what each frame decoded into, also for the frames a take-over processes again (they were
    /// decoded before, by the earlier owner); must be quick and must not throw.
    /// </summary>
    public FrameDecoded? Decoded { get; init; }

    /// <summary>
    /// Called with every event of a participant's pipeline before it is stored (for counters), also while a
    /// take-over processes frames again; must be quick and must not throw.
    /// </summary>
    public Action<PipelineEvent>? Observed { get; init; }

    /// <summary>
    /// Called when the worker stops processing a participant's frames for now: its wear period closed, or the
    /// participant was stopped (handed over, lease lost, failed). For sealing what was buffered for it (the raw
    /// archive's open block); never called while <see cref="Decoded"/> runs for the same participant; must not throw.
    /// </summary>
    public Action<Participant>? Paused { get; init; }

    /// <summary>
    /// Called with every device status a gateway sent on the participant's subject, in stream order with the
    /// frames (again for those a take-over processes again); null to skip them.
    /// </summary>
    public DeviceStatusReceived? StatusReceived { get; init; }
}

/// <summary>What a <see cref="FrameWorker"/> has done so far.</summary>
/// <param name="FramesProcessed">Frames processed and acknowledged.</param>
/// <param name="FramesReprocessed">Frames processed again to rebuild a taken-over participant's open wear period.</param>
/// <param name="PeriodsClosed">Wear periods closed (their sessions written and the restart point moved on).</param>
/// <param name="PartitionsTaken">Participants taken by lease.</param>
/// <param name="FaultyFrames">Messages that were not a valid envelope or named an unknown firmware profile (acknowledged and skipped).</param>
/// <param name="Points">Points handed to the writer.</param>
public sealed record FrameWorkerStatistics(long FramesProcessed, long FramesReprocessed, long PeriodsClosed, long PartitionsTaken, long FaultyFrames, long Points);

/// <summary>
/// A pipeline worker fed from NATS JetStream instead of local devices. It shares the participants with
/// the other live workers by lease (one worker per participant at a time), reads each participant's
/// frames in stream order, runs the same <see cref="ParticipantPipeline"/> as replay into InfluxDB,
/// acknowledges every frame, and checkpoints a <see cref="RestartPoint"/>. A worker taking a
/// participant over re-processes the frames from the restart point to the last acknowledged one, which
/// rebuilds the open wear period exactly and re-writes identical points (same series, timestamp and
/// fields, so InfluxDB overwrites them), then goes on with the first unacknowledged frame: no session is
/// lost or counted twice. Stopping hands the participants over; it does not close open sessions.
/// </summary>
public sealed partial class FrameWorker
{
    private readonly INatsJSContext _jetStream;
    private readonly FrameWorkerSetup _setup;
    private readonly TimeProvider _idleClock;
    private readonly ILogger _logger;
    private readonly IReadOnlyDictionary<string, FirmwareProfile> _profiles;
    private readonly List<Participant> _eligible;
    private readonly ConcurrentDictionary<string, Partition> _partitions = new(StringComparer.Ordinal);
    private ParticipantLeases? _leases;
    private ParticipantCheckpoints? _checkpoints;
    private long _framesProcessed;
    private long _framesReprocessed;
    private long _periodsClosed;
    private long _partitionsTaken;
    private long _faultyFrames;
    private long _points;
    private long _heartbeatAt;

    /// <summary>
    /// A worker on <paramref name="jetStream"/>. <paramref name="idleClock"/> times
    /// <see cref="FrameWorkerOptions.IdleClose"/> only (a fake one in tests); leases run on real time.
    /// </summary>
    public FrameWorker(INatsJSContext jetStream, FrameWorkerSetup setup, TimeProvider? idleClock = null, ILogger<FrameWorker>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(jetStream);
        ArgumentNullException.ThrowIfNull(setup);
        setup.Worker.Validate();
        setup.Leases.Validate();
        setup.Consumer.Validate();
        _jetStream = jetStream;
        _setup = setup;
        _idleClock = idleClock ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _profiles = setup.Profiles.ToDictionary(p => p.Id, StringComparer.Ordinal);
        var sites = setup.Worker.Sites;
        _eligible = [.. setup.Participants
            .Where(p => sites.Count == 0 || sites.Contains(p.Site))
            .OrderBy(p => Key(p), StringComparer.Ordinal)];
        Name = setup.Worker.EffectiveName;
    }

    /// <summary>The worker's name, as its leases show it.</summary>
    public string Name { get; }

    /// <summary>The participants (<c>site.participant</c>) this worker processes now.</summary>
    public IReadOnlyCollection<string> Owned => [.. _partitions.Keys];

    /// <summary>
    /// Time since the worker last wrote its heartbeat to the lease bucket, as it does at every sharing turn
    /// (every third of the lease's time to live); null before the first.
    /// </summary>
    public TimeSpan? SinceHeartbeat => Volatile.Read(ref _heartbeatAt) is var at and not 0 ? TimeProvider.System.GetElapsedTime(at) : null;

    /// <summary>A snapshot of what the worker has done.</summary>
    public FrameWorkerStatistics GetStatistics() => new(
        Interlocked.Read(ref _framesProcessed),
        Interlocked.Read(ref _framesReprocessed),
        Interlocked.Read(ref _periodsClosed),
        Interlocked.Read(ref _partitionsTaken),
        Interlocked.Read(ref _faultyFrames),
        Interlocked.Read(ref _points));

    /// <summary>
    /// Takes participants and processes them until <paramref name="cancellationToken"/> is cancelled,
    /// then stops every participant without closing its wear period, hands back the frames in flight
    /// and releases the leases, so other workers go on at once.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var renewing = Task.CompletedTask;
        try
        {
            await OpenAsync(cancellationToken).ConfigureAwait(false);
            LogStarted(_logger, Name, _eligible.Count);
            renewing = RenewLoopAsync(cancellationToken);
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await AssignAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // The top of the loop: whatever a request throws while the cluster elects leaders
                    // (timeouts surface as several exception types), sharing goes on at the next turn.
                    // Letting it escape would stop the sharing for good while renewals kept the leases.
                    LogAssignFailed(_logger, $"{ex.GetType().Name}: {ex.Message}");
                }

                await Task.Delay(_leases!.RenewInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            // Renewals end first, so none races the releases below.
            try
            {
                await renewing.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped while waiting for a lease's gate.
            }

            await Task.WhenAll(_partitions.Values.Select(p => StopPartitionAsync(p, release: true))).ConfigureAwait(false);
            LogStopped(_logger, Name);
        }
    }

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        // Just after the cluster (re)started it may have no JetStream leader yet: retry until it has.
        while (true)
        {
            try
            {
                _leases = await ParticipantLeases.OpenAsync(_jetStream, Name, _setup.Leases, cancellationToken).ConfigureAwait(false);
                _checkpoints = await ParticipantCheckpoints.OpenAsync(_jetStream, _leases, _setup.CheckpointBucket, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogAssignFailed(_logger, $"{ex.GetType().Name}: {ex.Message}");
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // Shares the participants among the live workers: ceil(participants / workers) each.
    private async Task AssignAsync(CancellationToken cancellationToken)
    {
        var leases = _leases!;
        foreach (var ended in _partitions.Values.Where(p => p.Run.IsCompleted).ToList())
        {
            // Failed, or its lease was lost: give it up so it can be taken again (by anyone) afresh.
            await StopPartitionAsync(ended, release: !ended.LeaseLost).ConfigureAwait(false);
        }

        await leases.HeartbeatAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _heartbeatAt, TimeProvider.System.GetTimestamp());
        var workers = Math.Max(1, await leases.CountLiveWorkersAsync(cancellationToken).ConfigureAwait(false));
        var share = (_eligible.Count + workers - 1) / workers;
        foreach (var extra in _partitions.Values.OrderByDescending(p => p.Key, StringComparer.Ordinal).Take(Math.Max(0, _partitions.Count - share)).ToList())
        {
            LogHandingOver(_logger, extra.Key, workers);
            await StopPartitionAsync(extra, release: true).ConfigureAwait(false);
        }

        foreach (var participant in _eligible)
        {
            if (_partitions.Count >= share)
            {
                break;
            }

            var key = Key(participant);
            if (_partitions.ContainsKey(key) || await leases.TryAcquireAsync(participant.Site, participant.Id, cancellationToken).ConfigureAwait(false) is not { } lease)
            {
                continue;
            }

            var partition = new Partition(key, participant, lease, TimeProvider.System.GetTimestamp(), CancellationTokenSource.CreateLinkedTokenSource(cancellationToken));
            _partitions[key] = partition;
            Interlocked.Increment(ref _partitionsTaken);
            partition.Run = Task.Run(() => RunPartitionAsync(partition, partition.Stop.Token), CancellationToken.None);
        }
    }

    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        var leases = _leases!;
        // A worker that could not renew for two thirds of the lease stops the participant itself, before
        // the lease can expire and another worker take it: two workers never process one participant.
        var fence = leases.Options.Ttl * 2 / 3;
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (var partition in _partitions.Values)
            {
                if (partition.LeaseLost)
                {
                    continue;
                }

                try
                {
                    await partition.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                    try
                    {
                        if (await leases.RenewAsync(partition.Lease, cancellationToken).ConfigureAwait(false))
                        {
                            partition.RenewedAt = TimeProvider.System.GetTimestamp();
                        }
                        else
                        {
                            partition.LoseLease();
                            LogLeaseLost(_logger, partition.Key);
                        }
                    }
                    finally
                    {
                        partition.Gate.Release();
                    }
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // As above: a renewal that fails in any way is retried, and the fence below still applies.
                    LogRenewFailed(_logger, partition.Key, $"{ex.GetType().Name}: {ex.Message}");
                }

                if (!partition.LeaseLost && TimeProvider.System.GetElapsedTime(partition.RenewedAt) > fence)
                {
                    partition.LoseLease();
                    LogFenced(_logger, partition.Key);
                }
            }

            try
            {
                await Task.Delay(leases.RenewInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task StopPartitionAsync(Partition partition, bool release)
    {
        await partition.Stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await partition.Run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        catch (Exception ex)
        {
            LogPartitionFailed(_logger, ex, partition.Key);
        }

        _setup.Paused?.Invoke(partition.Participant);
        _partitions.TryRemove(partition.Key, out _);
        partition.Stop.Dispose();
        if (!release || partition.LeaseLost)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _leases!.ReleaseAsync(partition.Lease, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The lease then expires after its time to live; nothing is lost.
            LogReleaseFailed(_logger, partition.Key, ex.Message);
        }
    }

    private async Task RunPartitionAsync(Partition partition, CancellationToken cancellationToken)
    {
        var participant = partition.Participant;
        var consumer = await ParticipantFrameConsumer.CreateAsync(_jetStream, _setup.StreamName, participant.Site, participant.Id, _setup.Consumer, cancellationToken).ConfigureAwait(false);
        var checkpoint = await _checkpoints!.LoadAsync(participant.Site, participant.Id, cancellationToken).ConfigureAwait(false);
        var info = await _jetStream.GetConsumerAsync(_setup.StreamName, FrameSubjects.ConsumerName(participant.Site, participant.Id), cancellationToken).ConfigureAwait(false);
        // Every frame up to the ack floor was processed by an earlier owner; MaxAckPending 1 makes it exact.
        var acknowledged = info.Info.AckFloor.StreamSeq;
        var state = new PartitionState { LastSequence = acknowledged };
        try
        {
            var restart = checkpoint is null ? 1UL : RestartPoint.Read(checkpoint.State.Span).Sequence;
            if (acknowledged >= restart)
            {
                long rebuilt = 0;
                state.LastSequence = restart - 1;
                await foreach (var frame in ReadStoredAsync(participant, restart, acknowledged, cancellationToken).ConfigureAwait(false))
                {
                    await HandleAsync(partition, state, frame, cancellationToken).ConfigureAwait(false);
                    state.LastSequence = frame.StreamSequence;
                    rebuilt++;
                }

                Interlocked.Add(ref _framesReprocessed, rebuilt);
                state.LastSequence = acknowledged;
                LogTakenOver(_logger, partition.Key, rebuilt, restart, acknowledged);
            }
            else
            {
                LogTaken(_logger, partition.Key, acknowledged);
            }

            var frames = Channel.CreateBounded<ParticipantFrame>(1);
            using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var reader = PumpAsync(consumer.ReadAsync(acknowledged, reading.Token), frames.Writer);
            ParticipantFrame? current = null;
            try
            {
                while (true)
                {
                    current = await NextAsync(frames.Reader, state.Period is null ? null : _setup.Worker.IdleClose, cancellationToken).ConfigureAwait(false);
                    if (current is null)
                    {
                        await CloseAsync(partition, state, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    await HandleAsync(partition, state, current, cancellationToken).ConfigureAwait(false);
                    // Not cancellable: a frame acknowledged is counted and never handed back.
                    await AcknowledgeAsync(partition, current, cancellationToken).ConfigureAwait(false);
                    state.LastSequence = current.StreamSequence;
                    Interlocked.Increment(ref _framesProcessed);
                    _setup.Processed?.Invoke(current);
                    current = null;
                }
            }
            finally
            {
                await reading.CancelAsync().ConfigureAwait(false);
                await HandBackAsync(current, frames.Reader).ConfigureAwait(false);
                await reader.ConfigureAwait(false);
            }
        }
        finally
        {
            if (state.Period is { } period)
            {
                Interlocked.Add(ref _points, period.Points);
                period.Dispose();
            }
        }
    }

    private async Task HandleAsync(Partition partition, PartitionState state, ParticipantFrame frame, CancellationToken cancellationToken)
    {
        if (frame.Fault != FrameEnvelopeFault.None)
        {
            Interlocked.Increment(ref _faultyFrames);
            LogFaultyFrame(_logger, partition.Key, frame.StreamSequence, frame.Fault.ToString());
            return;
        }

        if (frame.Envelope.Participant != partition.Participant.Id || frame.Envelope.Site != partition.Participant.Site)
        {
            // A consumer's filter keeps other participants' frames out; never let one into this pipeline.
            Interlocked.Increment(ref _faultyFrames);
            LogFaultyFrame(_logger, partition.Key, frame.StreamSequence, "frame of " + frame.Envelope.Site + "." + frame.Envelope.Participant);
            return;
        }

        if (DeviceStatusFrame.IsStatus(frame.Frame))
        {
            // The gateway's view of the device, not sensor data: it neither opens nor extends a wear period.
            await HandleStatusAsync(partition, frame, cancellationToken).ConfigureAwait(false);
            return;
        }

        var receivedNs = frame.Frame.ReceivedUnixNs;
        if (state.Period is { } open && receivedNs - open.LastReceivedNs >= _setup.Worker.IdleClose.Ticks * 100)
        {
            // The frames themselves say the wear period ended (e.g. a spool drained after the participant
            // stopped): close it where the live stream would have.
            await CloseAsync(partition, state, cancellationToken).ConfigureAwait(false);
        }

        if (state.Period is null)
        {
            await SaveAsync(partition, state.LastSequence, new RestartPoint(frame.StreamSequence), cancellationToken).ConfigureAwait(false);
            var prior = await ReadPriorAsync(partition, receivedNs, cancellationToken).ConfigureAwait(false);
            state.Period = new WearPeriod(frame.StreamSequence, new ParticipantPipelineOptions
            {
                Participant = partition.Participant.Id,
                Model = _setup.Model,
                Registration = partition.Participant,
                PriorSessions = prior,
            }, _profiles, _setup.Writer, Decoded(partition.Participant), _setup.Observed);
        }

        if (!state.Period.Add(frame.Envelope))
        {
            Interlocked.Increment(ref _faultyFrames);
            LogUnknownProfile(_logger, partition.Key, frame.StreamSequence, frame.Envelope.ProfileId);
        }
    }

    private async Task HandleStatusAsync(Partition partition, ParticipantFrame frame, CancellationToken cancellationToken)
    {
        if (!DeviceStatusFrame.TryRead(frame.Frame, out var status))
        {
            Interlocked.Increment(ref _faultyFrames);
            LogFaultyFrame(_logger, partition.Key, frame.StreamSequence, "device status of another version");
            return;
        }

        if (_setup.StatusReceived is { } received)
        {
            await received(partition.Participant, frame.Envelope, status, cancellationToken).ConfigureAwait(false);
        }
    }

    private Action<DeviceDecoder, List<DeviceData>>? Decoded(Participant participant) =>
        _setup.Decoded is { } decoded ? (decoder, output) => decoded(participant, decoder, output) : null;

    private async Task CloseAsync(Partition partition, PartitionState state, CancellationToken cancellationToken)
    {
        var period = state.Period!;
        await period.CompleteAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        _setup.Paused?.Invoke(partition.Participant);
        // The restart point moves past the period only once InfluxDB holds all of its points.
        await _setup.Writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        await SaveAsync(partition, state.LastSequence, new RestartPoint(state.LastSequence + 1), cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _points, period.Points);
        Interlocked.Increment(ref _periodsClosed);
        LogPeriodClosed(_logger, partition.Key, period.RestartSequence, state.LastSequence);
        state.Period = null;
        period.Dispose();
    }

    private async Task SaveAsync(Partition partition, ulong lastSequence, RestartPoint restart, CancellationToken cancellationToken)
    {
        await partition.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (partition.LeaseLost || !await _checkpoints!.SaveAsync(partition.Lease, lastSequence, restart.ToBytes(), cancellationToken).ConfigureAwait(false))
            {
                partition.LoseLease();
                throw new OperationCanceledException($"The lease of {partition.Key} was lost.");
            }

            partition.RenewedAt = TimeProvider.System.GetTimestamp();
        }
        finally
        {
            partition.Gate.Release();
        }
    }

    private async Task<IReadOnlyList<Session>> ReadPriorAsync(Partition partition, long untilNs, CancellationToken cancellationToken)
    {
        var history = _setup.Worker.SessionHistory;
        if (_setup.StoredSessions is not { } read || history <= TimeSpan.Zero)
        {
            return [];
        }

        try
        {
            return await read(partition.Participant, untilNs - history.Ticks * 100, untilNs, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InfluxQueryException or HttpRequestException)
        {
            LogSessionsNotReadBack(_logger, partition.Key, ex.Message);
            return [];
        }
    }

    // The participant's stored frames from the restart point to the last acknowledged one, without acknowledging anything.
    private IAsyncEnumerable<ParticipantFrame> ReadStoredAsync(Participant participant, ulong from, ulong through, CancellationToken cancellationToken) =>
        StoredFrames.ReadAsync(_jetStream, _setup.StreamName, participant.Site, participant.Id, from, through, cancellationToken);

    private static async Task PumpAsync(IAsyncEnumerable<ParticipantFrame> frames, ChannelWriter<ParticipantFrame> writer)
    {
        try
        {
            await foreach (var frame in frames.ConfigureAwait(false))
            {
                await writer.WriteAsync(frame).ConfigureAwait(false);
            }

            writer.TryComplete();
        }
        catch (OperationCanceledException)
        {
            writer.TryComplete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
        }
    }

    // The next frame, or null when none came within idle (null: wait as long as it takes).
    private async Task<ParticipantFrame?> NextAsync(ChannelReader<ParticipantFrame> frames, TimeSpan? idle, CancellationToken cancellationToken)
    {
        ParticipantFrame? frame;
        while (!frames.TryRead(out frame))
        {
            var waiting = frames.WaitToReadAsync(cancellationToken).AsTask();
            bool more;
            if (idle is { } timeout)
            {
                try
                {
                    more = await waiting.WaitAsync(timeout, _idleClock, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    return null;
                }
            }
            else
            {
                more = await waiting.ConfigureAwait(false);
            }

            if (!more)
            {
                await frames.Completion.ConfigureAwait(false);
                throw new OperationCanceledException("The participant's frames ended.");
            }
        }

        return frame;
    }

    // Confirmed, and sent again when no confirmation came: a lost acknowledgement would hold the participant's
    // next frame back until AckWait. When none is confirmed the frame comes again after AckWait, and the
    // reader skips it as already handed out, so it is still processed once. A stopping partition sends it
    // once and does not wait for more: its next owner rebuilds from the restart point and rewrites the same points.
    private async Task AcknowledgeAsync(Partition partition, ParticipantFrame frame, CancellationToken stopping)
    {
        const int Attempts = 3;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            try
            {
                using var timeout = new CancellationTokenSource(_setup.Consumer.AckWait / 3);
                await frame.ConfirmAsync(timeout.Token).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException or TimeoutException)
            {
                LogAckNotConfirmed(_logger, partition.Key, frame.StreamSequence, attempt, Attempts, ex.Message);
                if (stopping.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    // Frames delivered but not processed go back at once, so the next owner need not wait for AckWait.
    private static async Task HandBackAsync(ParticipantFrame? current, ChannelReader<ParticipantFrame> frames)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            if (current is not null)
            {
                await current.NakAsync(timeout.Token).ConfigureAwait(false);
            }

            while (frames.TryRead(out var waiting))
            {
                await waiting.NakAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection is gone: JetStream delivers them again after AckWait.
        }
    }

    private static string Key(Participant participant) => $"{participant.Site}.{participant.Id}";

    private sealed class PartitionState
    {
        public WearPeriod? Period { get; set; }

        public ulong LastSequence { get; set; }
    }

    private sealed class Partition(string key, Participant participant, ParticipantLease lease, long renewedAt, CancellationTokenSource stop)
    {
        private int _leaseLost;

        public string Key { get; } = key;

        public Participant Participant { get; } = participant;

        public ParticipantLease Lease { get; } = lease;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public long RenewedAt { get; set; } = renewedAt;

        public CancellationTokenSource Stop { get; } = stop;

        public Task Run { get; set; } = Task.CompletedTask;

        public bool LeaseLost => Volatile.Read(ref _leaseLost) != 0;

        public void LoseLease()
        {
            Volatile.Write(ref _leaseLost, 1);
            try
            {
                Stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already stopped.
            }
        }
    }

    [LoggerMessage(EventId = 7420, Level = LogLevel.Information, Message = "Worker {Worker} started: {Participants} participant(s) to share with the other workers")]
    private static partial void LogStarted(ILogger logger, string worker, int participants);

    [LoggerMessage(EventId = 7421, Level = LogLevel.Information, Message = "Participant {Participant}: taken, resuming after stream sequence {Acknowledged}")]
    private static partial void LogTaken(ILogger logger, string participant, ulong acknowledged);

    [LoggerMessage(EventId = 7422, Level = LogLevel.Information, Message = "Participant {Participant}: taken over; the open wear period rebuilt from {Frames} frame(s), sequences {From} to {Through}")]
    private static partial void LogTakenOver(ILogger logger, string participant, long frames, ulong from, ulong through);

    [LoggerMessage(EventId = 7423, Level = LogLevel.Information, Message = "Participant {Participant}: wear period of sequences {From} to {Through} closed and written")]
    private static partial void LogPeriodClosed(ILogger logger, string participant, ulong from, ulong through);

    [LoggerMessage(EventId = 7424, Level = LogLevel.Information, Message = "Participant {Participant}: handed over to share among {Workers} worker(s)")]
    private static partial void LogHandingOver(ILogger logger, string participant, int workers);

    [LoggerMessage(EventId = 7425, Level = LogLevel.Warning, Message = "Participant {Participant}: the lease was lost to another worker; stopped")]
    private static partial void LogLeaseLost(ILogger logger, string participant);

    [LoggerMessage(EventId = 7426, Level = LogLevel.Warning, Message = "Participant {Participant}: the lease could not be renewed in time; stopped before it could expire")]
    private static partial void LogFenced(ILogger logger, string participant);

    [LoggerMessage(EventId = 7427, Level = LogLevel.Warning, Message = "Participant {Participant}: lease renewal failed ({Reason}); retrying")]
    private static partial void LogRenewFailed(ILogger logger, string participant, string reason);

    [LoggerMessage(EventId = 7428, Level = LogLevel.Warning, Message = "Sharing participants failed ({Reason}); retrying")]
    private static partial void LogAssignFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 7429, Level = LogLevel.Error, Message = "Participant {Participant}: processing failed; the lease is given up and the participant taken again from its checkpoint")]
    private static partial void LogPartitionFailed(ILogger logger, Exception exception, string participant);

    [LoggerMessage(EventId = 7430, Level = LogLevel.Warning, Message = "Participant {Participant}: the lease could not be released ({Reason}); it expires by itself")]
    private static partial void LogReleaseFailed(ILogger logger, string participant, string reason);

    [LoggerMessage(EventId = 7431, Level = LogLevel.Warning, Message = "Participant {Participant}: stream sequence {Sequence} is not a frame envelope ({Fault}); acknowledged and skipped")]
    private static partial void LogFaultyFrame(ILogger logger, string participant, ulong sequence, string fault);

    [LoggerMessage(EventId = 7432, Level = LogLevel.Warning, Message = "Participant {Participant}: stream sequence {Sequence} names firmware profile '{Profile}', which is not loaded; acknowledged and skipped")]
    private static partial void LogUnknownProfile(ILogger logger, string participant, ulong sequence, string profile);

    [LoggerMessage(EventId = 7433, Level = LogLevel.Warning, Message = "Participant {Participant}: stored sessions could not be read back ({Reason}); this wear period's adherence counts only its own sessions")]
    private static partial void LogSessionsNotReadBack(ILogger logger, string participant, string reason);

    [LoggerMessage(EventId = 7435, Level = LogLevel.Warning, Message = "Participant {Participant}: the acknowledgement of stream sequence {Sequence} was not confirmed (attempt {Attempt} of {Attempts}: {Reason})")]
    private static partial void LogAckNotConfirmed(ILogger logger, string participant, ulong sequence, int attempt, int attempts, string reason);

    [LoggerMessage(EventId = 7434, Level = LogLevel.Information, Message = "Worker {Worker} stopped; its participants are handed over")]
    private static partial void LogStopped(ILogger logger, string worker);
}
