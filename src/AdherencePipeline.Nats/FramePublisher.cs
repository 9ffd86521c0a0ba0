using System.Buffers;
using System.Buffers.Binary;
using System.Threading.Channels;
using AdherencePipeline.Sensors;
using AdherencePipeline.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AdherencePipeline.Nats;

/// <summary>What a <see cref="FramePublisher"/> has done so far.</summary>
/// <param name="FramesEnqueued">Frames handed to the publisher in this run.</param>
/// <param name="FramesStored">Frames JetStream acknowledged as newly stored.</param>
/// <param name="FramesDuplicate">Frames JetStream acknowledged as already stored (a re-send within the duplicate window).</param>
/// <param name="FramesSpooled">Frames on disk waiting for JetStream, this run's and any an earlier run left.</param>
/// <param name="FailedAttempts">Publishes that failed (cluster unreachable, no acknowledgement in time); each is retried.</param>
/// <param name="Outage">Whether the last publish failed.</param>
/// <param name="PermissionViolations">
/// Publishes the servers refused on the publisher's connection because its user may not publish there (a
/// site its credentials do not cover; publishers sharing a connection each count all of them); the frames
/// stay in the spool and are retried.
/// </param>
public readonly record struct FramePublisherStatistics(long FramesEnqueued, long FramesStored, long FramesDuplicate, long FramesSpooled, long FailedAttempts, bool Outage, long PermissionViolations = 0);

/// <summary>
/// Publishes raw frames to JetStream, <c>adherence.frames.&lt;site&gt;.&lt;participant&gt;</c>, through a
/// durable spool, in order, with message ids that make every re-send harmless.
/// </summary>
/// <remarks>
/// Every frame is written to the on-disk <see cref="WriteSpool"/> (batched, one flush per record)
/// before it is published, and forgotten only after JetStream acknowledged it: a cluster outage of
/// any length, or a crash of the gateway, loses nothing that reached the spool. Frames of one
/// participant are published one after another and a failure stops that participant's lane there, so
/// its frames enter the stream in the order they were received; the retry starts again at the failed
/// frame, and a frame that was stored although its acknowledgement was lost is recognised by its
/// message id <c>&lt;site&gt;.&lt;participant&gt;.&lt;device&gt;-&lt;sequence&gt;</c> within the stream's duplicate window and stored
/// once. Different participants' lanes run concurrently, so they share the wait for acknowledgements.
/// A spool record holds <c>[int32 length][envelope]</c> repeated, one per frame.
/// </remarks>
public sealed partial class FramePublisher : IAsyncDisposable
{
    private readonly INatsJSContext _jetStream;
    private readonly INatsConnection _connection;
    private readonly FramePublisherOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly RetryBackoff _backoff;
    private readonly WriteSpool _spool;
    private readonly FrameSequencer _sequencer;
    private readonly Channel<Pending> _input;
    private readonly SemaphoreSlim _spooled = new(0);
    private readonly CancellationTokenSource _stopSending = new();
    private readonly object _waitersGate = new();
    private readonly List<(long Sequence, TaskCompletionSource Done)> _flushWaiters = [];
    private readonly FrameEnvelopeTextCache _texts = new();
    private readonly Dictionary<(string Site, string Participant), string> _subjects = [];
    private readonly Task _spooler;
    private readonly Task _sender;
    private long _enqueued;
    private long _stored;
    private long _duplicates;
    private long _failed;
    private long _spooledFrames;
    private long _permissionViolations;
    private long _acknowledged;
    private volatile bool _outage;
    private volatile bool _certificateReported;
    private int _disposed;
    private (long Sequence, bool[] Stored) _storedInRecord = (0, []);

