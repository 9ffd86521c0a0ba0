using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdherencePipeline.Storage;

/// <summary>
/// Writes points to InfluxDB in batches, through a durable spool, with retries: the one path every
/// stage of the pipeline stores through.
/// </summary>
/// <remarks>
/// Points are batched by count (<see cref="InfluxWriterOptions.BatchSize"/>) and by age
/// (<see cref="InfluxWriterOptions.FlushInterval"/>). Each batch is flushed to the on-disk
/// <see cref="WriteSpool"/> before it is sent and acknowledged only after the server accepted it, so
/// neither an outage nor a crash loses a point, and batches arrive in the order they were made.
/// Network errors, 5xx and 429 are retried with capped, jittered back-off (honouring Retry-After).
/// A batch refused with 400 is split in halves until the malformed lines are isolated; those go to
/// the dead-letter file with the server's message and the rest lands. Resending a line InfluxDB
/// already stored overwrites it with the same values, so retries never double-count.
/// </remarks>
public sealed partial class InfluxLineWriter : IAsyncDisposable
{
    private static readonly JsonSerializerOptions DeadLetterJson = new() { WriteIndented = false };

    private readonly IInfluxWriteEndpoint _endpoint;
    private readonly InfluxWriterOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly RetryBackoff _backoff;
    private readonly WriteSpool _spool;
    private readonly Channel<PendingItem> _input;
    private readonly SemaphoreSlim _spooled = new(0);
    private readonly CancellationTokenSource _stopSending = new();
    private readonly CancellationTokenSource _stopBatching = new();
    private readonly object _waitersGate = new();
    private readonly List<(long Sequence, TaskCompletionSource Done)> _flushWaiters = [];
    private readonly Task _batcher;
    private readonly Task _sender;
    private long _acknowledged;
    private long _lastSpooled;
    private long _linesAccepted;
    private long _batchesAccepted;
    private long _linesDeadLettered;
    private long _failedAttempts;
    private int _disposed;
    private bool _outage;
    private DateTimeOffset _outageStarted;
    private string? _spoolFault;
    private long _spoolFailures;

    /// <summary>
    /// Opens the spool (delivering whatever an earlier run left in it first) and starts writing.
    /// Throws when the spool folder cannot be created or read.
    /// </summary>
    public InfluxLineWriter(IInfluxWriteEndpoint endpoint, InfluxWriterOptions options, ILogger<InfluxLineWriter>? logger = null, TimeProvider? time = null, Random? jitter = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        _endpoint = endpoint;
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _backoff = new RetryBackoff(options.InitialRetryDelay, options.MaxRetryDelay, jitter);
        _spool = WriteSpool.Open(options.SpoolDirectory, maxBytes: options.MaxSpoolBytes, time: _time);
        _acknowledged = _spool.AcknowledgedSequence;
        _lastSpooled = _spool.LastSequence;
        if (_spool.PendingBatches > 0)
        {
            LogRecoveredFromSpool(_logger, _spool.PendingBatches, _spool.PendingBytes, _spool.Directory);
        }

        if (_spool.CorruptRecordsAtOpen > 0)
        {
            LogCorruptSpoolRecords(_logger, _spool.CorruptRecordsAtOpen, _spool.Directory);
        }

        _input = Channel.CreateBounded<PendingItem>(new BoundedChannelOptions(options.MaxPendingPoints)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _batcher = Task.Run(BatchLoopAsync);
        _sender = Task.Run(SendLoopAsync);
    }

    /// <summary>Where the writer sends to, for logs and status output.</summary>
    public string Endpoint => _endpoint.Description;

    /// <summary>Queues a point. Waits (rather than dropping anything) while <see cref="InfluxWriterOptions.MaxPendingPoints"/> are queued.</summary>
    public ValueTask WriteAsync(Point point, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(point);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _input.Writer.WriteAsync(new PendingItem(point, null), cancellationToken);
    }

    /// <summary>
    /// Completes when every point written before the call has been accepted by the server (or
    /// dead-lettered). While the server is away this waits; cancel it to stop waiting — the points
    /// stay spooled either way.
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _input.Writer.WriteAsync(new PendingItem(null, done), cancellationToken).ConfigureAwait(false);
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A snapshot of what the writer has done so far.</summary>
    public InfluxWriterStatistics GetStatistics() => new(
        Interlocked.Read(ref _linesAccepted),
        Interlocked.Read(ref _batchesAccepted),
        Interlocked.Read(ref _linesDeadLettered),
        Interlocked.Read(ref _failedAttempts),
        _spool.PendingBatches,
        _spool.PendingBytes,
        _spool.OldestPendingSpooledAt,
        Volatile.Read(ref _outage))
    {
        SpoolFault = Volatile.Read(ref _spoolFault),
        SpoolFailures = Interlocked.Read(ref _spoolFailures),
    };

    /// <summary>
    /// Writes what is queued to the spool, then tries for up to <see cref="InfluxWriterOptions.ShutdownTimeout"/>
    /// to deliver it. What is not delivered stays in the spool for the next start.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _input.Writer.TryComplete();
        _stopBatching.CancelAfter(_options.ShutdownTimeout);
        await _batcher.ConfigureAwait(false);
        _spooled.Release();
        _stopSending.CancelAfter(_options.ShutdownTimeout);
        await _sender.ConfigureAwait(false);
        lock (_waitersGate)
        {
            foreach (var (_, done) in _flushWaiters)
            {
                done.TrySetException(new ObjectDisposedException(nameof(InfluxLineWriter), "The writer stopped before these points were delivered; they remain in the spool."));
            }

            _flushWaiters.Clear();
        }

        _spool.Dispose();
        _spooled.Dispose();
        _stopSending.Dispose();
        _stopBatching.Dispose();
    }

