using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AdherencePipeline.Testing;

/// <summary>
/// PEM certificate and key files and the certificate's thumbprint: what influxd needs to serve HTTPS, and
/// what a client presents to servers that verify clients.
/// </summary>
/// <param name="CertificatePath">PEM file of the server certificate.</param>
/// <param name="PrivateKeyPath">PEM file of its private key (PKCS#8), mode 0600.</param>
/// <param name="CertificateThumbprint">SHA-1 thumbprint of the certificate, hex.</param>
public sealed record InfluxTls(string CertificatePath, string PrivateKeyPath, string CertificateThumbprint);

/// <summary>
/// A throw-away certificate authority made in the test, never checked in: it writes its certificate as
/// PEM and issues server certificates for the names a test asks for. Keys live in a temporary folder.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly ECDsa _key;
    private readonly X509Certificate2 _certificate;

    private TestCertificateAuthority(string directory, string name)
    {
        Directory = directory;
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        _certificate = request.CreateSelfSigned(now.AddHours(-1), now.AddDays(2));
        CertificatePath = Path.Combine(directory, $"{name}.pem");
        File.WriteAllText(CertificatePath, _certificate.ExportCertificatePem() + "\n");
    }

    /// <summary>The folder holding this CA's files and the certificates it issued.</summary>
    public string Directory { get; }

    /// <summary>PEM file of the CA certificate: what <c>Influx:CaCertificateFile</c> points at.</summary>
    public string CertificatePath { get; }

    /// <summary>Creates a CA named <paramref name="name"/> in a new temporary folder.</summary>
    public static TestCertificateAuthority Create(string name = "adherence-test-ca") =>
        new(System.IO.Directory.CreateTempSubdirectory("adherence-ca-").FullName, name);

    /// <summary>
    /// Issues a server certificate for <paramref name="dnsNames"/> and <paramref name="addresses"/>
    /// (default: <c>localhost</c> and <c>127.0.0.1</c>) and writes it with its key as PEM files.
    /// </summary>
    public InfluxTls IssueServer(string fileName = "server", string[]? dnsNames = null, IPAddress[]? addresses = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var names = dnsNames ?? ["localhost"];
        var request = new CertificateRequest($"CN={names.FirstOrDefault() ?? "server"}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            san.AddDnsName(name);
        }

        foreach (var address in addresses ?? [IPAddress.Loopback])
        {
            san.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return SignAndWrite(request, key, fileName);
    }

    /// <summary>
    /// Issues a client certificate (extended key usage client authentication) whose subject is
    /// <c>CN=<paramref name="commonName"/></c>, and writes it with its key as PEM files named after the name.
    /// </summary>
    public InfluxTls IssueClient(string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        return SignAndWrite(request, key, "client-" + commonName);
    }

    private InfluxTls SignAndWrite(CertificateRequest request, ECDsa key, string fileName)
    {
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(_certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now.AddMinutes(-30), now.AddDays(1), serial);

        var certificatePath = Path.Combine(Directory, fileName + ".pem");
        var keyPath = Path.Combine(Directory, fileName + ".key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(keyPath, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        return new InfluxTls(certificatePath, keyPath, certificate.GetCertHashString());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _certificate.Dispose();
        _key.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