    /// <summary>
    /// Opens the spool (whatever an earlier run left in it is published first) and starts publishing.
    /// Throws <see cref="ArgumentException"/> for bad options and <see cref="IOException"/> when the spool folder cannot be used.
    /// </summary>
    public FramePublisher(INatsJSContext jetStream, FramePublisherOptions options, ILogger<FramePublisher>? logger = null, TimeProvider? time = null, Random? jitter = null)
    {
        ArgumentNullException.ThrowIfNull(jetStream);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _jetStream = jetStream;
        _connection = jetStream.Connection;
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _backoff = new RetryBackoff(options.InitialRetryDelay, options.MaxRetryDelay, jitter);
        _sequencer = new FrameSequencer(_time);
        _spool = WriteSpool.Open(options.SpoolDirectory, maxBytes: options.MaxSpoolBytes, time: _time);
        _spooledFrames = _spool.PendingLines;
        _acknowledged = _spool.AcknowledgedSequence;
        if (_spool.CorruptRecordsAtOpen > 0)
        {
            LogSpoolDamaged(_logger, _spool.Directory, _spool.CorruptRecordsAtOpen);
        }

        if (_spool.PendingBatches > 0)
        {
            LogSpoolRecovered(_logger, _spooledFrames, _spool.Directory);
        }

        _input = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.MaxPendingFrames)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _connection.ServerError += OnServerErrorAsync;
        _spooler = Task.Run(SpoolLoopAsync);
        _sender = Task.Run(SendLoopAsync);
    }

    /// <summary>The gateway's site.</summary>
    public string Site => _options.Site;

    /// <summary>The device sequence numbers of this run.</summary>
    public FrameSequencer Sequencer => _sequencer;

    /// <summary>
    /// Numbers <paramref name="frame"/> with its device's next sequence and queues it for
    /// <paramref name="participant"/>; waits while the queue is full. Returns the envelope queued.
    /// </summary>
    public async ValueTask<FrameEnvelope> EnqueueAsync(string participant, string profileId, RawFrame frame, CancellationToken cancellationToken = default)
    {
        var envelope = new FrameEnvelope(_options.Site, participant, profileId, _sequencer.Next(frame.DeviceAddress), frame);
        await EnqueueAsync(envelope, cancellationToken).ConfigureAwait(false);
        return envelope;
    }

    /// <summary>
    /// Queues an envelope as it is (a re-send keeps its sequence and so its message id). Throws
    /// <see cref="ArgumentException"/> when the envelope cannot be encoded or belongs to another site.
    /// </summary>
    public async ValueTask EnqueueAsync(FrameEnvelope envelope, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!string.Equals(envelope.Site, _options.Site, StringComparison.Ordinal))
        {
            throw new ArgumentException($"This gateway publishes for site '{_options.Site}', not '{envelope.Site}'.", nameof(envelope));
        }

        var length = FrameEnvelopeCodec.GetEncodedLength(envelope);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            FrameEnvelopeCodec.Write(envelope, buffer);
            await _input.Writer.WriteAsync(new Pending(buffer, length, null), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        Interlocked.Increment(ref _enqueued);
    }

    /// <summary>Completes when every frame queued before the call has been stored by JetStream.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _input.Writer.WriteAsync(new Pending(null, 0, marker), cancellationToken).ConfigureAwait(false);
        await marker.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The counters now.</summary>
    public FramePublisherStatistics GetStatistics() => new(
        Interlocked.Read(ref _enqueued),
        Interlocked.Read(ref _stored),
        Interlocked.Read(ref _duplicates),
        Interlocked.Read(ref _spooledFrames),
        Interlocked.Read(ref _failed),
        _outage,
        Interlocked.Read(ref _permissionViolations));

    /// <summary>
    /// Stops accepting frames, spools what is queued, and stops publishing. Frames not yet stored by
    /// JetStream stay in the spool for the next run; call <see cref="FlushAsync"/> first to wait for them.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _connection.ServerError -= OnServerErrorAsync;
        _input.Writer.TryComplete();
        await _spooler.ConfigureAwait(false);
        await _stopSending.CancelAsync().ConfigureAwait(false);
        await _sender.ConfigureAwait(false);
        _spool.Dispose();
        _stopSending.Dispose();
        _spooled.Dispose();
        lock (_waitersGate)
        {
            foreach (var (_, done) in _flushWaiters)
            {
                done.TrySetException(new ObjectDisposedException(nameof(FramePublisher), "The publisher stopped before these frames were stored; they wait in the spool."));
            }

            _flushWaiters.Clear();
        }
    }

    private async Task SpoolLoopAsync()
    {
        var reader = _input.Reader;
        var record = new ArrayBufferWriter<byte>(64 * 1024);
        var markers = new List<TaskCompletionSource>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var frames = 0;
            record.Clear();
            markers.Clear();
            while (frames < _options.MaxFramesPerRecord && reader.TryRead(out var item))
            {
                if (item.Flush is { } marker)
                {
                    markers.Add(marker);
                    continue;
                }

                var span = record.GetSpan(4 + item.Length);
                BinaryPrimitives.WriteInt32LittleEndian(span, item.Length);
                item.Buffer.AsSpan(0, item.Length).CopyTo(span[4..]);
                record.Advance(4 + item.Length);
                ArrayPool<byte>.Shared.Return(item.Buffer!);
                frames++;
            }

            if (frames > 0)
            {
                await AppendAsync(record.WrittenSpan.ToArray(), frames).ConfigureAwait(false);
            }

            if (markers.Count > 0)
            {
                var target = _spool.LastSequence;
                lock (_waitersGate)
                {
                    foreach (var marker in markers)
                    {
                        if (target <= Interlocked.Read(ref _acknowledged))
                        {
                            marker.TrySetResult();
                        }
                        else
                        {
                            _flushWaiters.Add((target, marker));
                        }
                    }
                }
            }
        }
    }

    // A full spool or a refusing disk makes the queue wait here, and so the gateway's readers: the
    // frames are held, never dropped.
    private async Task AppendAsync(byte[] record, int frames)
    {
        var delay = _options.InitialRetryDelay;
        while (true)
        {
            try
            {
                _spool.Append(record, frames);
                Interlocked.Add(ref _spooledFrames, frames);
                _spooled.Release();
                return;
            }
            catch (IOException ex)
            {
                LogSpoolRefused(_logger, ex, _spool.Directory, delay);
                await Task.Delay(delay, _time).ConfigureAwait(false);
                delay = delay * 2 < _options.MaxRetryDelay ? delay * 2 : _options.MaxRetryDelay;
            }
        }
    }

    private async Task SendLoopAsync()
    {
        var stop = _stopSending.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var batch = _spool.Peek();
                if (batch is null)
                {
                    await _spooled.WaitAsync(stop).ConfigureAwait(false);
                    continue;
                }

                if (await PublishRecordAsync(batch, stop).ConfigureAwait(false))
                {
                    _spool.Acknowledge(batch.Sequence);
                    Interlocked.Add(ref _spooledFrames, -batch.LineCount);
                    // The outage ends before any flush can complete: a flush that returned never sees it still on.
                    if (_outage)
                    {
                        _outage = false;
                        _certificateReported = false;
                        LogReconnected(_logger, Interlocked.Read(ref _spooledFrames));
                    }

                    Interlocked.Exchange(ref _acknowledged, batch.Sequence);
                    CompleteFlushWaiters(batch.Sequence);

                    _backoff.Reset();
                }
                else
                {
                    await Task.Delay(_backoff.NextDelay(), _time, stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Top of the loop: whatever broke, the spool still holds the frames; log, wait, go on.
                Interlocked.Increment(ref _failed);
                var delay = _backoff.NextDelay();
                LogUnexpected(_logger, ex, delay);
                try
                {
                    await Task.Delay(delay, _time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    // Publishes a record's frames, one lane per participant: within a lane one frame after another,
    // stopping at the first failure, so each participant's frames enter the stream in order while
    // different participants share the wait for acknowledgements. Frames stored by an earlier attempt
    // at the same record are skipped. False when any frame failed.
    private async Task<bool> PublishRecordAsync(SpooledBatch batch, CancellationToken stop)
    {
        var data = batch.Lines;
        var lanes = new Dictionary<string, List<Outgoing>>(StringComparer.Ordinal);
        var offset = 0;
        for (var index = 0; offset < data.Length; index++)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(data.Span[offset..]);
            var envelopeBytes = data.Slice(offset + 4, length);
            offset += 4 + length;
            var fault = FrameEnvelopeCodec.TryRead(envelopeBytes, _texts, out var envelope);
            if (fault != FrameEnvelopeFault.None)
            {
                // The spool's CRC passed, so these are bytes this code wrote: a bug, never a network fault.
                throw new InvalidDataException($"Spool record {batch.Sequence} holds an envelope that does not read back ({fault}).");
            }

            var subject = SubjectOf(envelope);
            if (!lanes.TryGetValue(subject, out var lane))
            {
                lanes[subject] = lane = [];
            }

            lane.Add(new Outgoing(index, subject, envelope.MessageId, envelopeBytes));
        }

        if (_storedInRecord.Sequence != batch.Sequence)
        {
            _storedInRecord = (batch.Sequence, new bool[batch.LineCount]);
        }

        var stored = _storedInRecord.Stored;
        var results = await Task.WhenAll(lanes.Values.Select(lane => PublishLaneAsync(lane, stored, stop))).ConfigureAwait(false);
        return Array.TrueForAll(results, ok => ok);
    }

    private async Task<bool> PublishLaneAsync(List<Outgoing> lane, bool[] stored, CancellationToken stop)
    {
        foreach (var frame in lane)
        {
            if (stored[frame.Index])
            {
                continue;
            }

            if (!await PublishAsync(frame, stop).ConfigureAwait(false))
            {
                return false;
            }

            stored[frame.Index] = true;
        }

        return true;
    }

    private async Task<bool> PublishAsync(Outgoing frame, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(_options.PublishTimeout);
        try
        {
            var ack = await _jetStream.PublishAsync(frame.Subject, frame.Bytes, opts: new NatsJSPubOpts { MsgId = frame.MessageId }, cancellationToken: timeout.Token).ConfigureAwait(false);
            // Not EnsureSuccess: it throws for a duplicate, which here is the re-send working as meant.
            if (ack.Error is { } error)
            {
                throw new NatsJSApiException(error);
            }

            if (ack.Duplicate)
            {
                Interlocked.Increment(ref _duplicates);
            }
            else
            {
                Interlocked.Increment(ref _stored);
            }

            return true;
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException || (ex is OperationCanceledException && !stop.IsCancellationRequested))
        {
            Interlocked.Increment(ref _failed);
            if (!_outage)
            {
                _outage = true;
                LogOutage(_logger, ex.GetType().Name, ex.Message);
            }

            // The servers close such a connection in the TLS handshake, which the client reports only as a
            // failed read; their INFO, sent before the handshake, says that they verify clients.
            if (!_certificateReported && _connection.ServerInfo is { TlsVerify: true } && _connection.Opts.TlsOpts is { CertFile: null, CertBundleFile: null, ConfigureClientAuthentication: null })
            {
                _certificateReported = true;
                LogClientCertificateMissing(_logger, _connection.ServerInfo.Name);
            }

            return false;
        }
    }

    // A publish the user may not make is answered with -ERR and no acknowledgement: without this the
    // publish would only time out, and the refusal would read like a slow or unreachable cluster.
    private ValueTask OnServerErrorAsync(object? sender, NatsServerErrorEventArgs args)
    {
        if (args.Error.Contains("Permissions Violation for Publish", StringComparison.OrdinalIgnoreCase))
        {
            Interlocked.Increment(ref _permissionViolations);
            LogPublishRefused(_logger, args.Error, _options.Site);
        }
        else
        {
            LogServerError(_logger, args.Error);
        }

        return ValueTask.CompletedTask;
    }

    private string SubjectOf(in FrameEnvelope envelope)
    {
        if (!_subjects.TryGetValue((envelope.Site, envelope.Participant), out var subject))
        {
            subject = envelope.Subject;
            _subjects[(envelope.Site, envelope.Participant)] = subject;
        }

        return subject;
    }

    private void CompleteFlushWaiters(long acknowledged)
    {
        lock (_waitersGate)
        {
            for (var i = _flushWaiters.Count - 1; i >= 0; i--)
            {
                if (_flushWaiters[i].Sequence <= acknowledged)
                {
                    _flushWaiters[i].Done.TrySetResult();
                    _flushWaiters.RemoveAt(i);
                }
            }
        }
    }

    private readonly record struct Outgoing(int Index, string Subject, string MessageId, ReadOnlyMemory<byte> Bytes);

    private readonly record struct Pending(byte[]? Buffer, int Length, TaskCompletionSource? Flush);

    [LoggerMessage(EventId = 7400, Level = LogLevel.Warning, Message = "NATS JetStream unreachable ({Error}: {Reason}); frames wait in the spool")]
    private static partial void LogOutage(ILogger logger, string error, string reason);

    [LoggerMessage(EventId = 7401, Level = LogLevel.Information, Message = "NATS JetStream reachable again; {Spooled} frame(s) still to drain")]
    private static partial void LogReconnected(ILogger logger, long spooled);

    [LoggerMessage(EventId = 7402, Level = LogLevel.Information, Message = "Frame spool {Directory} holds records from an earlier run ({Records}); publishing them first")]
    private static partial void LogSpoolRecovered(ILogger logger, long records, string directory);

    [LoggerMessage(EventId = 7403, Level = LogLevel.Warning, Message = "Frame spool {Directory}: {Count} damaged record(s) at open could not be recovered")]
    private static partial void LogSpoolDamaged(ILogger logger, string directory, int count);

    [LoggerMessage(EventId = 7404, Level = LogLevel.Error, Message = "Frame spool {Directory} refused a write; retrying in {RetryIn}")]
    private static partial void LogSpoolRefused(ILogger logger, Exception exception, string directory, TimeSpan retryIn);

    [LoggerMessage(EventId = 7405, Level = LogLevel.Error, Message = "Unexpected failure of the frame publisher; retrying in {RetryIn}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, TimeSpan retryIn);

    [LoggerMessage(EventId = 7406, Level = LogLevel.Error, Message = "NATS refused a frame: {Error}. The gateway's user (Nats:CredentialsFile) may not publish for site '{Site}' (Nats:Publisher:Site); the frames wait in the spool and are retried")]
    private static partial void LogPublishRefused(ILogger logger, string error, string site);

    [LoggerMessage(EventId = 7407, Level = LogLevel.Warning, Message = "NATS server error: {Error}")]
    private static partial void LogServerError(ILogger logger, string error);

    [LoggerMessage(EventId = 7408, Level = LogLevel.Error, Message = "NATS server {Server} requires a client certificate (TLS verify) and this gateway presents none: set Nats:TlsCertFile and Nats:TlsKeyFile; the frames wait in the spool")]
    private static partial void LogClientCertificateMissing(ILogger logger, string server);
}
