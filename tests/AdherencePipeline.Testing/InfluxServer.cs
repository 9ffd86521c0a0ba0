using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace AdherencePipeline.Testing;

/// <summary>
/// A real <c>influxd</c> (InfluxDB 1.x, Debian package <c>influxdb</c>) on free loopback ports with a
/// throw-away data folder. It can be stopped, killed and started again on the same port and data,
/// for outage tests. Missing <c>influxd</c> is an error, never a skip.
/// </summary>
public sealed class InfluxServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _root;
    private readonly bool _authEnabled;
    private readonly InfluxTls? _tls;
    private readonly int _rpcPort;
    private Process? _process;
    private readonly StringBuilder _log = new();

    private InfluxServer(string root, int httpPort, int rpcPort, bool authEnabled, InfluxTls? tls)
    {
        _root = root;
        HttpPort = httpPort;
        _rpcPort = rpcPort;
        _authEnabled = authEnabled;
        _tls = tls;
    }

    /// <summary>The HTTP port.</summary>
    public int HttpPort { get; }

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:41234</c>, or <c>https://…</c> when started with TLS.</summary>
    public Uri Url => new($"{(_tls is null ? "http" : "https")}://127.0.0.1:{HttpPort}");

    /// <summary>The RPC address that <c>influxd backup</c> and <c>influxd restore</c> talk to, e.g. <c>127.0.0.1:41235</c>.</summary>
    public string RpcAddress => $"127.0.0.1:{_rpcPort}";

    /// <summary>Whether the server process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the server printed, for failure messages.</summary>
    public string Log
    {
        get { lock (_log) { return _log.ToString(); } }
    }

    /// <summary>The <c>influxd</c> binary: <c>$INFLUXD</c>, else <c>/usr/bin/influxd</c>.</summary>
    public static string Binary => Environment.GetEnvironmentVariable("INFLUXD") is { Length: > 0 } path ? path : "/usr/bin/influxd";

    /// <summary>
    /// Starts a fresh server; with <paramref name="authEnabled"/>, HTTP authentication is on; with
    /// <paramref name="tls"/>, it serves HTTPS only, with that certificate and key.
    /// </summary>
    public static async Task<InfluxServer> StartAsync(bool authEnabled = false, InfluxTls? tls = null)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException(
                $"influxd was not found at '{Binary}'. The integration tests need a real InfluxDB 1.x: run scripts/test.sh, which installs Debian's 'influxdb' package, or set INFLUXD.");
        }

        var root = Directory.CreateTempSubdirectory("adherence-influxd-").FullName;
        var server = new InfluxServer(root, FreePort(), FreePort(), authEnabled, tls);
        await server.StartAgainAsync().ConfigureAwait(false);
        return server;
    }

    /// <summary>Starts the server (again) on the same port and data folder.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("influxd is already running.");
        }

        var info = new ProcessStartInfo(Binary, ["-config", "/dev/null"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["INFLUXDB_META_DIR"] = Path.Combine(_root, "meta");
        info.Environment["INFLUXDB_DATA_DIR"] = Path.Combine(_root, "data");
        info.Environment["INFLUXDB_DATA_WAL_DIR"] = Path.Combine(_root, "wal");
        info.Environment["INFLUXDB_HTTP_BIND_ADDRESS"] = $"127.0.0.1:{HttpPort}";
        info.Environment["INFLUXDB_BIND_ADDRESS"] = $"127.0.0.1:{_rpcPort}";
        info.Environment["INFLUXDB_REPORTING_DISABLED"] = "true";
        info.Environment["INFLUXDB_HTTP_LOG_ENABLED"] = "false";
        info.Environment["INFLUXDB_HTTP_AUTH_ENABLED"] = _authEnabled ? "true" : "false";
        info.Environment["INFLUXDB_MONITOR_STORE_ENABLED"] = "false";
        info.Environment["INFLUXDB_DATA_QUERY_LOG_ENABLED"] = "false";
        info.Environment["INFLUXDB_HTTP_HTTPS_ENABLED"] = _tls is null ? "false" : "true";
        if (_tls is not null)
        {
            info.Environment["INFLUXDB_HTTP_HTTPS_CERTIFICATE"] = _tls.CertificatePath;
            info.Environment["INFLUXDB_HTTP_HTTPS_PRIVATE_KEY"] = _tls.PrivateKeyPath;
        }

        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
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

            if (e.Data.Contains("Listening on HTTP", StringComparison.Ordinal))
            {
                listening.TrySetResult();
            }
        };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"influxd exited with {process.ExitCode}:\n{Log}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        try
        {
            await listening.Task.WaitAsync(StartTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            process.Kill();
            throw new InvalidOperationException($"influxd did not start listening within {StartTimeout.TotalSeconds} s:\n{Log}");
        }

        // "Listening" is logged just before the HTTP server serves; one ping confirms it does.
        using var http = Client();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(Url, "/ping")).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (attempt < 100)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Kills the server with SIGKILL, as a crash or power loss would.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Creates a database (a no-op if it exists).</summary>
    public async Task CreateDatabaseAsync(string name, string? username = null, string? password = null)
    {
        using var http = Client();
        var query = $"CREATE DATABASE \"{name}\"";
        var url = new Uri(Url, "/query" + (username is null ? "" : $"?u={Uri.EscapeDataString(username)}&p={Uri.EscapeDataString(password ?? "")}"));
        using var response = await http.PostAsync(url, new FormUrlEncodedContent([new("q", query)])).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Creates an admin user; the first user may be created without credentials.</summary>
    public async Task CreateAdminAsync(string username, string password)
    {
        using var http = Client();
        var query = $"CREATE USER \"{username}\" WITH PASSWORD '{password}' WITH ALL PRIVILEGES";
        using var response = await http.PostAsync(new Uri(Url, "/query"), new FormUrlEncodedContent([new("q", query)])).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>
    /// Runs one InfluxQL statement with POST as the fixture's own client (user and password in the
    /// query string, as the InfluxDB documentation shows); throws with the server's answer when it fails.
    /// </summary>
    public async Task ExecuteAsync(string statement, string? username = null, string? password = null)
    {
        using var http = Client();
        var url = new Uri(Url, "/query" + (username is null ? "" : $"?u={Uri.EscapeDataString(username)}&p={Uri.EscapeDataString(password ?? "")}"));
        using var response = await http.PostAsync(url, new FormUrlEncodedContent([new("q", statement)])).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!response.IsSuccessStatusCode || body.Contains("\"error\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"influxd refused '{statement}': {body}");
        }
    }

    // The fixture's own client: over TLS it trusts exactly the certificate it gave influxd, nothing else.
    private HttpClient Client()
    {
        if (_tls is null)
        {
            return new HttpClient();
        }

        var expected = _tls.CertificateThumbprint;
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && string.Equals(certificate.GetCertHashString(), expected, StringComparison.OrdinalIgnoreCase);
        return new HttpClient(handler);
    }

    /// <summary>A database name no other test uses.</summary>
    public static string NewDatabaseName(string prefix = "test") => $"{prefix}_{Guid.NewGuid():N}";

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        _process?.Dispose();
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
}

/// <summary>One server shared by the tests of a class; each test uses its own database.</summary>
public sealed class InfluxServerFixture : IAsyncLifetime
{
    private InfluxServer? _server;

    /// <summary>The running server.</summary>
    public InfluxServer Server => _server ?? throw new InvalidOperationException("The fixture has not started.");

    /// <inheritdoc />
    public async Task InitializeAsync() => _server = await InfluxServer.StartAsync().ConfigureAwait(false);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
