using System.Diagnostics.Metrics;
using AdherencePipeline.BlueZ;
using AdherencePipeline.Nats;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Sensors;
using AdherencePipeline.Signal;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Service.Monitoring;

/// <summary>
/// The service's metrics, on one <see cref="Meter"/> named <see cref="MeterName"/>: what the decoders,
/// the classify and session stages, the storage writer, and the BlueZ transport or the NATS frame worker do. Counters are added to
/// where the data already flows, once per frame or event (never per sample), with their tags passed
/// as <see cref="KeyValuePair{TKey,TValue}"/> values so recording allocates nothing.
/// </summary>
/// <remarks>Tags are device models, fault kinds, gap reasons and write outcomes: few values, and never a participant or a device address.</remarks>
internal sealed class WorkerMetrics : IDisposable
{
    /// <summary>The meter's name, for any listener (OpenTelemetry, <c>dotnet-counters</c>).</summary>
    public const string MeterName = "AdherencePipeline";

    private const string ModelTag = "model";

    // Upper bounds of the write-latency buckets, in seconds: a loopback write takes milliseconds, a write
    // to a busy or remote server up to the request timeout (30 s by default).
    private static readonly double[] WriteBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    // One string per kind, so tagging a fault does not format an enum.
    private static readonly string[] FaultKinds = [.. Enum.GetValues<DecodeFaultKind>().Select(k => SnakeCase(k.ToString()))];
    private static readonly string[] GapReasons = [.. Enum.GetValues<GapReason>().Select(r => SnakeCase(r.ToString()))];
    private static readonly string[] Outcomes = [.. Enum.GetValues<WriteOutcomeKind>().Select(o => SnakeCase(o.ToString()))];

    private readonly DecodeFaultLog _faultLog;
    private readonly TimeProvider _time;
    private readonly Counter<long> _frames;
    private readonly Counter<long> _samples;
    private readonly Counter<long> _faults;
    private readonly Counter<long> _windows;
    private readonly Counter<long> _windowsClassified;
    private readonly Counter<long> _bouts;
    private readonly Counter<long> _sessions;
    private readonly Counter<long> _gaps;
    private readonly Histogram<double> _writeDuration;
    private readonly Counter<long> _linesFailed;
    private readonly Counter<long> _connections;
    private readonly Counter<long> _disconnections;
    private readonly Counter<long> _connectFailures;
    private readonly List<IDisposable> _subscriptions = [];
    private long _lastAcceptedUnixNs;
    private long _lastFrameLagNs = -1;
    private volatile LastWrite? _lastWrite;

