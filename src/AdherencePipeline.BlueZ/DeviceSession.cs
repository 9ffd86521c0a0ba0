using System.Collections.Concurrent;
using AdherencePipeline.Sensors;
using AdherencePipeline.Storage;
using Tmds.DBus.Protocol;

namespace AdherencePipeline.BlueZ;

/// <summary>
/// One bound device: its connect/stream/reconnect loop, and the signal handlers that turn its
/// PropertiesChanged signals into frames and status. Handlers run on the D-Bus receive loop; the
/// loop runs on the thread pool; they meet only through thread-safe fields and completion sources.
/// </summary>
internal sealed class DeviceSession
{
    private readonly BlueZTransport _transport;
    private readonly RetryBackoff _backoff;
    private readonly ConcurrentDictionary<string, Guid> _characteristicByPath = new(StringComparer.Ordinal);
    private readonly HashSet<Guid> _streamed;
    private volatile LinkState? _link;
    private volatile TaskCompletionSource? _present;
    private volatile bool _connected;
    private short? _rssiDbm;
    private int _battery = -1;
    private long _frames;
    private long _lastFrameUnixNs;
    private int _connections;
    private int _queued;
    private int _queuedPeak;
    private long _dropped;

    public DeviceSession(BlueZTransport transport, string address, FirmwareProfile profile, RetryBackoff backoff)
    {
        _transport = transport;
        Address = address;
        Profile = profile;
        _backoff = backoff;
        _streamed = [.. profile.Characteristics.Where(c => c.Subscribe != SubscribeMode.None).Select(c => c.Uuid)];
    }

    public string Address { get; }

    public FirmwareProfile Profile { get; }

    public string DevicePath { get; private set; } = "";

    private string Redacted => BlueZNames.Redact(Address);

    public void Attach(string devicePath)
    {
        DevicePath = devicePath;
        _characteristicByPath.Clear();
    }

    public BleDeviceStatus Status()
    {
        var battery = Volatile.Read(ref _battery);
        return new BleDeviceStatus(Address, Profile.Id, _transport.NowUnixNs(), _connected, _rssiDbm, battery < 0 ? null : (byte)battery, Interlocked.Read(ref _frames), Volatile.Read(ref _connections), Interlocked.Read(ref _dropped))
        {
            Queued = Math.Max(0, Volatile.Read(ref _queued)),
            QueuedPeak = Volatile.Read(ref _queuedPeak),
        };
    }

