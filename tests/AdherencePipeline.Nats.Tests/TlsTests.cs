using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AdherencePipeline.Sensors;
using AdherencePipeline.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AdherencePipeline.Nats.Tests;

/// <summary>
/// <c>tls://</c> and <c>Nats:TlsCaFile</c> against a real cluster whose client port requires TLS, with a
/// certificate from a CA made here: a gateway's frames reach a worker's consumer; without the CA the
/// gateway trusts nothing and keeps its frames in the spool.
/// </summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("adherence-nats-tls-").FullName;
    private NatsCluster? _cluster;

    private string CaFile => Path.Combine(_folder, "ca.pem");

    private string TlsUrl => _cluster!.Url.Replace("nats://", "tls://", StringComparison.Ordinal);

    public async Task InitializeAsync()
    {
        var (certificate, key) = WriteCertificates();
        _cluster = await NatsCluster.StartAsync(extraConfig: $$"""
            tls {
              cert_file: "{{certificate}}"
              key_file: "{{key}}"
              timeout: 5
            }
            """);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Tls_WithTheServersCa_FramesReachTheConsumer()
    {
        const int Frames = 20;
        await using var connection = new NatsConnection(new NatsClientOptions { Url = TlsUrl, Name = "tls-gateway", TlsCaFile = CaFile }.ToNatsOpts());
        var jetStream = new NatsJSContext(connection);
        var stream = new FrameStreamOptions { Replicas = 3 };
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await FrameStreamReadiness.EnsureAsync(jetStream, stream, TimeSpan.FromSeconds(90));

        await using (var gateway = Gateway(jetStream, "tls"))
        {
            for (var i = 0; i < Frames; i++)
            {
                await gateway.EnqueueAsync("P001", "polar-h10", Frame(i));
            }

            await gateway.FlushAsync(deadline.Token);
        }

        Assert.True(connection.ServerInfo?.TlsRequired, "the server did not require TLS");
        var consumer = await ParticipantFrameConsumer.CreateAsync(jetStream, stream.Name, "tls", "P001", cancellationToken: deadline.Token);
        var received = await consumer.TakeAsync(Frames, deadline.Token);

        Assert.Equal(Enumerable.Range(0, Frames).Select(i => Frame(i).ReceivedUnixNs), received.Select(f => f.Frame.ReceivedUnixNs));
    }

    [Fact]
    public async Task Tls_WithoutTheServersCa_NothingIsSentAndFramesStayInTheSpool()
    {
        await using var connection = new NatsConnection(new NatsClientOptions { Url = TlsUrl, Name = "untrusting-gateway" }.ToNatsOpts());
        await using var gateway = Gateway(new NatsJSContext(connection), "untrusted");
        for (var i = 0; i < 5; i++)
        {
            await gateway.EnqueueAsync("P001", "polar-h10", Frame(i));
        }

        await Eventually.TrueAsync(() => gateway.GetStatistics() is { Outage: true, FailedAttempts: > 0 }, TimeSpan.FromSeconds(60), "the gateway to give up on an untrusted server");
        Assert.Equal(0, gateway.GetStatistics().FramesStored);
        Assert.Equal(5, gateway.GetStatistics().FramesSpooled);
        Assert.NotEqual(NatsConnectionState.Open, connection.ConnectionState);
    }

    private static RawFrame Frame(int index) =>
        new("A0:9E:1A:00:00:01", Guid.Parse("fb005c82-02e7-f387-1cad-8acd2d8df0c8"), 1_767_603_600_000_000_000 + (index * 40_000_000L), new byte[] { (byte)index, 1, 2, 3 });

    private FramePublisher Gateway(INatsJSContext jetStream, string site) => new(jetStream, new FramePublisherOptions
    {
        Site = site,
        SpoolDirectory = Path.Combine(_folder, "spool-" + site),
        PublishTimeout = TimeSpan.FromSeconds(2),
        InitialRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromSeconds(1),
    });

    // A CA and a server certificate for 127.0.0.1 it signed, as PEM files nats-server reads.
    private (string Certificate, string Key) WriteCertificates()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=AdherencePipeline test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));

        using var serverKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = request.Create(ca, now.AddDays(-1), now.AddDays(6), RandomNumberGenerator.GetBytes(16));

        File.WriteAllText(CaFile, ca.ExportCertificatePem());
        var certificate = Path.Combine(_folder, "server.pem");
        var key = Path.Combine(_folder, "server-key.pem");
        File.WriteAllText(certificate, server.ExportCertificatePem());
        File.WriteAllText(key, serverKey.ExportPkcs8PrivateKeyPem());
        return (certificate, key);
    }
}
