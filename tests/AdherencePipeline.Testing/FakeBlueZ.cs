using System.Globalization;
using AdherencePipeline.BlueZ;
using AdherencePipeline.Sensors;
using Tmds.DBus.Protocol;

namespace AdherencePipeline.Testing;

/// <summary>A GATT characteristic the fake device offers.</summary>
public sealed record FakeCharacteristic(Guid Service, Guid Uuid, string[] Flags, byte[]? Value = null);

/// <summary>One WriteValue the fake received.</summary>
public sealed record FakeWrite(string Address, Guid Characteristic, byte[] Value, string Type, bool Refused);

/// <summary>
/// A BlueZ-shaped service exported on a real D-Bus: <c>org.bluez</c> with ObjectManager at <c>/</c>,
/// Adapter1 at <c>/org/bluez/hci0</c>, Device1 objects that appear when discovery starts, and GATT
/// services/characteristics that appear on Connect. Characteristics emit PropertiesChanged on
/// <c>Value</c> only while notifying, as BlueZ does; the test drives notifications, link loss and
/// refused writes, and reads back what the client called. As BlueZ, it ends a client's notification
/// sessions when that client leaves the bus (a killed service), so a new client must StartNotify again;
/// the link itself stays up.
/// </summary>
public sealed class FakeBlueZ : IPathMethodHandler, IDisposable
{
    public const string AdapterPath = "/org/bluez/hci0";
    private readonly DBusConnection _connection;
    private readonly object _gate = new();
    private readonly SortedDictionary<string, Dictionary<string, Dictionary<string, VariantValue>>> _objects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeDevice> _devices = new(StringComparer.Ordinal);
    private readonly List<FakeWrite> _writes = [];
    private readonly List<(string Address, Guid Characteristic)> _startNotify = [];
    private readonly Dictionary<string, int> _connects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _notifyingFor = new(StringComparer.Ordinal);
    private IDisposable? _clientsWatch;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _discovering;

    private FakeBlueZ(DBusConnection connection) => _connection = connection;

    public string Path => "/";

    public bool HandlesChildPaths => true;

    public Dictionary<string, VariantValue>? DiscoveryFilter { get; private set; }

    public static async Task<FakeBlueZ> StartAsync(string busAddress)
    {
        var connection = new DBusConnection(busAddress);
        await connection.ConnectAsync();
        var fake = new FakeBlueZ(connection);
        fake._objects[AdapterPath] = new(StringComparer.Ordinal)
        {
            [BlueZNames.Adapter] = new(StringComparer.Ordinal)
            {
                ["Address"] = "00:1A:7D:DA:71:13",
                ["Powered"] = true,
                ["Discovering"] = false,
            },
        };
        connection.AddMethodHandler(fake);
        fake._clientsWatch = await connection.AddMatchAsync(
            new MatchRule { Type = MessageType.Signal, Sender = "org.freedesktop.DBus", Interface = "org.freedesktop.DBus", Member = "NameOwnerChanged" },
            static (m, _) =>
            {
                var reader = m.GetBodyReader();
                return (Name: reader.ReadString(), Old: reader.ReadString(), New: reader.ReadString());
            },
            (Notification<(string Name, string Old, string New)> n) =>
            {
                if (n.HasValue && n.Value.New.Length == 0 && n.Value.Name.StartsWith(':'))
                {
                    fake.ClientLeft(n.Value.Name);
                }
            },
            emitOnCapturedContext: false,
            flags: ObserverFlags.None,
            state: null);
        await connection.RequestNameAsync(BlueZNames.Service, RequestNameOptions.Default);
        return fake;
    }

    /// <summary>A device that advertises (and so appears once discovery runs).</summary>
    public void AddDevice(string address, string name, short rssi, Guid[] advertisedServices, params FakeCharacteristic[] characteristics)
    {
        lock (_gate)
        {
            _devices[address] = new FakeDevice(address, name, rssi, advertisedServices, characteristics);
            if (_discovering)
            {
                Advertise(_devices[address]);
            }
        }
    }

    public IReadOnlyList<FakeWrite> Writes
    {
        get { lock (_gate) { return [.. _writes]; } }
    }

    public IReadOnlyList<(string Address, Guid Characteristic)> StartNotifyCalls
    {
        get { lock (_gate) { return [.. _startNotify]; } }
    }

    public int ConnectCalls(string address)
    {
        lock (_gate)
        {
            return _connects.GetValueOrDefault(address);
        }
    }

    public int NotificationsDroppedNotNotifying { get; private set; }

