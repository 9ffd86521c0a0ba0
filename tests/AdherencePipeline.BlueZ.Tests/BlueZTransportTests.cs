using System.Threading.Channels;
using AdherencePipeline.Sensors;
using AdherencePipeline.Testing;
using Microsoft.Extensions.Time.Testing;

namespace AdherencePipeline.BlueZ.Tests;

/// <summary>
/// The transport against a real <c>dbus-daemon</c> with a BlueZ-shaped service on it, whose Polar H10
/// sends the virtual wearable's notification bytes.
/// </summary>
public sealed class BlueZTransportTests : IAsyncLifetime
{
    private const string Strap = "A0:9E:1A:12:34:56";
    private const string Stranger = "A0:9E:1A:65:43:21";
    private const string SecondStrap = "A0:9E:1A:12:34:57";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private DBusDaemon? _daemon;
    private FakeBlueZ? _bluez;

    private FakeBlueZ BlueZ => _bluez!;

    private static FirmwareProfile PolarH10 { get; } = Profiles.Load("polar-h10");

    public async Task InitializeAsync()
    {
        _daemon = await DBusDaemon.StartAsync();
        _bluez = await FakeBlueZ.StartAsync(_daemon.Address);
    }

    public async Task DisposeAsync()
    {
        _bluez?.Dispose();
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }
    }

    [Fact]
    public async Task Scan_PolarStrapAdvertising_ListsItWithNameRssiAndProfile()
    {
        AddPolar(Strap, "Polar H10 1234ABCD", -58);
        BlueZ.AddDevice("11:22:33:44:55:66", "Kettle", -80, []);
        var scanner = new BlueZScanner(Options(), [Profiles.Load("generic-hrs"), PolarH10]);

        var results = await scanner.ScanAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None);

        Assert.Equal(
            [new ScanResult(Strap, "Polar H10 1234ABCD", -58, "polar-h10", false), new ScanResult("11:22:33:44:55:66", "Kettle", -80, null, false)],
            results);
        Assert.Equal("le", BlueZ.DiscoveryFilter!["Transport"].GetString());
        Assert.Equal(
            ["0000180d-0000-1000-8000-00805f9b34fb", "fb005c80-02e7-f387-1cad-8acd2d8df0c8"],
            BlueZ.DiscoveryFilter["UUIDs"].GetArray<string>().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Transport_BoundStrap_RunsStartSequenceAndDeliversEveryNotificationInOrder()
    {
        AddPolar(Strap, "Polar H10 1234ABCD", -58);
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 3, 1, 9, 30, 0, TimeSpan.Zero));
        await using var transport = Transport(time);
        var events = Record(transport);
        await transport.StartAsync(CancellationToken.None);

        await NextAsync<BleDeviceConnected>(events);
        var notifications = Wearable().Notifications;
        foreach (var n in notifications)
        {
            BlueZ.Notify(Strap, n.Characteristic, n.Payload);
        }

        var frames = await ReadAsync(transport, notifications.Count);
        Assert.Equal(PolarH10.Start.Select(w => w.Value.ToArray()), BlueZ.Writes.Select(w => w.Value));
        Assert.All(BlueZ.Writes, w => Assert.Equal(("request", GattUuid.PmdControlPoint, false), (w.Type, w.Characteristic, w.Refused)));
        Assert.Equal(
            [GattUuid.HeartRateMeasurement, GattUuid.PmdControlPoint, GattUuid.PmdData],
            BlueZ.StartNotifyCalls.Select(c => c.Characteristic).Order());
        Assert.Equal(notifications.Select(n => (n.Characteristic, n.Payload.ToArray())), frames.Select(f => (f.Characteristic, f.Payload.ToArray())));
        Assert.All(frames, f => Assert.Equal((Strap, ToUnixNs(time.GetUtcNow())), (f.DeviceAddress, f.ReceivedUnixNs)));
        var status = Assert.Single(transport.GetStatus());
        Assert.Equal((true, (short?)-58, (byte?)87, (long)notifications.Count, 1), (status.Connected, status.RssiDbm, status.BatteryPercent, status.FramesReceived, status.Connections));
    }

    [Fact]
    public async Task Transport_LinkDropsMidStream_ReportsDisconnectReconnectsAndLosesNoFrame()
    {
        AddPolar(Strap, "Polar H10 1234ABCD", -58);
        await using var transport = Transport(TimeProvider.System);
        var events = Record(transport);
        await transport.StartAsync(CancellationToken.None);
        var notifications = Wearable().Notifications;
        var half = notifications.Count / 2;

        await NextAsync<BleDeviceConnected>(events);
        foreach (var n in notifications.Take(half))
        {
            BlueZ.Notify(Strap, n.Characteristic, n.Payload);
        }

        var before = await ReadAsync(transport, half);
        BlueZ.DropLink(Strap);
        var disconnected = await NextAsync<BleDeviceDisconnected>(events);
        var reconnected = await NextAsync<BleDeviceConnected>(events);
        foreach (var n in notifications.Skip(half))
        {
            BlueZ.Notify(Strap, n.Characteristic, n.Payload);
        }

        var after = await ReadAsync(transport, notifications.Count - half);
        Assert.Equal(notifications.Select(n => n.Payload.ToArray()), before.Concat(after).Select(f => f.Payload.ToArray()));
        Assert.Equal(0, BlueZ.NotificationsDroppedNotNotifying);
        Assert.Equal("Connected=false", disconnected.Reason);
        Assert.Equal(before[^1].ReceivedUnixNs, disconnected.LastFrameUnixNs);
        Assert.Equal(new Pipeline.DeviceDisconnected(Strap, "polar-h10", disconnected.LastFrameUnixNs, disconnected.TimestampUnixNs), disconnected.ToDeviceData());
        Assert.Equal(2, reconnected.Connection);
        Assert.Equal(2, BlueZ.ConnectCalls(Strap));
        // The start sequence ran again in full: both subscriptions and writes, twice.
        Assert.Equal(PolarH10.Start.Concat(PolarH10.Start).Select(w => w.Value.ToArray()), BlueZ.Writes.Select(w => w.Value));
        Assert.Equal(6, BlueZ.StartNotifyCalls.Count);
    }

    [Fact]
    public async Task Transport_UnboundStrapAdvertising_IsIgnoredAndCounted()
    {
        AddPolar(Strap, "Polar H10 1234ABCD", -58);
        AddPolar(Stranger, "Polar H10 4321DCBA", -61);
        await using var transport = Transport(TimeProvider.System);
        var events = Record(transport);
        await transport.StartAsync(CancellationToken.None);

        await NextAsync<BleDeviceConnected>(events);

        Assert.Equal(1, transport.IgnoredDevices);
        Assert.Equal(0, BlueZ.ConnectCalls(Stranger));
        Assert.Equal(1, BlueZ.ConnectCalls(Strap));
    }

    [Fact]
    public async Task Transport_ControlPointWriteRefused_RetriesWithGrowingBackoffThenStreams()
    {
        AddPolar(Strap, "Polar H10 1234ABCD", -58);
        BlueZ.RefuseWrites(Strap, 2);
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 3, 1, 9, 30, 0, TimeSpan.Zero));
        await using var transport = Transport(time, initialDelay: TimeSpan.FromSeconds(1));
        var events = Record(transport);
        await transport.StartAsync(CancellationToken.None);

        var first = await NextAsync<BleDeviceAttemptFailed>(events);
        var second = await AdvanceUntilAsync<BleDeviceAttemptFailed>(events, time);
        await AdvanceUntilAsync<BleDeviceConnected>(events, time);

        Assert.Equal(("WriteValue pmd-control", "org.bluez.Error.Failed", "Operation failed with ATT error: 0x80"), (first.Operation, first.ErrorName, first.ErrorMessage));
        Assert.InRange(first.RetryIn, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));
        Assert.InRange(second.RetryIn, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.Equal(1, BlueZ.ConnectCalls(Strap));
        Assert.Equal([true, true, false, false], BlueZ.Writes.Select(w => w.Refused));
    }

    [Fact]
    public async Task Transport_OneStrapFloodsTheQueue_DropsOnlyItsOwnFramesAndKeepsItsDisconnectAfterThem()
    {
        AddPolar(Strap, "Polar H10 1234ABCD", -58);
        AddPolar(SecondStrap, "Polar H10 4321DCBA", -61);
        var options = Options();
        options.FrameChannelCapacity = 16;
        var bound = new Dictionary<string, string> { [Strap] = "polar-h10", [SecondStrap] = "polar-h10" };
        await using var transport = new BlueZTransport(options, [PolarH10], bound, TimeProvider.System, random: new Random(7));
        var events = Record(transport);
        await transport.StartAsync(CancellationToken.None);
        await NextAsync<BleDeviceConnected>(events);
        await NextAsync<BleDeviceConnected>(events);
        var notification = Wearable().Notifications[0];

        // Nobody reads yet: the flooding strap fills its half of the queue, the other strap still gets in.
        for (var i = 0; i < 20; i++)
        {
            BlueZ.Notify(Strap, notification.Characteristic, notification.Payload);
        }

        for (var i = 0; i < 3; i++)
        {
            BlueZ.Notify(SecondStrap, notification.Characteristic, notification.Payload);
        }

        await Eventually.TrueAsync(() => transport.GetStatus().Sum(s => s.FramesReceived) == 23, Timeout, "every notification received");
        BlueZ.DropLink(Strap);
        await NextAsync<BleDeviceDisconnected>(events);
        var items = new List<BleData>();
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (var item in transport.ReadAllAsync(cts.Token))
        {
            items.Add(item);
            if (items.Count == 8 + 3 + 1)
            {
                break;
            }
        }

        Assert.Equal(8, transport.DeviceShare);
        Assert.Equal(8, items.Count(i => i.IsFrame && i.DeviceAddress == Strap));
        Assert.Equal(3, items.Count(i => i.IsFrame && i.DeviceAddress == SecondStrap));
        Assert.Equal(Strap, items.FindLast(i => i.DeviceAddress == Strap).Disconnected?.DeviceAddress);
        var status = transport.GetStatus().ToDictionary(s => s.DeviceAddress, s => s.FramesDropped);
        Assert.Equal((12L, 0L), (status[Strap], status[SecondStrap]));
        Assert.Equal(12, transport.FramesDropped);
    }

    private void AddPolar(string address, string name, short rssi) =>
        BlueZ.AddDevice(address, name, rssi, [GattUuid.HeartRateService, GattUuid.PmdService],
            new FakeCharacteristic(GattUuid.HeartRateService, GattUuid.HeartRateMeasurement, ["notify"]),
            new FakeCharacteristic(GattUuid.PmdService, GattUuid.PmdControlPoint, ["read", "write", "indicate"]),
            new FakeCharacteristic(GattUuid.PmdService, GattUuid.PmdData, ["notify"]),
            new FakeCharacteristic(GattUuid.FromShort(0x180F), GattUuid.FromShort(0x2A19), ["read", "notify"], [87]));

    private BlueZOptions Options(TimeSpan? initialDelay = null) => new()
    {
        BusAddress = _daemon!.Address,
        ReconnectInitialDelay = initialDelay ?? TimeSpan.FromMilliseconds(20),
        ReconnectMaxDelay = TimeSpan.FromSeconds(10),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        StopTimeout = TimeSpan.FromSeconds(2),
    };

    private BlueZTransport Transport(TimeProvider time, TimeSpan? initialDelay = null) =>
        new(Options(initialDelay), [PolarH10], new Dictionary<string, string> { [Strap.ToLowerInvariant()] = "polar-h10" }, time, random: new Random(7));

    private static VirtualWearable Wearable()
    {
        const int samples = 150;
        var x = new double[samples];
        var y = new double[samples];
        var z = new double[samples];
        for (var i = 0; i < samples; i++)
        {
            x[i] = 0.3 * Math.Sin(i / 5.0);
            y[i] = 0.1 * Math.Cos(i / 7.0);
            z[i] = 1.0;
        }

        var recording = new SensorRecording(50, x, y, z, [new HeartRatePoint(0, 71), new HeartRatePoint(1_500_000_000, 88)], 3_000_000_000);
        return new VirtualWearable(PolarH10, recording, new VirtualWearableOptions { DeviceAddress = Strap });
    }

    private static Channel<BleDeviceEvent> Record(BlueZTransport transport)
    {
        var channel = Channel.CreateUnbounded<BleDeviceEvent>();
        transport.Events.Subscribe(e =>
        {
            if (e is not BleDeviceStatusChanged)
            {
                channel.Writer.TryWrite(e);
            }
        });
        return channel;
    }

    private static async Task<T> NextAsync<T>(Channel<BleDeviceEvent> events)
        where T : BleDeviceEvent
    {
        using var cts = new CancellationTokenSource(Timeout);
        var e = await events.Reader.ReadAsync(cts.Token);
        return e as T ?? throw new Xunit.Sdk.XunitException($"Expected {typeof(T).Name}, got {e}.");
    }

    /// <summary>Moves virtual time on in small steps until the next event arrives (the loop may not have armed its timer yet).</summary>
    private static async Task<T> AdvanceUntilAsync<T>(Channel<BleDeviceEvent> events, FakeTimeProvider time)
        where T : BleDeviceEvent
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (!events.Reader.TryPeek(out _))
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            try
            {
                await events.Reader.WaitToReadAsync(cts.Token).AsTask().WaitAsync(TimeSpan.FromMilliseconds(20));
            }
            catch (TimeoutException)
            {
                // Not yet: advance again.
            }
        }

        return await NextAsync<T>(events);
    }

    private static async Task<List<RawFrame>> ReadAsync(BlueZTransport transport, int count)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var frames = new List<RawFrame>(count);
        await foreach (var item in transport.ReadAllAsync(cts.Token))
        {
            if (item.IsFrame)
            {
                frames.Add(item.Frame);
            }

            if (frames.Count == count)
            {
                break;
            }
        }

        return frames;
    }

    private static long ToUnixNs(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
}

/// <summary>The shipped profiles, read from the repository's firmware-profiles folder.</summary>
internal static class Profiles
{
    private static readonly string Directory = Find();

    public static FirmwareProfile Load(string id) => FirmwareProfileLoader.Load(Path.Combine(Directory, id + ".json"));

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, FirmwareProfileLoader.DefaultDirectoryName);
            if (File.Exists(Path.Combine(candidate, FirmwareProfileLoader.SchemaFileName)))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("firmware-profiles/ not found above the test binaries.");
    }
}
