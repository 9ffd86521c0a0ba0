using System.Collections.Concurrent;
using AdherencePipeline.Sensors;
using AdherencePipeline.Testing;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AdherencePipeline.Nats.Tests;

/// <summary>
/// <c>Nats:CredentialsFile</c> over <c>tls://</c> (<c>Nats:TlsCaFile</c>) against a real cluster in operator
/// mode (decentralised JWT authentication, <c>resolver: MEMORY</c>): the oslo gateway's user may publish
/// only to oslo's subjects and receive only oslo's replies; the gateway.json of docs/deployment.md.
/// </summary>
public sealed class SiteCredentialsTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _folder = Directory.CreateTempSubdirectory("adherence-nats-creds-").FullName;
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();
    private TestNatsOperator? _operator;
    private string _osloCredentials = "";
    private string _adminCredentials = "";
    private NatsCluster? _cluster;

    public async Task InitializeAsync()
    {
        _operator = new TestNatsOperator(_folder);
        _osloCredentials = _operator.WriteUser("gateway-oslo", publish: ["adherence.frames.oslo.>"], subscribe: ["_INBOX_oslo.>"]);
        _adminCredentials = _operator.WriteUser("admin");
        var server = _ca.IssueServer("nats-server");
        _cluster = await NatsCluster.StartAsync(extraConfig: $$"""
            {{_operator.ServerConfig}}
            tls {
              cert_file: "{{server.CertificatePath}}"
              key_file: "{{server.PrivateKeyPath}}"
              timeout: 5
            }
            """);
        await using var connection = Connect(_adminCredentials, "_INBOX");
        var jetStream = new NatsJSContext(connection);
        await FrameStreamReadiness.EnsureAsync(jetStream, new FrameStreamOptions(), Patience);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }

    public void Dispose()
    {
        _operator?.Dispose();
        _ca.Dispose();
    }

    [Fact]
    public async Task Credentials_OwnSite_FramesReachTheConsumer()
    {
        const int Frames = 10;
        await using var connection = Connect(_osloCredentials, "_INBOX_oslo");
        await using (var gateway = Publisher(new NatsJSContext(connection), "oslo", logger: null))
        {
            for (var i = 0; i < Frames; i++)
            {
                await gateway.EnqueueAsync("P001", "polar-h10", Frame(i));
            }

            using var flush = new CancellationTokenSource(Patience);
            await gateway.FlushAsync(flush.Token);
            Assert.Equal(Frames, gateway.GetStatistics().FramesStored);
            Assert.True(connection.ServerInfo?.TlsRequired, "the server did not require TLS");
        }

        await using var admin = Connect(_adminCredentials, "_INBOX");
        using var deadline = new CancellationTokenSource(Patience);
        var consumer = await ParticipantFrameConsumer.CreateAsync(new NatsJSContext(admin), "ADHERENCE_FRAMES", "oslo", "P001", cancellationToken: deadline.Token);
        var received = await consumer.TakeAsync(Frames, deadline.Token);

        Assert.Equal(Enumerable.Range(0, Frames).Select(i => Frame(i).ReceivedUnixNs), received.Select(f => f.Frame.ReceivedUnixNs));
    }

    [Fact]
    public async Task Credentials_AnotherSitesSubjects_AreRefusedLoggedAndKeptInTheSpool()
    {
        var logger = new CapturingLogger<FramePublisher>();
        await using var connection = Connect(_osloCredentials, "_INBOX_oslo");
        await using var gateway = Publisher(new NatsJSContext(connection), "bergen", logger);

        await gateway.EnqueueAsync("P001", "polar-h10", Frame(1));
        await Eventually.TrueAsync(() => gateway.GetStatistics() is { PermissionViolations: >= 2, FailedAttempts: >= 2 }, Patience, "two refused attempts");

        var statistics = gateway.GetStatistics();
        Assert.Equal(0, statistics.FramesStored);
        Assert.Equal(1, statistics.FramesSpooled);
        Assert.Contains(logger.Lines, l => l.EventId == 7406 && l.Message.Contains("adherence.frames.bergen.P001", StringComparison.Ordinal) && l.Message.Contains("Nats:CredentialsFile", StringComparison.Ordinal));
        await using var admin = Connect(_adminCredentials, "_INBOX");
        var stream = await new NatsJSContext(admin).GetStreamAsync("ADHERENCE_FRAMES");
        Assert.Equal(0L, stream.Info.State.Messages);
    }

    [Fact]
    public void Credentials_BrokenSeed_FailValidationNamingTheSettingButNotTheSeed()
    {
        var lines = File.ReadAllLines(_osloCredentials);
        var seedLine = Array.IndexOf(lines, "-----BEGIN USER NKEY SEED-----") + 1;
        var seed = lines[seedLine];
        lines[seedLine] = string.Concat(seed.AsSpan(0, 10), seed[10] == 'A' ? "B" : "A", seed.AsSpan(11));
        var broken = _operator!.WriteCredentials("broken", lines[1], lines[seedLine]);

        var error = Assert.Throws<ArgumentException>(() => new NatsClientOptions { Url = _cluster!.Url, CredentialsFile = broken }.ToNatsOpts());

        Assert.Contains("Nats:CredentialsFile", error.Message, StringComparison.Ordinal);
        Assert.Contains("seed", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(seed[2..], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Credentials_ReadableByEveryUser_FailValidationNamingTheSetting()
    {
        File.SetUnixFileMode(_osloCredentials, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var error = Assert.Throws<ArgumentException>(() => new NatsClientOptions { Url = _cluster!.Url, CredentialsFile = _osloCredentials }.Validate());

        Assert.Contains("Nats:CredentialsFile", error.Message, StringComparison.Ordinal);
        Assert.Contains("readable by every user", error.Message, StringComparison.Ordinal);
    }

    private string TlsUrl => _cluster!.Url.Replace("nats://", "tls://", StringComparison.Ordinal);

    private NatsConnection Connect(string credentials, string inboxPrefix) =>
        new(new NatsClientOptions { Url = TlsUrl, TlsCaFile = _ca.CertificatePath, CredentialsFile = credentials, InboxPrefix = inboxPrefix }.ToNatsOpts());

    private FramePublisher Publisher(INatsJSContext jetStream, string site, ILogger<FramePublisher>? logger) => new(jetStream, new FramePublisherOptions
    {
        Site = site,
        SpoolDirectory = Path.Combine(_folder, "spool-" + site),
        PublishTimeout = TimeSpan.FromSeconds(1),
        InitialRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromMilliseconds(500),
    }, logger);

    private static RawFrame Frame(int index) =>
        new("A0:9E:1A:00:00:01", Guid.Parse("fb005c82-02e7-f387-1cad-8acd2d8df0c8"), 1_767_603_600_000_000_000 + (index * 40_000_000L), new byte[] { (byte)index, 1, 2, 3 });
}

/// <summary>Keeps what a component logs, for assertions on what an operator would read.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<(int EventId, string Message)> _lines = new();

    public IReadOnlyCollection<(int EventId, string Message)> Lines => _lines;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue((eventId.Id, formatter(state, exception)));
}
