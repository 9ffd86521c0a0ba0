using Tmds.DBus.Protocol;

namespace AdherencePipeline.BlueZ;

/// <summary>Interfaces → properties of one object, as GetManagedObjects and InterfacesAdded report them.</summary>
internal sealed class ObjectInterfaces : Dictionary<string, Dictionary<string, VariantValue>>
{
    public ObjectInterfaces()
        : base(StringComparer.Ordinal)
    {
    }

    public Dictionary<string, VariantValue>? Interface(string name) => TryGetValue(name, out var props) ? props : null;
}

/// <summary>A PropertiesChanged signal: which object, which interface, what changed.</summary>
internal readonly record struct PropertiesChange(string Path, string Interface, Dictionary<string, VariantValue> Changed);

/// <summary>An InterfacesAdded or InterfacesRemoved signal.</summary>
internal readonly record struct InterfacesChange(string Path, ObjectInterfaces? Added, string[]? Removed);

/// <summary>
/// The BlueZ calls the transport makes, over one D-Bus connection. Every call takes a
/// <see cref="CancellationToken"/>; D-Bus error replies surface as <see cref="DBusErrorReplyException"/>
/// and a lost bus as <see cref="DBusConnectionClosedException"/>, for the callers to turn into events.
/// </summary>
internal sealed class BlueZClient : IDisposable
{
    private readonly DBusConnection _connection;

    private BlueZClient(DBusConnection connection) => _connection = connection;

    /// <summary>The underlying connection.</summary>
    public DBusConnection Connection => _connection;

