using System.Collections.Concurrent;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Threading.Channels;
using AdherencePipeline.Sensors;
using AdherencePipeline.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tmds.DBus.Protocol;

namespace AdherencePipeline.BlueZ;

/// <summary>
/// Streams the GATT notifications of bound BLE devices from BlueZ over D-Bus as <see cref="RawFrame"/>s.
/// Only devices in the allow-list are connected (others are counted in <see cref="IgnoredDevices"/>).
/// Each bound device runs its own loop: find it, connect, wait for its services, StartNotify, run the
/// profile's start writes, stream until the link drops, then reconnect after a capped, jittered
/// back-off. Losing the bus or bluetoothd restarts everything the same way. Frames and disconnect
/// markers go through one queue, in order per device (<see cref="ReadAllAsync"/>, or as observables
/// <see cref="Data"/> and <see cref="Frames"/>); each device may hold an equal share of
/// <see cref="BlueZOptions.FrameChannelCapacity"/>, so a flooding device drops only its own frames.
/// What happens to devices goes to <see cref="Events"/>.
/// </summary>
public sealed class BlueZTransport : IAsyncDisposable
{
    private readonly BlueZOptions _options;
    private readonly IReadOnlyList<FirmwareProfile> _profiles;
    private readonly Dictionary<string, DeviceSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DeviceSession> _sessionsByPath = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _ignored = new(StringComparer.Ordinal);
    private readonly Channel<BleData> _channel;
    private readonly int _deviceShare;
    private readonly Subject<BleDeviceEvent> _events = new();
    private readonly ISubject<BleDeviceEvent> _eventsSync;
    private readonly Random _random;
    private CancellationTokenSource? _stopping;
    private Task? _run;
    private long _dropped;
    private long _unexpected;
    private long _unmapped;

    /// <summary>
    /// Creates the transport. <paramref name="boundDevices"/> maps each allowed address to the id of its
    /// firmware profile in <paramref name="profiles"/>; pass a seeded <paramref name="random"/> for
    /// reproducible back-off in tests.
    /// </summary>
    public BlueZTransport(
        BlueZOptions options,
        IReadOnlyList<FirmwareProfile> profiles,
        IReadOnlyDictionary<string, string> boundDevices,
        TimeProvider? time = null,
        ILogger<BlueZTransport>? logger = null,
        Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(boundDevices);
        var errors = new List<string>(options.Validate());
        _options = options;
        _profiles = profiles;
        Time = time ?? TimeProvider.System;
        Logger = (ILogger?)logger ?? NullLogger.Instance;
        _random = random ?? Random.Shared;
        foreach (var (text, profileId) in boundDevices)
        {
            var profile = profiles.FirstOrDefault(p => p.Id == profileId);
            if (!BlueZNames.TryNormalizeAddress(text, out var address))
            {
                errors.Add($"Bound device '{text}': not a Bluetooth address (AA:BB:CC:DD:EE:FF).");
            }
            else if (profile is null)
            {
                errors.Add($"Bound device {address}: no firmware profile '{profileId}' (known: {string.Join(", ", profiles.Select(p => p.Id))}).");
            }
            else if (!_sessions.TryAdd(address, new DeviceSession(this, address, profile, new RetryBackoff(options.ReconnectInitialDelay, options.ReconnectMaxDelay, _random))))
            {
                errors.Add($"Bound device {address}: listed twice.");
            }
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(boundDevices));
        }

