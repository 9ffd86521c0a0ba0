using System.Net;
using System.Net.Sockets;

namespace AdherencePipeline.Testing;

/// <summary>
/// A loopback TCP relay to one server, which a test can cut (every connection dropped, new ones refused)
/// and restore on the same port: one client loses the network while the server and other clients go on.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly object _gate = new();
    private readonly List<TcpClient> _connections = [];
    private TcpListener? _listener;
    private CancellationTokenSource _cut = new();
    private Task _accepting = Task.CompletedTask;

    private TcpProxy(IPEndPoint target, int port)
    {
        _target = target;
        Port = port;
    }

    /// <summary>The port clients connect to.</summary>
    public int Port { get; }

    /// <summary>Connections relayed so far.</summary>
    public int Accepted { get; private set; }

    /// <summary>Starts relaying 127.0.0.1:<see cref="Port"/> to <paramref name="target"/> (host:port).</summary>
    public static TcpProxy Start(Uri target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var proxy = new TcpProxy(new IPEndPoint(IPAddress.Loopback, target.Port), port);
        proxy.Restore();
        return proxy;
    }

    /// <summary>Drops every relayed connection and refuses new ones until <see cref="Restore"/>.</summary>
    public async Task CutAsync()
    {
        await _cut.CancelAsync().ConfigureAwait(false);
        _listener?.Stop();
        lock (_gate)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }

            _connections.Clear();
        }

        await _accepting.ConfigureAwait(false);
    }

    /// <summary>Accepts and relays connections again.</summary>
    public void Restore()
    {
        _cut.Dispose();
        _cut = new CancellationTokenSource();
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _accepting = AcceptAsync(_listener, _cut.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await CutAsync().ConfigureAwait(false);
        _cut.Dispose();
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
                var server = new TcpClient();
                try
                {
                    await server.ConnectAsync(_target, cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    client.Dispose();
                    server.Dispose();
                    continue;
                }

                lock (_gate)
                {
                    _connections.Add(client);
                    _connections.Add(server);
                    Accepted++;
                }

                _ = RelayAsync(client, server, cancellationToken);
                _ = RelayAsync(server, client, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Cut.
        }
    }

    private static async Task RelayAsync(TcpClient from, TcpClient to, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            var input = from.GetStream();
            var output = to.GetStream();
            while (true)
            {
                var read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or SocketException)
        {
            // Either side closed, or the proxy was cut.
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
