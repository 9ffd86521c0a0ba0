using AdherencePipeline.Storage;
using AdherencePipeline.Testing;

namespace AdherencePipeline.Tests.Storage;

/// <summary>A real influxd serving HTTPS with a certificate from a CA made in the test.</summary>
public sealed class InfluxTlsFixture : IAsyncLifetime
{
    private InfluxServer? _server;

    /// <summary>The CA that signed the server's certificate (for localhost and 127.0.0.1).</summary>
    public TestCertificateAuthority Authority { get; } = TestCertificateAuthority.Create("adherence-test-ca");

    /// <summary>A second CA that signed nothing the server holds.</summary>
    public TestCertificateAuthority Stranger { get; } = TestCertificateAuthority.Create("stranger-ca");

    /// <summary>The HTTPS server.</summary>
    public InfluxServer Server => _server ?? throw new InvalidOperationException("The fixture has not started.");

    public async Task InitializeAsync() => _server = await InfluxServer.StartAsync(tls: Authority.IssueServer());

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Authority.Dispose();
        Stranger.Dispose();
    }
}

/// <summary>TLS to InfluxDB: a private CA is trusted for InfluxDB alone; an unknown CA or a wrong name is refused with the reason.</summary>
public sealed class InfluxTlsTests : IClassFixture<InfluxTlsFixture>
{
    private readonly InfluxTlsFixture _fixture;

    public InfluxTlsTests(InfluxTlsFixture fixture) => _fixture = fixture;

    private static InfluxConnectionOptions Connection(Uri url, string? caFile) => new()
    {
        Url = url,
        Database = InfluxServer.NewDatabaseName("tls"),
        CreateDatabase = true,
        CaCertificateFile = caFile,
        RequestTimeout = TimeSpan.FromSeconds(20),
    };

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task Https_WithThePrivateCaFile_WritesAndReadsBack(string host)
    {
        var url = new UriBuilder(_fixture.Server.Url) { Host = host }.Uri;
        var connection = Connection(url, _fixture.Authority.CertificatePath);
        using var http = InfluxHttpClient.Create(connection);

        var outcome = await new InfluxV1WriteEndpoint(http, connection).WriteAsync("motion,participant=P001 enmo_mg=12.5 1790000000000000000\n"u8.ToArray(), CancellationToken.None);
        var series = await new InfluxQueryClient(http, connection).QueryAsync("SELECT \"enmo_mg\" FROM \"motion\"");

        Assert.Equal(WriteOutcomeKind.Accepted, outcome.Kind);
        Assert.Equal(12.5, Assert.Single(Assert.Single(series).Rows).GetDouble("enmo_mg"));
    }

    [Fact]
    public async Task Https_CertificateFromAnotherCa_IsRefusedSayingItIsNotSignedByTheConfiguredCa()
    {
        var connection = Connection(_fixture.Server.Url, _fixture.Stranger.CertificatePath);
        using var http = InfluxHttpClient.Create(connection);

        var outcome = await new InfluxV1WriteEndpoint(http, connection).WriteAsync("motion enmo_mg=1 1790000000000000000\n"u8.ToArray(), CancellationToken.None);
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => new InfluxQueryClient(http, connection).PingAsync());

        Assert.Equal(WriteOutcomeKind.Retry, outcome.Kind);
        Assert.StartsWith("TLS: the certificate of 127.0.0.1 (CN=localhost, issued by CN=adherence-test-ca) is not signed by the CA in Influx:CaCertificateFile", outcome.Message, StringComparison.Ordinal);
        Assert.Equal(outcome.Message, InfluxHttpClient.Describe(error));
    }

    [Fact]
    public async Task Https_PrivateCaWithoutCaFile_IsRefusedPointingAtTheSetting()
    {
        var connection = Connection(_fixture.Server.Url, caFile: null);
        using var http = InfluxHttpClient.Create(connection);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => new InfluxQueryClient(http, connection).PingAsync());

        var message = InfluxHttpClient.Describe(error);
        Assert.StartsWith("TLS: the certificate of 127.0.0.1 (CN=localhost, issued by CN=adherence-test-ca) is not trusted: ", message, StringComparison.Ordinal);
        Assert.Contains("set Influx:CaCertificateFile", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Https_CertificateForAnotherName_IsRefusedEvenFromTheTrustedCa()
    {
        await using var server = await InfluxServer.StartAsync(tls: _fixture.Authority.IssueServer("elsewhere", dnsNames: ["influx.example.org"], addresses: []));
        var connection = Connection(server.Url, _fixture.Authority.CertificatePath);
        using var http = InfluxHttpClient.Create(connection);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => new InfluxQueryClient(http, connection).PingAsync());

        Assert.Equal(
            "TLS: the certificate of 127.0.0.1 is issued for another name (CN=influx.example.org, influx.example.org); connect with a host name or address the certificate holds.",
            InfluxHttpClient.Describe(error));
    }
}
