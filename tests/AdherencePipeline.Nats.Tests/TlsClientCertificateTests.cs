using AdherencePipeline.Sensors;
using AdherencePipeline.Testing;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AdherencePipeline.Nats.Tests;

/// <summary>
/// <c>Nats:TlsCertFile</c>/<c>TlsKeyFile</c> against a real cluster that verifies client certificates and
/// maps each certificate's subject to a user (<c>verify_and_map</c>), with the per-site permissions of
/// docs/deployment.md; a CA made here signs the servers' and the clients' certificates.
/// </summary>
public sealed class TlsClientCertificateTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();
    private InfluxTls? _oslo;
    private InfluxTls? _admin;
    private NatsCluster? _cluster;

    private string TlsUrl => _cluster!.Url.Replace("nats://", "tls://", StringComparison.Ordinal);

    public async Task InitializeAsync()
    {
        var server = _ca.IssueServer("nats-server");
        _oslo = _ca.IssueClient("gateway-oslo");
        _admin = _ca.IssueClient("admin");
        _cluster = await NatsCluster.StartAsync(extraConfig: $$"""
            tls {
              cert_file: "{{server.CertificatePath}}"
              key_file: "{{server.PrivateKeyPath}}"
              ca_file: "{{_ca.CertificatePath}}"
              verify_and_map: true
              timeout: 5
            }
            accounts {
              ADHERENCE: {
                jetstream: enabled
                users: [
                  { user: "CN=gateway-oslo", permissions: {
                      publish: { allow: ["adherence.frames.oslo.>"] }
                      subscribe: { allow: ["_INBOX_oslo.>"] } } }
                  { user: "CN=admin" }
                ]
              }
              SYS: { users: [ { user: "CN=sys" } ] }
            }
            system_account: SYS
            """);
        await using var connection = Connect(_admin, "_INBOX");
        var jetStream = new NatsJSContext(connection);
        await FrameStreamReadiness.EnsureAsync(jetStream, new FrameStreamOptions(), Patience);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    public void Dispose() => _ca.Dispose();

    [Fact]
    public async Task ClientCertificate_OwnSite_FramesAreStored()
    {
        await using var connection = Connect(_oslo, "_INBOX_oslo");
        await using var gateway = Publisher(new NatsJSContext(connection), "oslo");
        for (var i = 0; i < 5; i++)
        {
            await gateway.EnqueueAsync("P001", "polar-h10", Frame(i));
        }

        using var deadline = new CancellationTokenSource(Patience);
        await gateway.FlushAsync(deadline.Token);

        Assert.Equal(5, gateway.GetStatistics().FramesStored);
        Assert.True(connection.ServerInfo?.TlsRequired, "the server did not require TLS");
    }

    [Fact]
    public async Task ClientCertificate_AnotherSite_IsRefusedAndKeptInTheSpool()
    {
        await using var connection = Connect(_oslo, "_INBOX_oslo");
        await using var gateway = Publisher(new NatsJSContext(connection), "bergen");

        await gateway.EnqueueAsync("P001", "polar-h10", Frame(1));
        await Eventually.TrueAsync(() => gateway.GetStatistics() is { PermissionViolations: >= 1, FailedAttempts: >= 1 }, Patience, "a refused attempt");

        Assert.Equal(0, gateway.GetStatistics().FramesStored);
        Assert.Equal(1, gateway.GetStatistics().FramesSpooled);
    }

    [Fact]
    public async Task ClientCertificate_None_IsRefusedAndTheGatewaySaysWhichSettingIsMissing()
    {
        var logger = new CapturingLogger<FramePublisher>();
        await using var connection = new NatsConnection(new NatsClientOptions { Url = TlsUrl, TlsCaFile = _ca.CertificatePath, InboxPrefix = "_INBOX_oslo" }.ToNatsOpts());
        await using var gateway = Publisher(new NatsJSContext(connection), "oslo", logger);

        await gateway.EnqueueAsync("P001", "polar-h10", Frame(1));
        await Eventually.TrueAsync(() => logger.Lines.Any(l => l.EventId == 7408), Patience, "the gateway to report the missing certificate");

        Assert.Contains(logger.Lines, l => l.EventId == 7408 && l.Message.Contains("Nats:TlsCertFile", StringComparison.Ordinal));
        Assert.Equal(0, gateway.GetStatistics().FramesStored);
        Assert.Equal(1, gateway.GetStatistics().FramesSpooled);
        Assert.NotEqual(NatsConnectionState.Open, connection.ConnectionState);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void ClientKey_ReadableByEveryUser_FailsValidationNamingTheSetting()
    {
        File.SetUnixFileMode(_oslo!.PrivateKeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var error = Assert.Throws<ArgumentException>(() => new NatsClientOptions { Url = TlsUrl, TlsCertFile = _oslo.CertificatePath, TlsKeyFile = _oslo.PrivateKeyPath }.Validate());

        Assert.Contains("Nats:TlsKeyFile", error.Message, StringComparison.Ordinal);
    }

    private NatsConnection Connect(InfluxTls? certificate, string inboxPrefix) => new(new NatsClientOptions
    {
        Url = TlsUrl,
        TlsCaFile = _ca.CertificatePath,
        TlsCertFile = certificate!.CertificatePath,
        TlsKeyFile = certificate.PrivateKeyPath,
        InboxPrefix = inboxPrefix,
    }.ToNatsOpts());

    private FramePublisher Publisher(INatsJSContext jetStream, string site, ILogger<FramePublisher>? logger = null) => new(jetStream, new FramePublisherOptions
    {
        Site = site,
        SpoolDirectory = Path.Combine(_ca.Directory, "spool-" + site),
        PublishTimeout = TimeSpan.FromSeconds(1),
        InitialRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromMilliseconds(500),
    }, logger);

    private static RawFrame Frame(int index) =>
        new("A0:9E:1A:00:00:01", Guid.Parse("fb005c82-02e7-f387-1cad-8acd2d8df0c8"), 1_767_603_600_000_000_000 + (index * 40_000_000L), new byte[] { (byte)index, 1, 2, 3 });
}