    /// <summary>Connects to the bus: <c>system</c>, <c>session</c>, or an explicit D-Bus address.</summary>
    public static async Task<BlueZClient> ConnectAsync(string busAddress, CancellationToken cancellationToken)
    {
        var address = busAddress switch
        {
            "system" or "" => DBusAddress.System,
            "session" => DBusAddress.Session,
            _ => busAddress,
        } ?? throw new InvalidOperationException($"No D-Bus address is known for the '{busAddress}' bus.");
        var connection = new DBusConnection(address);
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
            return new BlueZClient(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Every object BlueZ exports, by path.</summary>
    public Task<Dictionary<string, ObjectInterfaces>> GetManagedObjectsAsync(CancellationToken cancellationToken)
    {
        using var w = _connection.GetMessageWriter();
        w.WriteMethodCallHeader(BlueZNames.Service, "/", BlueZNames.ObjectManager, "GetManagedObjects", null, MessageFlags.None);
        return _connection.CallMethodAsync(w.CreateMessage(), static (m, _) => ReadManagedObjects(m), null).WaitAsync(cancellationToken);
    }

    /// <summary>Sets this client's discovery filter: LE only, devices advertising any of <paramref name="serviceUuids"/>.</summary>
    public Task SetDiscoveryFilterAsync(string adapterPath, IReadOnlyCollection<string> serviceUuids, CancellationToken cancellationToken)
    {
        using var w = _connection.GetMessageWriter();
        w.WriteMethodCallHeader(BlueZNames.Service, adapterPath, BlueZNames.Adapter, "SetDiscoveryFilter", "a{sv}", MessageFlags.None);
        var filter = new Dictionary<string, VariantValue>(StringComparer.Ordinal)
        {
            ["Transport"] = VariantValue.String("le"),
            ["DuplicateData"] = VariantValue.Bool(false),
        };
        if (serviceUuids.Count > 0)
        {
            filter["UUIDs"] = VariantValue.Array(serviceUuids.ToArray());
        }

        w.WriteDictionary(filter);
        return CallAsync(w.CreateMessage(), cancellationToken);
    }

    public Task StartDiscoveryAsync(string adapterPath, CancellationToken cancellationToken) =>
        CallNoArgsAsync(adapterPath, BlueZNames.Adapter, "StartDiscovery", cancellationToken);

    public Task StopDiscoveryAsync(string adapterPath, CancellationToken cancellationToken) =>
        CallNoArgsAsync(adapterPath, BlueZNames.Adapter, "StopDiscovery", cancellationToken);

    public Task ConnectDeviceAsync(string devicePath, CancellationToken cancellationToken) =>
        CallNoArgsAsync(devicePath, BlueZNames.Device, "Connect", cancellationToken);

    public Task DisconnectDeviceAsync(string devicePath, CancellationToken cancellationToken) =>
        CallNoArgsAsync(devicePath, BlueZNames.Device, "Disconnect", cancellationToken);

    public Task StartNotifyAsync(string characteristicPath, CancellationToken cancellationToken) =>
        CallNoArgsAsync(characteristicPath, BlueZNames.GattCharacteristic, "StartNotify", cancellationToken);

    public Task StopNotifyAsync(string characteristicPath, CancellationToken cancellationToken) =>
        CallNoArgsAsync(characteristicPath, BlueZNames.GattCharacteristic, "StopNotify", cancellationToken);

    /// <summary>Writes <paramref name="value"/>: <c>type=request</c> (with response) or <c>command</c> (without).</summary>
    public Task WriteValueAsync(string characteristicPath, ReadOnlySpan<byte> value, bool withResponse, CancellationToken cancellationToken)
    {
        using var w = _connection.GetMessageWriter();
        w.WriteMethodCallHeader(BlueZNames.Service, characteristicPath, BlueZNames.GattCharacteristic, "WriteValue", "aya{sv}", MessageFlags.None);
        w.WriteArray(value);
        w.WriteDictionary([new KeyValuePair<string, VariantValue>("type", VariantValue.String(withResponse ? "request" : "command"))]);
        return CallAsync(w.CreateMessage(), cancellationToken);
    }

    public Task<byte[]> ReadValueAsync(string characteristicPath, CancellationToken cancellationToken)
    {
        using var w = _connection.GetMessageWriter();
        w.WriteMethodCallHeader(BlueZNames.Service, characteristicPath, BlueZNames.GattCharacteristic, "ReadValue", "a{sv}", MessageFlags.None);
        w.WriteDictionary(new Dictionary<string, VariantValue>(StringComparer.Ordinal));
        return _connection.CallMethodAsync(w.CreateMessage(), static (m, _) => m.GetBodyReader().ReadArrayOfByte(), null).WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Watches PropertiesChanged of every object at or below <paramref name="pathNamespace"/>.
    /// The handler runs on the connection's receive loop and must neither block nor throw.
    /// </summary>
    public async Task<IDisposable> WatchPropertiesAsync(string pathNamespace, Action<PropertiesChange> handler, CancellationToken cancellationToken)
    {
        var rule = new MatchRule
        {
            Type = MessageType.Signal,
            Interface = BlueZNames.Properties,
            Member = "PropertiesChanged",
            PathNamespace = pathNamespace,
        };
        return await _connection.AddMatchAsync(
            rule,
            static (m, _) =>
            {
                var reader = m.GetBodyReader();
                var iface = reader.ReadString();
                var changed = reader.ReadDictionaryOfStringToVariantValue();
                return new PropertiesChange(m.PathAsString ?? "", iface, changed);
            },
            (Notification<PropertiesChange> n) =>
            {
                if (n.HasValue)
                {
                    handler(n.Value);
                }
            },
            emitOnCapturedContext: false,
            flags: ObserverFlags.None,
            state: null).AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Watches InterfacesAdded and InterfacesRemoved on BlueZ's object manager.</summary>
    public async Task<IDisposable> WatchInterfacesAsync(Action<InterfacesChange> handler, CancellationToken cancellationToken)
    {
        var added = await _connection.AddMatchAsync(
            new MatchRule { Type = MessageType.Signal, Interface = BlueZNames.ObjectManager, Member = "InterfacesAdded" },
            static (m, _) =>
            {
                var reader = m.GetBodyReader();
                var path = reader.ReadObjectPathAsString();
                return new InterfacesChange(path, ReadInterfaces(ref reader), null);
            },
            (Notification<InterfacesChange> n) =>
            {
                if (n.HasValue)
                {
                    handler(n.Value);
                }
            },
            emitOnCapturedContext: false,
            flags: ObserverFlags.None,
            state: null).AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var removed = await _connection.AddMatchAsync(
                new MatchRule { Type = MessageType.Signal, Interface = BlueZNames.ObjectManager, Member = "InterfacesRemoved" },
                static (m, _) =>
                {
                    var reader = m.GetBodyReader();
                    var path = reader.ReadObjectPathAsString();
                    return new InterfacesChange(path, null, reader.ReadArrayOfString());
                },
                (Notification<InterfacesChange> n) =>
                {
                    if (n.HasValue)
                    {
                        handler(n.Value);
                    }
                },
                emitOnCapturedContext: false,
                flags: ObserverFlags.None,
                state: null).AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
            return new Both(added, removed);
        }
        catch
        {
            added.Dispose();
            throw;
        }
    }

    public void Dispose() => _connection.Dispose();

    private Task CallNoArgsAsync(string path, string @interface, string member, CancellationToken cancellationToken)
    {
        using var w = _connection.GetMessageWriter();
        w.WriteMethodCallHeader(BlueZNames.Service, path, @interface, member, null, MessageFlags.None);
        return CallAsync(w.CreateMessage(), cancellationToken);
    }

    private Task CallAsync(MessageBuffer message, CancellationToken cancellationToken) =>
        _connection.CallMethodAsync(message).WaitAsync(cancellationToken);

    private static Dictionary<string, ObjectInterfaces> ReadManagedObjects(Message message)
    {
        var reader = message.GetBodyReader();
        var objects = new Dictionary<string, ObjectInterfaces>(StringComparer.Ordinal);
        var end = reader.ReadDictionaryStart();
        while (reader.HasNext(end))
        {
            var path = reader.ReadObjectPathAsString();
            objects[path] = ReadInterfaces(ref reader);
        }

        return objects;
    }

    private static ObjectInterfaces ReadInterfaces(ref Reader reader)
    {
        var interfaces = new ObjectInterfaces();
        var end = reader.ReadDictionaryStart();
        while (reader.HasNext(end))
        {
            var name = reader.ReadString();
            interfaces[name] = reader.ReadDictionaryOfStringToVariantValue();
        }

        return interfaces;
    }

    private sealed class Both(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            first.Dispose();
            second.Dispose();
        }
    }
}