        // The queue itself is unbounded so a disconnect marker is never dropped; frames are bounded
        // per device instead (counted in Publish), and a device's frames beyond its share are dropped.
        _channel = Channel.CreateUnbounded<BleData>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        _deviceShare = Math.Max(1, options.FrameChannelCapacity / Math.Max(1, _sessions.Count));
        _eventsSync = Subject.Synchronize(_events);
        Data = Observable.Create<BleData>(async (observer, cancellationToken) =>
        {
            try
            {
                await foreach (var item in ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    observer.OnNext(item);
                }

                observer.OnCompleted();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Unsubscribed.
            }
        }).Publish().RefCount();
        Frames = Data.Where(d => d.IsFrame).Select(d => d.Frame);
    }

    /// <summary>
    /// Frames and disconnect markers of every bound device, in arrival order; completes after <see cref="StopAsync"/>.
    /// One reader at a time: use this, <see cref="Data"/> or <see cref="Frames"/>.
    /// </summary>
    public IObservable<BleData> Data { get; }

    /// <summary>The frames of <see cref="Data"/> alone (for <c>PipelineStages.Decode</c>).</summary>
    public IObservable<RawFrame> Frames { get; }

    /// <summary>The frames a device may hold in the queue before its further frames are dropped.</summary>
    public int DeviceShare => _deviceShare;

    /// <summary>Connections, disconnects (with gap data), refused commands and status changes of bound devices.</summary>
    public IObservable<BleDeviceEvent> Events => _events.AsObservable();

    /// <summary>Distinct unbound devices seen and ignored.</summary>
    public long IgnoredDevices => _ignored.Count;

    /// <summary>Frames dropped because their device's share of the buffer was full (all devices).</summary>
    public long FramesDropped => Interlocked.Read(ref _dropped);

    /// <summary>Value changes on characteristics the transport had not mapped to a profile characteristic.</summary>
    public long UnmappedNotifications => Interlocked.Read(ref _unmapped);

    /// <summary>Unexpected exceptions caught at the top of a loop (each logged).</summary>
    public long UnexpectedFailures => Interlocked.Read(ref _unexpected);

    internal BlueZOptions Options => _options;

    internal TimeProvider Time { get; }

    internal ILogger Logger { get; }

    /// <summary>The frames of one bound device.</summary>
    public IObservable<RawFrame> FramesOf(string deviceAddress)
    {
        if (!BlueZNames.TryNormalizeAddress(deviceAddress, out var address))
        {
            throw new ArgumentException($"'{deviceAddress}' is not a Bluetooth address.", nameof(deviceAddress));
        }

        return Frames.Where(f => f.DeviceAddress == address);
    }

    /// <summary>Reads the queue: frames and disconnect markers in arrival order, until <see cref="StopAsync"/> completes it.</summary>
    public async IAsyncEnumerable<BleData> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in _channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (item.IsFrame && _sessions.TryGetValue(item.Frame.DeviceAddress, out var session))
            {
                session.Dequeued();
            }

            yield return item;
        }
    }

    /// <summary>The status of every bound device now.</summary>
    public IReadOnlyList<BleDeviceStatus> GetStatus() => [.. _sessions.Values.Select(s => s.Status())];

    /// <summary>Starts the transport's loops and returns; connection problems are retried, never thrown.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_run is not null)
        {
            throw new InvalidOperationException("The transport has already been started.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        _stopping = new CancellationTokenSource();
        _run = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops: each streaming device gets its stop writes, StopNotify and a disconnect (bounded by
    /// <see cref="BlueZOptions.StopTimeout"/>); then the frame channel completes.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_run is null || _stopping is null)
        {
            _channel.Writer.TryComplete();
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _channel.Writer.TryComplete();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping?.Dispose();
        _events.OnCompleted();
        _events.Dispose();
    }

    /// <summary>Queues a frame of <paramref name="session"/> unless the device's share is full; returns whether it was queued.</summary>
    internal bool Publish(DeviceSession session, in RawFrame frame)
    {
        if (session.TryEnqueue(_deviceShare) && _channel.Writer.TryWrite(new BleData(frame, null)))
        {
            return true;
        }

        session.Dequeued();
        var dropped = Interlocked.Increment(ref _dropped);
        if (dropped == 1 || dropped % 1000 == 0)
        {
            Log.FramesDropped(Logger, dropped);
        }

        return false;
    }

    /// <summary>
    /// Queues a frame as if the bound device at its address had just notified it, through the same
    /// per-device share as a D-Bus notification (for in-process load tests of what reads the queue);
    /// false when the address is not bound or its share is full.
    /// </summary>
    internal bool PublishNotification(in RawFrame frame) => _sessions.TryGetValue(frame.DeviceAddress, out var session) && Publish(session, frame);

    /// <summary>Queues a disconnect behind the frames the device sent before it.</summary>
    internal void Publish(BleDeviceDisconnected disconnected) => _channel.Writer.TryWrite(new BleData(default, disconnected));

    internal void Emit(BleDeviceEvent e) => _eventsSync.OnNext(e);

    internal long CountUnexpected() => Interlocked.Increment(ref _unexpected);

    internal void CountUnmapped() => Interlocked.Increment(ref _unmapped);

    internal long NowUnixNs() => (Time.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    private async Task RunAsync(CancellationToken stopping)
    {
        var backoff = new RetryBackoff(_options.ReconnectInitialDelay, _options.ReconnectMaxDelay, _random);
        while (!stopping.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                var startedAt = Time.GetUtcNow();
                await RunConnectedAsync(stopping).ConfigureAwait(false);
                if (stopping.IsCancellationRequested)
                {
                    return;
                }

                if (Time.GetUtcNow() - startedAt >= _options.StableConnection)
                {
                    backoff.Reset();
                }

                delay = backoff.NextDelay();
                Log.BusUnavailable(Logger, "the D-Bus connection was lost", delay);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (BlueZUnavailableException ex)
            {
                delay = backoff.NextDelay();
                Log.BusUnavailable(Logger, ex.Message, delay);
            }
            catch (DBusExceptionBase ex)
            {
                delay = backoff.NextDelay();
                Log.BusUnavailable(Logger, ex.Message, delay);
            }
            catch (Exception ex)
            {
                delay = backoff.NextDelay();
                Log.TransportFailed(Logger, ex, CountUnexpected(), delay);
            }

            try
            {
                await Task.Delay(delay, Time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One D-Bus connection's life: returns when the bus is lost or on stop.</summary>
    private async Task RunConnectedAsync(CancellationToken stopping)
    {
        BlueZClient client;
        try
        {
            client = await BlueZClient.ConnectAsync(_options.BusAddress, stopping).ConfigureAwait(false);
        }
        catch (DBusConnectFailedException ex)
        {
            throw new BlueZUnavailableException($"cannot connect to the D-Bus bus '{_options.BusAddress}': {ex.Message}", ex);
        }

        using (client)
        {
            var adapter = await AdapterSelection.FindAsync(client, _options.Adapter, stopping).ConfigureAwait(false);
            _sessionsByPath.Clear();
            foreach (var session in _sessions.Values)
            {
                session.Attach(BlueZNames.DevicePath(adapter, session.Address));
                _sessionsByPath[session.DevicePath] = session;
            }

            // Watches first, snapshot second: no change can fall between them.
            using var interfaces = await client.WatchInterfacesAsync(c => OnInterfaces(c, adapter), stopping).ConfigureAwait(false);
            using var properties = await client.WatchPropertiesAsync(adapter, c => OnProperties(c, adapter), stopping).ConfigureAwait(false);
            await client.SetDiscoveryFilterAsync(adapter, BlueZScanner.ProfileServices(_profiles), stopping).ConfigureAwait(false);
            try
            {
                // Discovery stays on while the transport runs: a bound device that drops out must be
                // seen again to be reconnected, and BlueZ forgets unseen devices after ~30 s.
                await client.StartDiscoveryAsync(adapter, stopping).ConfigureAwait(false);
            }
            catch (DBusErrorReplyException ex) when (ex.ErrorName == BlueZNames.ErrorInProgress)
            {
                // Another client's discovery is running; ours joins it.
            }

            var objects = await client.GetManagedObjectsAsync(stopping).ConfigureAwait(false);
            foreach (var (path, o) in objects)
            {
                if (o.Interface(BlueZNames.Device) is { } device)
                {
                    NoteDevice(path, device, adapter);
                }
            }

            Log.Started(Logger, adapter, _sessions.Count);
            using var sessionsStop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var loops = _sessions.Values.Select(s => s.RunAsync(client, stopping, sessionsStop.Token)).ToArray();
            var all = Task.WhenAll(loops);
            var busLost = client.Connection.DisconnectedAsync();
            var stopped = Task.Delay(Timeout.InfiniteTimeSpan, stopping);
            await Task.WhenAny(all, busLost, stopped).ConfigureAwait(false);
            await sessionsStop.CancelAsync().ConfigureAwait(false);
            // The loops catch their own failures; they end on cancellation after their stop sequence.
            await all.ConfigureAwait(false);
            if (stopping.IsCancellationRequested && !busLost.IsCompleted)
            {
                using var timeout = new CancellationTokenSource(_options.StopTimeout);
                try
                {
                    await client.StopDiscoveryAsync(adapter, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is DBusExceptionBase or OperationCanceledException)
                {
                    // Discovery ends with our connection anyway.
                }
            }
        }
    }

    private void OnInterfaces(InterfacesChange change, string adapter)
    {
        // Runs on the D-Bus receive loop: an exception here would close the connection.
        try
        {
            if (change.Added is { } added)
            {
                if (added.Interface(BlueZNames.Device) is { } device)
                {
                    NoteDevice(change.Path, device, adapter);
                }

                if (DeviceOf(change.Path, adapter) is { } session)
                {
                    session.OnInterfacesAdded(change.Path, added);
                }
            }
            else if (change.Removed is { } removed && DeviceOf(change.Path, adapter) is { } session)
            {
                session.OnInterfacesRemoved(change.Path, removed);
            }
        }
        catch (Exception ex)
        {
            Log.TransportFailed(Logger, ex, CountUnexpected(), TimeSpan.Zero);
        }
    }

    private void OnProperties(PropertiesChange change, string adapter)
    {
        try
        {
            DeviceOf(change.Path, adapter)?.OnPropertiesChanged(change);
        }
        catch (Exception ex)
        {
            Log.TransportFailed(Logger, ex, CountUnexpected(), TimeSpan.Zero);
        }
    }

    private DeviceSession? DeviceOf(string path, string adapter)
    {
        // Device paths are "<adapter>/dev_XX_XX_XX_XX_XX_XX" (17 characters after "dev_").
        var length = adapter.Length + 5 + 17;
        if (path.Length < length || (path.Length > length && path[length] != '/'))
        {
            return null;
        }

        return _sessionsByPath.TryGetValue(path.Length == length ? path : path[..length], out var session) ? session : null;
    }

    private void NoteDevice(string path, Dictionary<string, VariantValue> device, string adapter)
    {
        var info = DeviceInfo.From(device);
        if (info.Address is null || !path.StartsWith(adapter + "/", StringComparison.Ordinal) || _sessions.ContainsKey(info.Address))
        {
            return;
        }

        if (_ignored.TryAdd(info.Address, 0))
        {
            Log.DeviceIgnored(Logger, BlueZNames.Redact(info.Address));
        }
    }
}