    private async Task BatchLoopAsync()
    {
        var reader = _input.Reader;
        var buffer = new ArrayBufferWriter<byte>(256 * 1024);
        var lines = 0;
        var deadline = DateTimeOffset.MaxValue;
        var waiters = new List<TaskCompletionSource>();
        try
        {
            while (true)
            {
                while (lines < _options.BatchSize && reader.TryRead(out var item))
                {
                    if (item.Point is { } point)
                    {
                        if (lines == 0)
                        {
                            deadline = _time.GetUtcNow() + _options.FlushInterval;
                        }

                        LineProtocol.Write(point, buffer);
                        buffer.GetSpan(1)[0] = (byte)'\n';
                        buffer.Advance(1);
                        lines++;
                    }
                    else
                    {
                        waiters.Add(item.Flush!);
                        break;
                    }
                }

                var full = lines >= _options.BatchSize;
                if (full || waiters.Count > 0 || (lines > 0 && _time.GetUtcNow() >= deadline))
                {
                    if (lines > 0)
                    {
                        await SpoolAsync(buffer.WrittenMemory, lines).ConfigureAwait(false);
                        buffer.ResetWrittenCount();
                        lines = 0;
                    }

                    if (waiters.Count > 0)
                    {
                        RegisterFlushWaiters(waiters);
                        waiters.Clear();
                    }

                    continue;
                }

                if (!await WaitForInputAsync(reader, lines > 0 ? deadline : null).ConfigureAwait(false))
                {
                    break;
                }
            }

            if (lines > 0)
            {
                await SpoolAsync(buffer.WrittenMemory, lines).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopBatching.IsCancellationRequested)
        {
            LogPointsLostAtShutdown(_logger, lines, _spool.Directory);
        }
    }

    // True when input may be readable (or the batch deadline passed); false when the input is completed and drained.
    private async ValueTask<bool> WaitForInputAsync(ChannelReader<PendingItem> reader, DateTimeOffset? deadline)
    {
        if (deadline is null)
        {
            return await reader.WaitToReadAsync().ConfigureAwait(false);
        }

        var remaining = deadline.Value - _time.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            return true;
        }

        using var timer = new CancellationTokenSource(remaining, _time);
        try
        {
            return await reader.WaitToReadAsync(timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested)
        {
            return true;
        }
    }

    private async Task SpoolAsync(ReadOnlyMemory<byte> lines, int lineCount)
    {
        var backoff = new RetryBackoff(_options.InitialRetryDelay, _options.MaxRetryDelay);
        while (true)
        {
            try
            {
                Interlocked.Exchange(ref _lastSpooled, _spool.Append(lines.Span, lineCount));
                if (backoff.Attempt > 0)
                {
                    Volatile.Write(ref _spoolFault, null);
                    LogSpoolRecovered(_logger, _spool.Directory, backoff.Attempt);
                }

                _spooled.Release();
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The batch stays in memory and the input channel fills, so producers wait: memory
                // stays bounded and nothing is dropped while the disk is full or read-only.
                var delay = backoff.NextDelay();
                Volatile.Write(ref _spoolFault, DescribeSpoolFault(ex));
                Interlocked.Increment(ref _spoolFailures);
                if (backoff.Attempt == 1 || backoff.Attempt % 10 == 0)
                {
                    LogSpoolWriteFailed(_logger, ex, _spool.Directory, lineCount, backoff.Attempt, delay.TotalSeconds);
                }

                await Task.Delay(delay, _time, _stopBatching.Token).ConfigureAwait(false);
            }
        }
    }

    private void RegisterFlushWaiters(List<TaskCompletionSource> waiters)
    {
        lock (_waitersGate)
        {
            var wanted = Interlocked.Read(ref _lastSpooled);
            foreach (var done in waiters)
            {
                if (wanted <= Interlocked.Read(ref _acknowledged))
                {
                    done.TrySetResult();
                }
                else
                {
                    _flushWaiters.Add((wanted, done));
                }
            }
        }
    }

    private async Task SendLoopAsync()
    {
        var token = _stopSending.Token;
        try
        {
            while (true)
            {
                using var batch = await PeekSpoolAsync(token).ConfigureAwait(false);
                if (batch is null)
                {
                    if (_batcher.IsCompleted && _spool.PendingBatches == 0)
                    {
                        return;
                    }

                    await _spooled.WaitAsync(token).ConfigureAwait(false);
                    continue;
                }

                var deadLetters = new List<DeadLetter>();
                await DeliverAsync(batch.Lines, deadLetters, token).ConfigureAwait(false);
                if (deadLetters.Count > 0)
                {
                    WriteDeadLetters(deadLetters);
                }

                await AcknowledgeAsync(batch.Sequence, token).ConfigureAwait(false);
                Interlocked.Exchange(ref _acknowledged, batch.Sequence);
                Interlocked.Add(ref _linesAccepted, batch.LineCount - deadLetters.Count);
                Interlocked.Increment(ref _batchesAccepted);
                CompleteFlushWaiters(batch.Sequence);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            if (_spool.PendingBatches > 0)
            {
                LogLeftInSpool(_logger, _spool.PendingBatches, _spool.PendingBytes, _spool.Directory);
            }
        }
    }

    // Reading the spool back can fail like writing it (a disk error, a folder made read-only under
    // us). The sender must not die of it: it waits and tries again, and the batch stays spooled.
    private async Task<SpooledBatch?> PeekSpoolAsync(CancellationToken token)
    {
        RetryBackoff? backoff = null;
        while (true)
        {
            try
            {
                var batch = _spool.Peek();
                if (backoff is not null)
                {
                    Volatile.Write(ref _spoolFault, null);
                    LogSpoolRecovered(_logger, _spool.Directory, backoff.Attempt);
                }

                return batch;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                backoff ??= new RetryBackoff(_options.InitialRetryDelay, _options.MaxRetryDelay);
                var delay = backoff.NextDelay();
                Volatile.Write(ref _spoolFault, DescribeSpoolFault(ex));
                Interlocked.Increment(ref _spoolFailures);
                if (backoff.Attempt == 1 || backoff.Attempt % 10 == 0)
                {
                    LogSpoolReadFailed(_logger, ex, _spool.Directory, backoff.Attempt, delay.TotalSeconds);
                }

                await Task.Delay(delay, _time, token).ConfigureAwait(false);
            }
        }
    }

    // The server has the batch; only the spool's record of that is missing. Until it is written the
    // batch counts as unsent, so a crash in between resends it, which the server absorbs.
    private async Task AcknowledgeAsync(long sequence, CancellationToken token)
    {
        RetryBackoff? backoff = null;
        while (true)
        {
            try
            {
                _spool.Acknowledge(sequence);
                if (backoff is not null)
                {
                    Volatile.Write(ref _spoolFault, null);
                    LogSpoolRecovered(_logger, _spool.Directory, backoff.Attempt);
                }

                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                backoff ??= new RetryBackoff(_options.InitialRetryDelay, _options.MaxRetryDelay);
                var delay = backoff.NextDelay();
                Volatile.Write(ref _spoolFault, DescribeSpoolFault(ex));
                Interlocked.Increment(ref _spoolFailures);
                if (backoff.Attempt == 1 || backoff.Attempt % 10 == 0)
                {
                    LogSpoolAcknowledgeFailed(_logger, ex, _spool.Directory, sequence, backoff.Attempt, delay.TotalSeconds);
                }

                await Task.Delay(delay, _time, token).ConfigureAwait(false);
            }
        }
    }

    private string DescribeSpoolFault(Exception ex) => ex switch
    {
        SpoolFullException => ex.Message + " Producers wait until the server takes some.",
        UnauthorizedAccessException => $"The spool folder '{_spool.Directory}' refuses writes (permission denied): {ex.Message}",
        _ => $"The spool folder '{_spool.Directory}' cannot be written (disk full or read-only?): {ex.Message}",
    };

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

    private async Task DeliverAsync(ReadOnlyMemory<byte> lines, List<DeadLetter> deadLetters, CancellationToken token)
    {
        while (true)
        {
            var outcome = await _endpoint.WriteAsync(lines, token).ConfigureAwait(false);
            switch (outcome.Kind)
            {
                case WriteOutcomeKind.Accepted:
                    EndOutage();
                    return;

                case WriteOutcomeKind.Rejected or WriteOutcomeKind.TooLarge:
                    EndOutage();
                    var middle = MiddleLineBreak(lines.Span);
                    if (middle < 0)
                    {
                        deadLetters.Add(new DeadLetter(lines, outcome));
                        return;
                    }

                    // Resending lines the server already stored from a partial write is harmless:
                    // the same series and timestamp overwrite themselves.
                    await DeliverAsync(lines[..(middle + 1)], deadLetters, token).ConfigureAwait(false);
                    await DeliverAsync(lines[(middle + 1)..], deadLetters, token).ConfigureAwait(false);
                    return;

                default:
                    Interlocked.Increment(ref _failedAttempts);
                    var delay = _backoff.NextDelay(outcome.RetryAfter);
                    BeginOrContinueOutage(outcome, delay);
                    await Task.Delay(delay, _time, token).ConfigureAwait(false);
                    break;
            }
        }
    }

    private void BeginOrContinueOutage(WriteOutcome outcome, TimeSpan delay)
    {
        if (!_outage)
        {
            _outage = true;
            _outageStarted = _time.GetUtcNow();
        }

        // One line when the trouble starts, then one per ten attempts: the back-off makes that at
        // most one line every few minutes, however long the outage lasts.
        if (_backoff.Attempt == 1 || _backoff.Attempt % 10 == 0)
        {
            var reason = outcome.Kind switch
            {
                WriteOutcomeKind.Unauthorized => "authentication failed; check Influx:Token or Influx:Username/Password",
                WriteOutcomeKind.DatabaseNotFound => "the database does not exist; create it or set Influx:CreateDatabase",
                _ => "the server is unavailable",
            };
            LogWriteFailed(_logger, _endpoint.Description, reason, outcome.StatusCode, outcome.Message, _backoff.Attempt, delay.TotalSeconds, _spool.PendingBatches);
        }
    }

    private void EndOutage()
    {
        if (_outage)
        {
            _outage = false;
            LogWriteRestored(_logger, _endpoint.Description, _backoff.Attempt, (_time.GetUtcNow() - _outageStarted).TotalSeconds);
        }

        _backoff.Reset();
    }

    // Index of the line break closest to the middle that still leaves a line on each side, or -1 for a single line.
    private static int MiddleLineBreak(ReadOnlySpan<byte> lines)
    {
        var body = lines.Length > 0 && lines[^1] == (byte)'\n' ? lines[..^1] : lines;
        var middle = body.Length / 2;
        var after = body[middle..].IndexOf((byte)'\n');
        if (after >= 0)
        {
            return middle + after;
        }

        return body[..middle].LastIndexOf((byte)'\n');
    }

    private void WriteDeadLetters(List<DeadLetter> deadLetters)
    {
        var path = _options.ResolvedDeadLetterPath;
        var now = _time.GetUtcNow();
        var text = new StringBuilder();
        var count = 0;
        foreach (var letter in deadLetters)
        {
            foreach (var line in Encoding.UTF8.GetString(letter.Lines.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                text.Append(JsonSerializer.Serialize(new DeadLetterRecord(now, letter.Outcome.StatusCode, letter.Outcome.Message, line), DeadLetterJson)).Append('\n');
                count++;
            }
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        using (var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read))
        {
            file.Write(Encoding.UTF8.GetBytes(text.ToString()));
            file.Flush(flushToDisk: true);
        }

        Interlocked.Add(ref _linesDeadLettered, count);
        LogDeadLettered(_logger, count, path, deadLetters[0].Outcome.Message);
    }

    private readonly record struct PendingItem(Point? Point, TaskCompletionSource? Flush);

    private readonly record struct DeadLetter(ReadOnlyMemory<byte> Lines, WriteOutcome Outcome);

    private sealed record DeadLetterRecord(DateTimeOffset Time, int? Status, string? Error, string Line);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Writing to {Endpoint} failed: {Reason} (HTTP {Status}: {ServerMessage}); attempt {Attempt}, next in {DelaySeconds:0.0} s; {PendingBatches} batches wait in the spool")]
    private static partial void LogWriteFailed(ILogger logger, string endpoint, string reason, int? status, string? serverMessage, int attempt, double delaySeconds, int pendingBatches);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Writing to {Endpoint} works again after {Attempts} failed attempts over {Seconds:0.0} s")]
    private static partial void LogWriteRestored(ILogger logger, string endpoint, int attempts, double seconds);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "The server rejected {Count} malformed lines; they are in {Path}. First reason: {ServerMessage}")]
    private static partial void LogDeadLettered(ILogger logger, int count, string path, string? serverMessage);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Found {Batches} undelivered batches ({Bytes} bytes) in the spool {Directory}; delivering them first")]
    private static partial void LogRecoveredFromSpool(ILogger logger, int batches, long bytes, string directory);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "Cannot write to the spool {Directory}; holding {Lines} lines in memory and slowing producers (attempt {Attempt}, next in {DelaySeconds:0.0} s)")]
    private static partial void LogSpoolWriteFailed(ILogger logger, Exception exception, string directory, int lines, int attempt, double delaySeconds);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "The spool {Directory} accepts writes again after {Attempts} failed attempts")]
    private static partial void LogSpoolRecovered(ILogger logger, string directory, int attempts);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Stopping with {Batches} batches ({Bytes} bytes) undelivered; they stay in {Directory} and are sent at the next start")]
    private static partial void LogLeftInSpool(ILogger logger, int batches, long bytes, string directory);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Critical, Message = "Stopping while the spool {Directory} refuses writes: {Lines} lines could not be stored anywhere and are lost")]
    private static partial void LogPointsLostAtShutdown(ILogger logger, int lines, string directory);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Error, Message = "Cannot read the spool {Directory}; sending waits (attempt {Attempt}, next in {DelaySeconds:0.0} s)")]
    private static partial void LogSpoolReadFailed(ILogger logger, Exception exception, string directory, int attempt, double delaySeconds);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Error, Message = "Cannot record delivery of batch {Sequence} in the spool {Directory}; sending waits (attempt {Attempt}, next in {DelaySeconds:0.0} s)")]
    private static partial void LogSpoolAcknowledgeFailed(ILogger logger, Exception exception, string directory, long sequence, int attempt, double delaySeconds);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "{Count} corrupt or cut-short records were found in the spool {Directory} (a crash during an append) and skipped")]
    private static partial void LogCorruptSpoolRecords(ILogger logger, int count, string directory);

}