    public WorkerMetrics(IMeterFactory meters, DecodeFaultLog faultLog, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _faultLog = faultLog;
        _time = time;
        Meter = meters.Create(new MeterOptions(MeterName));
        _frames = Meter.CreateCounter<long>("adherence.frames", "{frame}", "Notifications decoded, per device model.");
        _samples = Meter.CreateCounter<long>("adherence.samples", "{sample}", "Samples decoded, per device model and sensor (accelerometer: one per axis triple; heart_rate: one per measurement).");
        _faults = Meter.CreateCounter<long>("adherence.decode_faults", "{frame}", "Notifications that could not be decoded, per device model and fault kind.");
        _gaps = Meter.CreateCounter<long>("adherence.gaps", "{gap}", "Gaps in a device's data, per device model and reason.");
        _windows = Meter.CreateCounter<long>("adherence.windows", "{window}", "Analysis windows closed (complete or not), per device model.");
        _windowsClassified = Meter.CreateCounter<long>("adherence.windows_classified", "{window}", "Complete windows the activity model classified, per device model.");
        _bouts = Meter.CreateCounter<long>("adherence.bouts_closed", "{bout}", "Exercise bouts closed.");
        _sessions = Meter.CreateCounter<long>("adherence.sessions_closed", "{session}", "Exercise sessions closed.");
        _writeDuration = Meter.CreateHistogram<double>("adherence.influx.write_duration", "s", "Duration of one write request to InfluxDB, per outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = WriteBuckets });
        _linesFailed = Meter.CreateCounter<long>("adherence.points.write_failed", "{point}", "Points carried by write requests that failed and are retried (a point retried three times counts three times).");
        _connections = Meter.CreateCounter<long>("adherence.device.connections", "{connection}", "Connections made to bound devices (streaming started), per device model.");
        _disconnections = Meter.CreateCounter<long>("adherence.device.disconnections", "{disconnection}", "Streaming devices whose link went down, per device model.");
        _connectFailures = Meter.CreateCounter<long>("adherence.device.connect_failures", "{attempt}", "Connection attempts that failed and are retried, per device model.");
    }

    /// <summary>The meter every instrument of the service is on.</summary>
    public Meter Meter { get; }

    /// <summary>The answer to the last write request, or null before the first.</summary>
    public LastWrite? LastWriteOutcome => _lastWrite;

    /// <summary>When InfluxDB last accepted a write, or null when it has not yet in this run.</summary>
    public DateTimeOffset? LastAcceptedAt => Interlocked.Read(ref _lastAcceptedUnixNs) is var ns and > 0
        ? DateTimeOffset.UnixEpoch.AddTicks(ns / 100)
        : null;

    /// <summary>
    /// Counts what one notification decoded into (the items of <paramref name="output"/> from index
    /// <paramref name="from"/>, as the decoder added them) and logs its fault at a bounded rate. Called once
    /// per frame by the worker's decode stage.
    /// </summary>
    public void Decoded(DeviceDecoder decoder, List<DeviceData> output, int from)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(output);
        var model = new KeyValuePair<string, object?>(ModelTag, decoder.DeviceModel);
        _frames.Add(1, model);
        for (var i = from; i < output.Count; i++)
        {
            switch (output[i])
            {
                case AccelerationData a:
                    _samples.Add(a.TimestampsNs.Length, model, new("sensor", "accelerometer"));
                    break;
                case HeartRateData:
                    _samples.Add(1, model, new("sensor", "heart_rate"));
                    break;
                case DeviceFault:
                    var fault = decoder.LastFault;
                    _faults.Add(1, model, new("kind", FaultKinds[(int)fault.Kind]));
                    _faultLog.Fault(decoder.DeviceAddress, decoder.DeviceModel, fault);
                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>Counts one event of a participant's pipeline: windows, classifications, gaps, bouts and sessions.</summary>
    public void Observe(PipelineEvent e)
    {
        switch (e)
        {
            case WindowEvent:
                _windows.Add(1, new KeyValuePair<string, object?>(ModelTag, e.DeviceModel));
                break;
            case ActivityEvent:
                _windowsClassified.Add(1, new KeyValuePair<string, object?>(ModelTag, e.DeviceModel));
                break;
            case GapEvent g:
                _gaps.Add(1, new KeyValuePair<string, object?>(ModelTag, e.DeviceModel), new("reason", GapReasons[(int)g.Gap.Reason]));
                break;
            case BoutEvent:
                _bouts.Add(1);
                break;
            case SessionEvent:
                _sessions.Add(1);
                break;
            default:
                break;
        }
    }

    /// <summary>Records one write request: its duration, its outcome and, when it failed, the points it carried.</summary>
    public void WriteCompleted(WriteOutcome outcome, TimeSpan duration, ReadOnlySpan<byte> lines)
    {
        _writeDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("outcome", Outcomes[(int)outcome.Kind]));
        var now = _time.GetUtcNow();
        if (outcome.Kind == WriteOutcomeKind.Accepted)
        {
            Interlocked.Exchange(ref _lastAcceptedUnixNs, (now - DateTimeOffset.UnixEpoch).Ticks * 100);
        }
        else if (outcome.Kind is not (WriteOutcomeKind.Rejected or WriteOutcomeKind.TooLarge))
        {
            _linesFailed.Add(lines.Count((byte)'\n') + (lines.Length > 0 && lines[^1] != (byte)'\n' ? 1 : 0));
        }

        _lastWrite = new LastWrite(now, outcome.Kind, outcome.StatusCode, outcome.Message);
    }

    /// <summary>Adds the gauges and counters the storage writer keeps itself: spool depth and age, points written and dead-lettered.</summary>
    public void ObserveStorage(InfluxLineWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Meter.CreateObservableGauge("adherence.spool.batches", () => writer.GetStatistics().SpoolBatches, "{batch}", "Batches waiting in the spool for InfluxDB.");
        Meter.CreateObservableGauge("adherence.spool.size", () => writer.GetStatistics().SpoolBytes, "By", "Bytes waiting in the spool.");
        Meter.CreateObservableGauge("adherence.spool.oldest_age", () => writer.GetStatistics().OldestSpooledAt is { } oldest ? Math.Max(0, (_time.GetUtcNow() - oldest).TotalSeconds) : 0,
            "s", "Age of the oldest batch waiting in the spool; 0 when it is empty.");
        Meter.CreateObservableGauge("adherence.spool.faulted", () => writer.GetStatistics().SpoolFault is null ? 0 : 1, "", "1 while the spool folder refuses writes or reads (disk full, read-only, permissions), else 0.");
        Meter.CreateObservableCounter("adherence.spool.failures", () => writer.GetStatistics().SpoolFailures, "{attempt}", "Spool writes or reads that failed and were retried.");
        Meter.CreateObservableCounter("adherence.points.written", () => writer.GetStatistics().LinesAccepted, "{point}", "Points InfluxDB accepted.");
        Meter.CreateObservableCounter("adherence.points.dead_lettered", () => writer.GetStatistics().LinesDeadLettered, "{point}", "Points InfluxDB refused as malformed, now in the dead-letter file.");
        Meter.CreateObservableCounter("adherence.influx.write_failures", () => writer.GetStatistics().FailedAttempts, "{request}", "Write requests that failed and were retried.");
        Meter.CreateObservableGauge("adherence.influx.last_write_age", ObserveLastWriteAge, "s", "Time since InfluxDB last accepted a write; absent before the first.");
    }

    /// <summary>Adds the device gauges (bound, connected, frames dropped) and counts the transport's connection events.</summary>
    public void ObserveDevices(BlueZTransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        Meter.CreateObservableGauge("adherence.devices.bound", () => PerModel(transport, connectedOnly: false), "{device}", "Devices bound to a participant today, per device model.");
        Meter.CreateObservableGauge("adherence.devices.connected", () => PerModel(transport, connectedOnly: true), "{device}", "Bound devices connected and streaming now, per device model.");
        Meter.CreateObservableCounter("adherence.frames.dropped", () => transport.FramesDropped, "{frame}", "Frames the transport dropped because a device's share of its queue was full.");
        _subscriptions.Add(transport.Events.Subscribe(e =>
        {
            var model = new KeyValuePair<string, object?>(ModelTag, e.ProfileId);
            switch (e)
            {
                case BleDeviceConnected:
                    _connections.Add(1, model);
                    break;
                case BleDeviceDisconnected:
                    _disconnections.Add(1, model);
                    break;
                case BleDeviceAttemptFailed:
                    _connectFailures.Add(1, model);
                    break;
                default:
                    break;
            }
        }));
    }

    /// <summary>
    /// Adds the NATS worker's counters and gauges (frames processed and re-processed, faulty frames, participants
    /// taken and owned, wear periods closed, lag), read from <paramref name="worker"/>'s statistics at each scrape;
    /// nothing is reported before the worker exists.
    /// </summary>
    public void ObserveFrameWorker(Func<FrameWorker?> worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        IEnumerable<Measurement<long>> Read(Func<FrameWorkerStatistics, long> value) =>
            worker() is { } w ? [new Measurement<long>(value(w.GetStatistics()))] : [];
        Meter.CreateObservableCounter("adherence.nats.frames_processed", () => Read(s => s.FramesProcessed), "{frame}", "Frames taken from the stream, processed and acknowledged.");
        Meter.CreateObservableCounter("adherence.nats.frames_reprocessed", () => Read(s => s.FramesReprocessed), "{frame}", "Frames processed again to rebuild a taken-over participant's open wear period.");
        Meter.CreateObservableCounter("adherence.nats.faulty_frames", () => Read(s => s.FaultyFrames), "{frame}", "Messages that were not a frame envelope, or named a firmware profile not loaded (acknowledged and skipped).");
        Meter.CreateObservableCounter("adherence.nats.partitions_taken", () => Read(s => s.PartitionsTaken), "{participant}", "Participants taken by lease (again after a hand-over).");
        Meter.CreateObservableCounter("adherence.nats.periods_closed", () => Read(s => s.PeriodsClosed), "{period}", "Wear periods closed: their sessions written and the restart point moved on.");
        Meter.CreateObservableGauge("adherence.nats.partitions_owned", () => worker() is { } w ? [new Measurement<int>(w.Owned.Count)] : Array.Empty<Measurement<int>>(), "{participant}", "Participants this worker processes now.");
        Meter.CreateObservableGauge("adherence.nats.heartbeat_age", () => worker()?.SinceHeartbeat is { } age ? [new Measurement<double>(age.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            "s", "Time since the worker last wrote its heartbeat to the lease bucket; absent before the first.");
        Meter.CreateObservableGauge("adherence.nats.lag", ObserveFrameLag, "s", "How long after its gateway received it the last frame was processed; absent before the first.");
    }

    /// <summary>Notes when the last frame the NATS worker processed was received by its gateway, for the lag gauge. Called once per frame.</summary>
    public void FrameProcessed(ParticipantFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Fault == FrameEnvelopeFault.None)
        {
            var nowNs = (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
            Interlocked.Exchange(ref _lastFrameLagNs, Math.Max(0, nowNs - frame.Frame.ReceivedUnixNs));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }

        Meter.Dispose();
    }

    private IEnumerable<Measurement<double>> ObserveLastWriteAge()
    {
        if (LastAcceptedAt is { } at)
        {
            yield return new Measurement<double>(Math.Max(0, (_time.GetUtcNow() - at).TotalSeconds));
        }
    }

    private IEnumerable<Measurement<double>> ObserveFrameLag()
    {
        if (Interlocked.Read(ref _lastFrameLagNs) is var lag and >= 0)
        {
            yield return new Measurement<double>(lag / 1e9);
        }
    }

    private static IEnumerable<Measurement<int>> PerModel(BlueZTransport transport, bool connectedOnly) =>
        transport.GetStatus()
            .GroupBy(s => s.ProfileId, StringComparer.Ordinal)
            .Select(g => new Measurement<int>(g.Count(s => !connectedOnly || s.Connected), new KeyValuePair<string, object?>(ModelTag, g.Key)));

    private static string SnakeCase(string name)
    {
        var text = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(name[i]));
        }

        return text.ToString();
    }
}

/// <summary>The answer to the last write request to InfluxDB.</summary>
/// <param name="At">When it came (service clock).</param>
/// <param name="Kind">What happened.</param>
/// <param name="StatusCode">The HTTP status, or null when no response arrived.</param>
/// <param name="Message">The server's error text or the transport failure, if any.</param>
internal sealed record LastWrite(DateTimeOffset At, WriteOutcomeKind Kind, int? StatusCode, string? Message);

/// <summary>
/// The storage write endpoint with each request measured into <see cref="WorkerMetrics"/> (duration,
/// outcome, failed points); the writer above it and the endpoint below it are unchanged. Durations are
/// taken on the monotonic system clock, whatever clock the service's timers run on.
/// </summary>
internal sealed class MeasuredWriteEndpoint(IInfluxWriteEndpoint inner, WorkerMetrics metrics) : IInfluxWriteEndpoint
{
    /// <inheritdoc />
    public string Description => inner.Description;

    /// <inheritdoc />
    public async Task<WriteOutcome> WriteAsync(ReadOnlyMemory<byte> lines, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var outcome = await inner.WriteAsync(lines, cancellationToken).ConfigureAwait(false);
        metrics.WriteCompleted(outcome, System.Diagnostics.Stopwatch.GetElapsedTime(started), lines.Span);
        return outcome;
    }
}
