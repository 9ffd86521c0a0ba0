using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace AdherencePipeline.Storage;

/// <summary>
/// HTTP clients for InfluxDB with the certificate checks the connection options ask for: the system's
/// CAs, or only the CA of <see cref="InfluxConnectionOptions.CaCertificateFile"/>. The chain, the
/// validity dates and the host name are always checked; there is no setting that turns this off.
/// </summary>
public static class InfluxHttpClient
{
    /// <summary>A client for <paramref name="options"/>; requests carry their own timeouts, so the client's is infinite.</summary>
    public static HttpClient Create(InfluxConnectionOptions options) =>
        new(CreateHandler(options), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The handler behind <see cref="Create"/>, for hosts that build their clients through <c>IHttpClientFactory</c>.</summary>
    public static SocketsHttpHandler CreateHandler(InfluxConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var trusted = string.IsNullOrWhiteSpace(options.CaCertificateFile) ? null : options.LoadCaCertificates();
        var host = options.Url.Host;
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Check(host, trusted, certificate, chain, errors);
        return handler;
    }

    /// <summary>
    /// The reason a request failed, in words: for a refused certificate the check that failed (prefixed
    /// <c>TLS:</c>), else the exception's message.
    /// </summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is InfluxCertificateException refused)
            {
                return "TLS: " + refused.Message;
            }

            if (inner is AuthenticationException tls)
            {
                return "TLS: " + tls.Message;
            }
        }

        return exception.Message;
    }

    // Throwing, rather than returning false, is what carries the reason up to the caller: the handler wraps
    // the exception in the HttpRequestException it throws, where Describe finds it.
    private static bool Check(string host, X509Certificate2Collection? trusted, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            throw new InfluxCertificateException($"the server at {host} sent no certificate.");
        }

        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            var names = presented.GetNameInfo(X509NameType.DnsName, forIssuer: false);
            throw new InfluxCertificateException(
                $"the certificate of {host} is issued for another name ({presented.Subject}{(string.IsNullOrEmpty(names) ? "" : ", " + names)}); connect with a host name or address the certificate holds.");
        }

        if (trusted is null)
        {
            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            throw new InfluxCertificateException(
                $"the certificate of {host} ({presented.Subject}, issued by {presented.Issuer}) is not trusted: {Statuses(chain)}. If InfluxDB uses a private CA, set Influx:CaCertificateFile to its PEM file.");
        }

        // A private CA: build the chain again with that CA as the only trust anchor. The name was checked above.
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(trusted);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (custom.Build(presented))
        {
            return true;
        }

        throw new InfluxCertificateException(
            $"the certificate of {host} ({presented.Subject}, issued by {presented.Issuer}) is not signed by the CA in Influx:CaCertificateFile: {Statuses(custom)}.");
    }

    private static string Statuses(X509Chain? chain)
    {
        var statuses = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct(StringComparer.Ordinal).ToList();
        return statuses is { Count: > 0 } ? string.Join(", ", statuses) : "the chain could not be built";
    }
}

/// <summary>InfluxDB's certificate was refused; the message says which check failed.</summary>
public sealed class InfluxCertificateException : AuthenticationException
{
    /// <summary>Creates the exception.</summary>
    public InfluxCertificateException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InfluxCertificateException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public InfluxCertificateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