/// <summary>What an <see cref="InfluxLineWriter"/> has done so far.</summary>
/// <param name="LinesAccepted">Lines the server stored.</param>
/// <param name="BatchesAccepted">Spool batches fully delivered.</param>
/// <param name="LinesDeadLettered">Lines the server refused as malformed, now in the dead-letter file.</param>
/// <param name="FailedAttempts">Write requests that failed and were retried.</param>
/// <param name="SpoolBatches">Batches waiting in the spool.</param>
/// <param name="SpoolBytes">Bytes waiting in the spool.</param>
/// <param name="OldestSpooledAt">When the oldest waiting batch was spooled.</param>
/// <param name="ServerUnavailable">Whether the last attempt failed.</param>
/// <remarks><see cref="SpoolFault"/> says what is wrong with the spool folder while it refuses writes, else <c>null</c>.</remarks>
public sealed record InfluxWriterStatistics(
    long LinesAccepted,
    long BatchesAccepted,
    long LinesDeadLettered,
    long FailedAttempts,
    int SpoolBatches,
    long SpoolBytes,
    DateTimeOffset? OldestSpooledAt,
    bool ServerUnavailable)
{
    /// <summary>Why the spool folder refuses writes or reads (disk full, read-only, permissions), or <c>null</c> when it works.</summary>
    public string? SpoolFault { get; init; }

    /// <summary>Spool writes or reads that failed and were retried.</summary>
    public long SpoolFailures { get; init; }
}