    /// <summary>Takes a place in the queue if fewer than <paramref name="share"/> of this device's frames wait there; a refusal is counted as a drop.</summary>
    public bool TryEnqueue(int share)
    {
        var queued = Interlocked.Increment(ref _queued);
        if (queued <= share)
        {
            var peak = Volatile.Read(ref _queuedPeak);
            while (queued > peak && Interlocked.CompareExchange(ref _queuedPeak, queued, peak) != peak)
            {
                peak = Volatile.Read(ref _queuedPeak);
            }

            return true;
        }

        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>Gives back a place in the queue (the frame was read, or it was dropped).</summary>
    public void Dequeued() => Interlocked.Decrement(ref _queued);

    /// <summary>Connects, streams, and reconnects until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(BlueZClient client, CancellationToken stopping, CancellationToken cancellationToken)
    {
        var options = _transport.Options;
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                var (reason, streamedFor) = await ConnectAndStreamAsync(client, stopping, cancellationToken).ConfigureAwait(false);
                if (streamedFor >= options.StableConnection)
                {
                    _backoff.Reset();
                }

                delay = _backoff.NextDelay();
                var now = _transport.NowUnixNs();
                var last = Interlocked.Read(ref _lastFrameUnixNs);
                Log.DeviceDisconnected(_transport.Logger, Redacted, reason, delay);
                var disconnected = new BleDeviceDisconnected(Address, Profile.Id, now, last, reason, delay);
                _transport.Publish(disconnected);
                _transport.Emit(disconnected);
                _transport.Emit(new BleDeviceStatusChanged(Status()));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (CommandRefusedException ex)
            {
                var configuration = BlueZNames.IsConfigurationError(ex.ErrorName);
                delay = configuration ? _backoff.CeilingFor(int.MaxValue) : _backoff.NextDelay();
                if (configuration)
                {
                    Log.CommandRefusedConfiguration(_transport.Logger, Redacted, ex.Operation, ex.ErrorName, ex.ErrorMessage, delay);
                }
                else
                {
                    Log.CommandRefused(_transport.Logger, Redacted, ex.Operation, ex.ErrorName, ex.ErrorMessage, delay);
                }

                _transport.Emit(new BleDeviceAttemptFailed(Address, Profile.Id, _transport.NowUnixNs(), ex.Operation, ex.ErrorName, ex.ErrorMessage, delay));
            }
            catch (DeviceAttemptException ex)
            {
                delay = _backoff.NextDelay();
                Log.AttemptFailed(_transport.Logger, Redacted, ex.Message, delay);
                _transport.Emit(new BleDeviceAttemptFailed(Address, Profile.Id, _transport.NowUnixNs(), ex.Operation, ex.Reason, ex.Message, delay));
            }
            catch (DBusConnectionException)
            {
                // The bus is gone: the transport notices and starts over with a new connection.
                return;
            }
            catch (Exception ex)
            {
                delay = _backoff.NextDelay();
                Log.DeviceLoopFailed(_transport.Logger, ex, Redacted, _transport.CountUnexpected(), delay);
            }

            try
            {
                await Task.Delay(delay, _transport.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public void OnInterfacesAdded(string path, ObjectInterfaces added)
    {
        if (path == DevicePath)
        {
            _present?.TrySetResult();
        }
        else if (added.Interface(BlueZNames.GattCharacteristic) is { } characteristic && characteristic.TryGetValue("UUID", out var uuid) && GattUuid.TryParse(uuid.GetString(), out var parsed))
        {
            _characteristicByPath[path] = parsed;
        }
    }

    public void OnInterfacesRemoved(string path, string[] removed)
    {
        if (path == DevicePath && removed.Contains(BlueZNames.Device))
        {
            _link?.Lose("the device object was removed");
        }
        else if (removed.Contains(BlueZNames.GattCharacteristic) && _characteristicByPath.TryRemove(path, out var uuid) && _streamed.Contains(uuid))
        {
            _link?.Lose("its GATT characteristics were removed");
        }
    }

    public void OnPropertiesChanged(PropertiesChange change)
    {
        if (change.Interface == BlueZNames.GattCharacteristic)
        {
            if (!change.Changed.TryGetValue("Value", out var value))
            {
                return;
            }

            if (!_characteristicByPath.TryGetValue(change.Path, out var uuid))
            {
                _transport.CountUnmapped();
                return;
            }

            var bytes = value.GetArray<byte>();
            if (uuid == BlueZNames.BatteryLevel && !_streamed.Contains(uuid))
            {
                SetBattery(bytes);
                return;
            }

            var now = _transport.NowUnixNs();
            Interlocked.Increment(ref _frames);
            if (_transport.Publish(this, new RawFrame(Address, uuid, now, bytes)))
            {
                Interlocked.Exchange(ref _lastFrameUnixNs, now);
            }
            return;
        }

        if (change.Path != DevicePath)
        {
            return;
        }

        _present?.TrySetResult();
        if (change.Interface == BlueZNames.Device)
        {
            var statusChanged = false;
            if (change.Changed.TryGetValue("RSSI", out var rssi))
            {
                _rssiDbm = rssi.GetInt16();
                statusChanged = _connected;
            }

            if (change.Changed.TryGetValue("Connected", out var connected) && !connected.GetBool())
            {
                _link?.Lose("Connected=false");
            }

            if (change.Changed.TryGetValue("ServicesResolved", out var resolved))
            {
                if (resolved.GetBool())
                {
                    _link?.Resolved.TrySetResult();
                }
                else
                {
                    _link?.Lose("ServicesResolved=false");
                }
            }

            if (statusChanged)
            {
                _transport.Emit(new BleDeviceStatusChanged(Status()));
            }
        }
        else if (change.Interface == BlueZNames.Battery && change.Changed.TryGetValue("Percentage", out var percentage))
        {
            SetBattery([percentage.GetByte()]);
        }
    }

    private void SetBattery(byte[] value)
    {
        if (value.Length > 0 && value[0] <= 100)
        {
            Volatile.Write(ref _battery, value[0]);
            _transport.Emit(new BleDeviceStatusChanged(Status()));
        }
    }

    /// <summary>One connection: returns why the link ended and how long frames flowed.</summary>
    private async Task<(string Reason, TimeSpan StreamedFor)> ConnectAndStreamAsync(BlueZClient client, CancellationToken stopping, CancellationToken cancellationToken)
    {
        var options = _transport.Options;
        var time = _transport.Time;
        // Both completion sources exist before the snapshot, so no signal can fall between them.
        var link = new LinkState();
        _link = link;
        var present = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _present = present;
        var objects = await client.GetManagedObjectsAsync(cancellationToken).ConfigureAwait(false);
        if (!objects.TryGetValue(DevicePath, out var deviceObject) || deviceObject.Interface(BlueZNames.Device) is null)
        {
            try
            {
                await present.Task.WaitAsync(options.DeviceSearchTimeout, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new DeviceAttemptException("Find", "NotFound", $"not seen advertising within {options.DeviceSearchTimeout.TotalSeconds:0.#} s");
            }

            objects = await client.GetManagedObjectsAsync(cancellationToken).ConfigureAwait(false);
            if (!objects.TryGetValue(DevicePath, out deviceObject) || deviceObject.Interface(BlueZNames.Device) is null)
            {
                throw new DeviceAttemptException("Find", "NotFound", "the device object vanished before it could be connected");
            }
        }

        var info = DeviceInfo.From(deviceObject.Interface(BlueZNames.Device)!);
        _rssiDbm = info.RssiDbm ?? _rssiDbm;
        if (!info.Connected)
        {
            try
            {
                await CommandAsync("Connect", () => client.ConnectDeviceAsync(DevicePath, cancellationToken)).ConfigureAwait(false);
            }
            catch (CommandRefusedException ex) when (ex.ErrorName is BlueZNames.ErrorAlreadyConnected or BlueZNames.ErrorInProgress)
            {
                // Connected already, or a connect is under way: either way, wait for the services.
            }
        }

        if (!(info.Connected && info.ServicesResolved))
        {
            var resolved = link.Resolved.Task;
            Task finished;
            try
            {
                finished = await Task.WhenAny(resolved, link.Lost.Task).WaitAsync(options.ConnectTimeout, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Disconnect also cancels a pending Connect, so the next attempt starts clean.
                try
                {
                    await client.DisconnectDeviceAsync(DevicePath, cancellationToken).ConfigureAwait(false);
                }
                catch (DBusErrorReplyException)
                {
                    // NotConnected: nothing to cancel.
                }

                throw new DeviceAttemptException("Connect", "Timeout", $"services were not resolved within {options.ConnectTimeout.TotalSeconds:0.#} s");
            }

            if (finished != resolved)
            {
                throw new DeviceAttemptException("Connect", "Disconnected", $"the link dropped while services resolved ({link.Lost.Task.Result})");
            }
        }

        objects = await client.GetManagedObjectsAsync(cancellationToken).ConfigureAwait(false);
        var byUuid = MapCharacteristics(objects);
        var missing = Profile.Characteristics.Where(c => !byUuid.ContainsKey(c.Uuid)).ToList();
        if (missing.Count > 0)
        {
            throw new DeviceAttemptException("Resolve", "ProfileMismatch",
                $"the device does not offer {string.Join(", ", missing.Select(c => $"{c.Name} ({GattUuid.Format(c.Uuid)})"))} of profile {Profile.Id}");
        }

        await ReadBatteryAsync(client, objects, byUuid, cancellationToken).ConfigureAwait(false);

        // Subscriptions first: a control point answers its writes by indication.
        foreach (var c in Profile.Characteristics)
        {
            if (c.Subscribe == SubscribeMode.None)
            {
                continue;
            }

            var (path, notifying) = byUuid[c.Uuid];
            if (!notifying)
            {
                await CommandAsync($"StartNotify {c.Name}", () => client.StartNotifyAsync(path, cancellationToken)).ConfigureAwait(false);
            }
        }

        foreach (var write in Profile.Start)
        {
            var name = Profile.Find(write.Characteristic)?.Name ?? GattUuid.Format(write.Characteristic);
            if (!byUuid.TryGetValue(write.Characteristic, out var target))
            {
                throw new DeviceAttemptException("Resolve", "ProfileMismatch", $"the device does not offer {name}, which the start sequence writes");
            }

            await CommandAsync($"WriteValue {name}", () => client.WriteValueAsync(target.Path, write.Value.Span, write.WithResponse, cancellationToken)).ConfigureAwait(false);
        }

        var streamingSince = time.GetUtcNow();
        Interlocked.Exchange(ref _lastFrameUnixNs, _transport.NowUnixNs());
        var connection = Interlocked.Increment(ref _connections);
        _connected = true;
        Log.DeviceStreaming(_transport.Logger, Redacted, Profile.Id, connection);
        _transport.Emit(new BleDeviceConnected(Address, Profile.Id, _transport.NowUnixNs(), connection));
        _transport.Emit(new BleDeviceStatusChanged(Status()));
        try
        {
            var reason = await link.Lost.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return (reason, time.GetUtcNow() - streamingSince);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await StopStreamingAsync(client, byUuid).ConfigureAwait(false);
            throw;
        }
        finally
        {
            _connected = false;
        }
    }

    private Dictionary<Guid, (string Path, bool Notifying)> MapCharacteristics(Dictionary<string, ObjectInterfaces> objects)
    {
        var prefix = DevicePath + "/";
        var byUuid = new Dictionary<Guid, (string, bool)>();
        foreach (var (path, o) in objects)
        {
            if (!path.StartsWith(prefix, StringComparison.Ordinal) || o.Interface(BlueZNames.GattCharacteristic) is not { } c)
            {
                continue;
            }

            if (c.TryGetValue("UUID", out var text) && GattUuid.TryParse(text.GetString(), out var uuid))
            {
                // Paths are re-read after every connection: handles differ between firmware versions and caches.
                _characteristicByPath[path] = uuid;
                byUuid.TryAdd(uuid, (path, c.TryGetValue("Notifying", out var n) && n.GetBool()));
            }
        }

        return byUuid;
    }

    private async Task ReadBatteryAsync(BlueZClient client, Dictionary<string, ObjectInterfaces> objects, Dictionary<Guid, (string Path, bool Notifying)> byUuid, CancellationToken cancellationToken)
    {
        // BlueZ 5.66 claims the Battery service and exports Battery1 on the device instead of 0x2A19.
        if (objects[DevicePath].Interface(BlueZNames.Battery) is { } battery && battery.TryGetValue("Percentage", out var percentage))
        {
            SetBattery([percentage.GetByte()]);
            return;
        }

        if (byUuid.TryGetValue(BlueZNames.BatteryLevel, out var level))
        {
            try
            {
                SetBattery(await client.ReadValueAsync(level.Path, cancellationToken).ConfigureAwait(false));
            }
            catch (DBusErrorReplyException)
            {
                // The battery level is a nicety: a device that will not give it still streams.
            }
        }
    }

    private async Task StopStreamingAsync(BlueZClient client, Dictionary<Guid, (string Path, bool Notifying)> byUuid)
    {
        using var timeout = new CancellationTokenSource(_transport.Options.StopTimeout);
        try
        {
            foreach (var write in Profile.Stop)
            {
                if (byUuid.TryGetValue(write.Characteristic, out var target))
                {
                    await client.WriteValueAsync(target.Path, write.Value.Span, write.WithResponse, timeout.Token).ConfigureAwait(false);
                }
            }

            foreach (var c in Profile.Characteristics)
            {
                if (c.Subscribe != SubscribeMode.None && byUuid.TryGetValue(c.Uuid, out var target))
                {
                    await client.StopNotifyAsync(target.Path, timeout.Token).ConfigureAwait(false);
                }
            }

            // BlueZ keeps a link after its client is gone; a stopped service lets the strap sleep.
            await client.DisconnectDeviceAsync(DevicePath, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DBusExceptionBase or OperationCanceledException)
        {
            Log.StopIncomplete(_transport.Logger, Redacted, ex.Message);
        }
    }

    private static async Task CommandAsync(string operation, Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (DBusErrorReplyException ex)
        {
            throw new CommandRefusedException(operation, ex.ErrorName, ex.ErrorMessage, ex);
        }
    }

    /// <summary>The completion sources of one connection attempt.</summary>
    private sealed class LinkState
    {
        public TaskCompletionSource Resolved { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<string> Lost { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Lose(string reason) => Lost.TrySetResult(reason);
    }
}

/// <summary>BlueZ or the device answered a command with a D-Bus error.</summary>
internal sealed class CommandRefusedException(string operation, string errorName, string errorMessage, Exception innerException)
    : Exception($"{operation} refused: {errorName}: {errorMessage}", innerException)
{
    public string Operation { get; } = operation;

    public string ErrorName { get; } = errorName;

    public string ErrorMessage { get; } = errorMessage;
}

/// <summary>A connection attempt that failed without a D-Bus error: not found, timed out, dropped, wrong profile.</summary>
internal sealed class DeviceAttemptException(string operation, string reason, string message) : Exception(message)
{
    public string Operation { get; } = operation;

    public string Reason { get; } = reason;
}
