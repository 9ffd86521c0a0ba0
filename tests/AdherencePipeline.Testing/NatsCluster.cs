using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AdherencePipeline.Testing;

/// <summary>
/// A real <c>nats-server</c> cluster (Debian package <c>nats-server</c>) with JetStream: three nodes
/// on free loopback ports, each with a throw-away store folder. A node can be killed (SIGKILL) and
/// started again on the same ports and store, and the whole cluster stopped and restarted, for outage
/// tests. Missing <c>nats-server</c> is an error, never a skip.
/// </summary>
public sealed class NatsCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly string _root;
    private readonly Node[] _nodes;

    private NatsCluster(string root, Node[] nodes)
    {
        _root = root;
        _nodes = nodes;
    }

    /// <summary>The <c>nats-server</c> binary: <c>$NATS_SERVER</c>, else <c>/usr/sbin/nats-server</c> (where Debian puts it).</summary>
    public static string Binary => Environment.GetEnvironmentVariable("NATS_SERVER") is { Length: > 0 } path ? path : "/usr/sbin/nats-server";

    /// <summary>The client URLs of every node, comma-separated (the form <c>Nats:Url</c> takes).</summary>
    public string Url => string.Join(',', _nodes.Select(n => n.ClientUrl));

    /// <summary>How many nodes the cluster has.</summary>
    public int Size => _nodes.Length;

    /// <summary>The client URL of node <paramref name="index"/>.</summary>
    public string NodeUrl(int index) => _nodes[index].ClientUrl;

    /// <summary>Whether node <paramref name="index"/> is running.</summary>
    public bool IsRunning(int index) => _nodes[index].IsRunning;

    /// <summary>What every node printed, for failure messages.</summary>
    public string Log => string.Join("\n", _nodes.Select(n => $"--- {n.Name}\n{n.Log}"));

    /// <summary>The client URLs with a user's name and password in them.</summary>
    public string UrlFor(string user, string password) => string.Join(',', _nodes.Select(n => n.ClientUrl.Replace("nats://", $"nats://{user}:{password}@", StringComparison.Ordinal)));

    /// <summary>
    /// Starts a fresh cluster of <paramref name="size"/> nodes and waits until each serves clients.
    /// <paramref name="extraConfig"/> (e.g. an <c>accounts</c> block) is added to every node's configuration.
    /// </summary>
    public static async Task<NatsCluster> StartAsync(int size = 3, string extraConfig = "")
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException(
                $"nats-server was not found at '{Binary}'. The distribution tests need a real NATS server: run scripts/test.sh, which installs Debian's 'nats-server' package, or set NATS_SERVER.");
        }

        var root = Directory.CreateTempSubdirectory("adherence-nats-").FullName;
        var clientPorts = Enumerable.Range(0, size).Select(_ => FreePort()).ToArray();
        var routePorts = Enumerable.Range(0, size).Select(_ => FreePort()).ToArray();
        var nodes = new Node[size];
        for (var i = 0; i < size; i++)
        {
            var name = $"n{i + 1}";
            var store = Path.Combine(root, name);
            Directory.CreateDirectory(store);
            var routes = string.Join(", ", routePorts.Where((_, j) => j != i).Select(p => $"\"nats-route://127.0.0.1:{p}\""));
            var config = Path.Combine(root, name + ".conf");
            File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $$"""
                server_name: {{name}}
                listen: 127.0.0.1:{{clientPorts[i]}}
                jetstream {
                  store_dir: "{{store}}"
                  max_memory_store: 64MB
                  max_file_store: 2GB
                }
                cluster {
                  name: adherence-test
                  # Clients keep to the URLs they were given, so a test can cut one client off through a proxy.
                  no_advertise: true
                  listen: 127.0.0.1:{{routePorts[i]}}
                  routes: [{{routes}}]
                }
                {{extraConfig}}
                """));
            nodes[i] = new Node(name, config, $"nats://127.0.0.1:{clientPorts[i]}");
        }

        var cluster = new NatsCluster(root, nodes);
        try
        {
            await Task.WhenAll(nodes.Select(n => n.StartAsync())).ConfigureAwait(false);
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return cluster;
    }

    /// <summary>Kills node <paramref name="index"/> with SIGKILL, as a crash or power loss would.</summary>
    public Task KillAsync(int index) => _nodes[index].KillAsync();

    /// <summary>Starts node <paramref name="index"/> again on its ports and store.</summary>
    public Task RestartAsync(int index) => _nodes[index].StartAsync();

    /// <summary>Kills every node: the cluster is unreachable until <see cref="RestartAllAsync"/>.</summary>
    public Task KillAllAsync() => Task.WhenAll(_nodes.Select(n => n.KillAsync()));

    /// <summary>Starts every stopped node again.</summary>
    public Task RestartAllAsync() => Task.WhenAll(_nodes.Where(n => !n.IsRunning).Select(n => n.StartAsync()));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await KillAllAsync().ConfigureAwait(false);
        foreach (var node in _nodes)
        {
            node.Dispose();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class Node(string name, string config, string clientUrl) : IDisposable
    {
        private readonly StringBuilder _log = new();
        private Process? _process;

        public string Name { get; } = name;

        public string ClientUrl { get; } = clientUrl;

        public bool IsRunning => _process is { HasExited: false };

        public string Log
        {
            get { lock (_log) { return _log.ToString(); } }
        }

        public async Task StartAsync()
        {
            if (IsRunning)
            {
                throw new InvalidOperationException($"{Name} is already running.");
            }

            _process?.Dispose();
            var info = new ProcessStartInfo(Binary, ["-c", config])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var process = new Process { StartInfo = info, EnableRaisingEvents = true };
            DataReceivedEventHandler onLine = (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                lock (_log)
                {
                    _log.AppendLine(e.Data);
                }

                if (e.Data.Contains("Server is ready", StringComparison.Ordinal))
                {
                    ready.TrySetResult();
                }
            };
            process.OutputDataReceived += onLine;
            process.ErrorDataReceived += onLine;
            process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"{Name} exited with {process.ExitCode}:\n{Log}"));
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
            try
            {
                await ready.Task.WaitAsync(StartTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                process.Kill();
                throw new InvalidOperationException($"{Name} was not ready within {StartTimeout.TotalSeconds} s:\n{Log}");
            }
        }

        public async Task KillAsync()
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().ConfigureAwait(false);
            }
        }

        public void Dispose() => _process?.Dispose();
    }
}
