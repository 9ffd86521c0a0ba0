using System.Diagnostics;
using System.Text;
using Xunit;

namespace AdherencePipeline.Testing;

/// <summary>
/// A private <c>dbus-daemon</c> (Debian package <c>dbus</c>) with the session policy, listening on a
/// socket in a throw-away folder: the system bus is never touched. Missing <c>dbus-daemon</c> is an
/// error, never a skip.
/// </summary>
public sealed class DBusDaemon : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private readonly string _root;
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private DBusDaemon(string root, Process process, string address)
    {
        _root = root;
        _process = process;
        Address = address;
    }

    /// <summary>The bus address, e.g. <c>unix:path=/tmp/…/bus,guid=…</c>.</summary>
    public string Address { get; }

    /// <summary>What the daemon printed on stderr, for failure messages.</summary>
    public string Log
    {
        get { lock (_log) { return _log.ToString(); } }
    }

    /// <summary>The <c>dbus-daemon</c> binary: <c>$DBUS_DAEMON</c>, else <c>/usr/bin/dbus-daemon</c>.</summary>
    public static string Binary => Environment.GetEnvironmentVariable("DBUS_DAEMON") is { Length: > 0 } path ? path : "/usr/bin/dbus-daemon";

    /// <summary>Starts a daemon and waits until it prints its address.</summary>
    public static async Task<DBusDaemon> StartAsync()
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException(
                $"dbus-daemon was not found at '{Binary}'. The BlueZ tests need a real D-Bus daemon: run scripts/test.sh, which installs Debian's 'dbus' package, or set DBUS_DAEMON.");
        }

        var root = Directory.CreateTempSubdirectory("adherence-dbus-").FullName;
        var info = new ProcessStartInfo(Binary, ["--session", "--nofork", "--nopidfile", "--print-address=1", $"--address=unix:path={Path.Combine(root, "bus")}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var address = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                address.TrySetResult(line.Trim());
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (log)
                {
                    log.AppendLine(e.Data);
                }
            }
        };
        process.Exited += (_, _) => address.TrySetException(new InvalidOperationException($"dbus-daemon exited with {process.ExitCode}:\n{log}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var daemon = new DBusDaemon(root, process, await address.Task.WaitAsync(StartTimeout).ConfigureAwait(false));
            lock (log)
            {
                daemon._log.Append(log);
            }

            return daemon;
        }
        catch (TimeoutException)
        {
            process.Kill();
            process.Dispose();
            throw new InvalidOperationException($"dbus-daemon printed no address within {StartTimeout.TotalSeconds} s:\n{log}");
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}

/// <summary>One private bus shared by the tests of a class; each test registers its own services on it.</summary>
public sealed class DBusDaemonFixture : IAsyncLifetime
{
    private DBusDaemon? _daemon;

    /// <summary>The running daemon.</summary>
    public DBusDaemon Daemon => _daemon ?? throw new InvalidOperationException("The fixture has not started.");

    /// <inheritdoc />
    public async Task InitializeAsync() => _daemon = await DBusDaemon.StartAsync().ConfigureAwait(false);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync().ConfigureAwait(false);
        }
    }
}