    /// <summary>The next <paramref name="count"/> WriteValue calls to this device fail as a peer's ATT error would.</summary>
    public void RefuseWrites(string address, int count)
    {
        lock (_gate)
        {
            _devices[address].WritesToRefuse = count;
        }
    }

    /// <summary>Sends one notification: PropertiesChanged(Value) on the characteristic, if it is notifying.</summary>
    public void Notify(string address, Guid characteristic, ReadOnlyMemory<byte> value)
    {
        lock (_gate)
        {
            var path = CharacteristicPath(_devices[address], characteristic);
            var props = _objects[path][BlueZNames.GattCharacteristic];
            if (!props["Notifying"].GetBool())
            {
                NotificationsDroppedNotNotifying++;
                return;
            }

            var bytes = value.ToArray();
            props["Value"] = VariantValue.Array(bytes);
            EmitPropertiesChanged(path, BlueZNames.GattCharacteristic, new() { ["Value"] = VariantValue.Array(bytes) });
        }
    }

    /// <summary>The link drops as on leaving radio range: Connected and ServicesResolved go false in one signal.</summary>
    public void DropLink(string address)
    {
        lock (_gate)
        {
            Disconnect(_devices[address]);
        }
    }

    /// <summary>Completes once <paramref name="condition"/> holds after some call the fake handled.</summary>
    public async Task WaitUntilAsync(Func<FakeBlueZ, bool> condition, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition(this))
                {
                    return;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0.#} s for {what}.");
            }
        }
    }

    public ValueTask HandleMethodAsync(MethodContext context)
    {
        var request = context.Request;
        var path = request.PathAsString ?? "";
        var member = request.MemberAsString;
        lock (_gate)
        {
            try
            {
                switch (request.InterfaceAsString)
                {
                    case BlueZNames.ObjectManager when member == "GetManagedObjects":
                        ReplyManagedObjects(context);
                        break;
                    case BlueZNames.Properties when member == "GetAll":
                        ReplyGetAll(context, path);
                        break;
                    case BlueZNames.Adapter:
                        HandleAdapter(context, member);
                        break;
                    case BlueZNames.Device:
                        HandleDevice(context, path, member);
                        break;
                    case BlueZNames.GattCharacteristic:
                        HandleCharacteristic(context, path, member);
                        break;
                    default:
                        context.ReplyUnknownMethodError();
                        break;
                }
            }
            finally
            {
                var changed = _changed;
                _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
                changed.TrySetResult();
            }
        }

        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        _clientsWatch?.Dispose();
        _connection.Dispose();
    }

    /// <summary>A client left the bus: its notification sessions end, and characteristics nobody else notifies stop.</summary>
    private void ClientLeft(string client)
    {
        lock (_gate)
        {
            foreach (var path in _notifyingFor.Where(kv => kv.Value == client).Select(kv => kv.Key).ToList())
            {
                _notifyingFor.Remove(path);
                if (_objects.TryGetValue(path, out var o) && o[BlueZNames.GattCharacteristic]["Notifying"].GetBool())
                {
                    SetProperty(path, BlueZNames.GattCharacteristic, "Notifying", false);
                }
            }
        }
    }

    private void HandleAdapter(MethodContext context, string? member)
    {
        switch (member)
        {
            case "SetDiscoveryFilter":
                DiscoveryFilter = context.Request.GetBodyReader().ReadDictionaryOfStringToVariantValue();
                ReplyEmpty(context);
                break;
            case "StartDiscovery":
                ReplyEmpty(context);
                _discovering = true;
                SetProperty(AdapterPath, BlueZNames.Adapter, "Discovering", true);
                foreach (var device in _devices.Values)
                {
                    Advertise(device);
                }

                break;
            case "StopDiscovery":
                _discovering = false;
                ReplyEmpty(context);
                SetProperty(AdapterPath, BlueZNames.Adapter, "Discovering", false);
                break;
            default:
                context.ReplyUnknownMethodError();
                break;
        }
    }

    private void HandleDevice(MethodContext context, string path, string? member)
    {
        var device = _devices.Values.FirstOrDefault(d => DevicePath(d) == path);
        if (device is null || !_objects.ContainsKey(path))
        {
            context.ReplyError(BlueZNames.ErrorUnknownObject, $"no object {path}");
            return;
        }

        switch (member)
        {
            case "Connect":
                _connects[device.Address] = _connects.GetValueOrDefault(device.Address) + 1;
                SetProperty(path, BlueZNames.Device, "Connected", true);
                ReplyEmpty(context);
                // As BlueZ: GATT objects (re)appear after the link is up, then ServicesResolved.
                foreach (var c in device.Characteristics)
                {
                    var servicePath = ServicePath(device, c.Service);
                    if (!_objects.ContainsKey(servicePath))
                    {
                        AddObject(servicePath, BlueZNames.GattService, new()
                        {
                            ["UUID"] = GattUuid.Format(c.Service),
                            ["Primary"] = true,
                            ["Device"] = new ObjectPath(path),
                        });
                    }

                    var characteristicPath = CharacteristicPath(device, c.Uuid);
                    if (!_objects.ContainsKey(characteristicPath))
                    {
                        var props = new Dictionary<string, VariantValue>(StringComparer.Ordinal)
                        {
                            ["UUID"] = GattUuid.Format(c.Uuid),
                            ["Service"] = new ObjectPath(servicePath),
                            ["Notifying"] = false,
                            ["Flags"] = VariantValue.Array(c.Flags),
                        };
                        if (c.Value is not null)
                        {
                            props["Value"] = VariantValue.Array(c.Value);
                        }

                        AddObject(characteristicPath, BlueZNames.GattCharacteristic, props);
                    }
                }

                SetProperty(path, BlueZNames.Device, "ServicesResolved", true);
                break;
            case "Disconnect":
                ReplyEmpty(context);
                Disconnect(device);
                break;
            default:
                context.ReplyUnknownMethodError();
                break;
        }
    }

    private void HandleCharacteristic(MethodContext context, string path, string? member)
    {
        var device = _devices.Values.FirstOrDefault(d => path.StartsWith(DevicePath(d) + "/", StringComparison.Ordinal));
        if (device is null || !_objects.TryGetValue(path, out var o))
        {
            context.ReplyError(BlueZNames.ErrorUnknownObject, $"no object {path}");
            return;
        }

        var props = o[BlueZNames.GattCharacteristic];
        var uuid = Guid.Parse(props["UUID"].GetString());
        var connected = _objects[DevicePath(device)][BlueZNames.Device]["Connected"].GetBool();
        if (!connected)
        {
            context.ReplyError(BlueZNames.ErrorNotConnected, "Not connected");
            return;
        }

        switch (member)
        {
            case "StartNotify":
                _startNotify.Add((device.Address, uuid));
                if (context.Request.SenderAsString is { } sender)
                {
                    _notifyingFor[path] = sender;
                }

                ReplyEmpty(context);
                SetProperty(path, BlueZNames.GattCharacteristic, "Notifying", true);
                break;
            case "StopNotify":
                _notifyingFor.Remove(path);
                ReplyEmpty(context);
                SetProperty(path, BlueZNames.GattCharacteristic, "Notifying", false);
                break;
            case "WriteValue":
                {
                    var reader = context.Request.GetBodyReader();
                    var value = reader.ReadArrayOfByte();
                    var options = reader.ReadDictionaryOfStringToVariantValue();
                    var type = options.TryGetValue("type", out var t) ? t.GetString() : "";
                    var refuse = device.WritesToRefuse > 0;
                    _writes.Add(new FakeWrite(device.Address, uuid, value, type, refuse));
                    if (refuse)
                    {
                        device.WritesToRefuse--;
                        context.ReplyError("org.bluez.Error.Failed", "Operation failed with ATT error: 0x80");
                    }
                    else
                    {
                        ReplyEmpty(context);
                    }

                    break;
                }

            case "ReadValue":
                {
                    if (!props.TryGetValue("Value", out var value))
                    {
                        context.ReplyError("org.bluez.Error.NotPermitted", "Read not permitted");
                        break;
                    }

                    using var w = context.CreateReplyWriter("ay");
                    w.WriteArray(value.GetArray<byte>());
                    context.Reply(w.CreateMessage());
                    break;
                }

            default:
                context.ReplyUnknownMethodError();
                break;
        }
    }

    private void Advertise(FakeDevice device)
    {
        var path = DevicePath(device);
        if (_objects.ContainsKey(path))
        {
            return;
        }

        AddObject(path, BlueZNames.Device, new()
        {
            ["Address"] = device.Address,
            ["AddressType"] = "random",
            ["Name"] = device.Name,
            ["Alias"] = device.Name,
            ["RSSI"] = device.Rssi,
            ["UUIDs"] = VariantValue.Array(device.AdvertisedServices.Select(GattUuid.Format).ToArray()),
            ["Connected"] = false,
            ["ServicesResolved"] = false,
            ["Paired"] = false,
            ["Adapter"] = new ObjectPath(AdapterPath),
        });
    }

    private void Disconnect(FakeDevice device)
    {
        var path = DevicePath(device);
        var props = _objects[path][BlueZNames.Device];
        props["Connected"] = false;
        props["ServicesResolved"] = false;
        EmitPropertiesChanged(path, BlueZNames.Device, new() { ["Connected"] = false, ["ServicesResolved"] = false });
        // Cache-off behaviour: subscriptions are gone after a link loss and must be renewed.
        foreach (var c in device.Characteristics)
        {
            if (_objects.TryGetValue(CharacteristicPath(device, c.Uuid), out var o))
            {
                o[BlueZNames.GattCharacteristic]["Notifying"] = false;
            }
        }
    }

    private void AddObject(string path, string @interface, Dictionary<string, VariantValue> props)
    {
        _objects[path] = new(StringComparer.Ordinal) { [@interface] = props };
        using var w = _connection.GetMessageWriter();
        w.WriteSignalHeader(null, "/", BlueZNames.ObjectManager, "InterfacesAdded", "oa{sa{sv}}");
        w.WriteObjectPath(path);
        var interfaces = w.WriteDictionaryStart();
        w.WriteDictionaryEntryStart();
        w.WriteString(@interface);
        w.WriteDictionary(props);
        w.WriteDictionaryEnd(interfaces);
        _connection.TrySendMessage(w.CreateMessage());
    }

    private void SetProperty(string path, string @interface, string name, VariantValue value)
    {
        _objects[path][@interface][name] = value;
        EmitPropertiesChanged(path, @interface, new() { [name] = value });
    }

    private void EmitPropertiesChanged(string path, string @interface, Dictionary<string, VariantValue> changed)
    {
        using var w = _connection.GetMessageWriter();
        w.WriteSignalHeader(null, path, BlueZNames.Properties, "PropertiesChanged", "sa{sv}as");
        w.WriteString(@interface);
        w.WriteDictionary(changed);
        w.WriteArray(Array.Empty<string>());
        _connection.TrySendMessage(w.CreateMessage());
    }

    private void ReplyManagedObjects(MethodContext context)
    {
        using var w = context.CreateReplyWriter("a{oa{sa{sv}}}");
        var objects = w.WriteDictionaryStart();
        foreach (var (path, interfaces) in _objects)
        {
            w.WriteDictionaryEntryStart();
            w.WriteObjectPath(path);
            var inner = w.WriteDictionaryStart();
            foreach (var (name, props) in interfaces)
            {
                w.WriteDictionaryEntryStart();
                w.WriteString(name);
                w.WriteDictionary(props);
            }

            w.WriteDictionaryEnd(inner);
        }

        w.WriteDictionaryEnd(objects);
        context.Reply(w.CreateMessage());
    }

    private void ReplyGetAll(MethodContext context, string path)
    {
        var @interface = context.Request.GetBodyReader().ReadString();
        if (!_objects.TryGetValue(path, out var o) || !o.TryGetValue(@interface, out var props))
        {
            context.ReplyError("org.freedesktop.DBus.Error.InvalidArgs", $"no interface {@interface} at {path}");
            return;
        }

        using var w = context.CreateReplyWriter("a{sv}");
        w.WriteDictionary(props);
        context.Reply(w.CreateMessage());
    }

    private static void ReplyEmpty(MethodContext context)
    {
        if (context.NoReplyExpected)
        {
            return;
        }

        using var w = context.CreateReplyWriter(null);
        context.Reply(w.CreateMessage());
    }

    private static string DevicePath(FakeDevice device) => BlueZNames.DevicePath(AdapterPath, device.Address);

    private static string ServicePath(FakeDevice device, Guid service)
    {
        var index = device.Characteristics.Select(c => c.Service).Distinct().ToList().IndexOf(service);
        return string.Create(CultureInfo.InvariantCulture, $"{DevicePath(device)}/service{0x10 + 0x10 * index:x4}");
    }

    private static string CharacteristicPath(FakeDevice device, Guid characteristic)
    {
        var c = device.Characteristics.First(c => c.Uuid == characteristic);
        var index = Array.IndexOf(device.Characteristics, c);
        return string.Create(CultureInfo.InvariantCulture, $"{ServicePath(device, c.Service)}/char{0x100 + 2 * index:x4}");
    }

    private sealed class FakeDevice(string address, string name, short rssi, Guid[] advertisedServices, FakeCharacteristic[] characteristics)
    {
        public string Address { get; } = address;

        public string Name { get; } = name;

        public short Rssi { get; } = rssi;

        public Guid[] AdvertisedServices { get; } = advertisedServices;

        public FakeCharacteristic[] Characteristics { get; } = characteristics;

        public int WritesToRefuse { get; set; }
    }
}
