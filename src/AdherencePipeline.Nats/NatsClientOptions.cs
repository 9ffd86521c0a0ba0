using AdherencePipeline.Storage;
using NATS.Client.Core;

namespace AdherencePipeline.Nats;

/// <summary>How to reach the NATS cluster (configuration section <c>Nats</c>).</summary>
public sealed class NatsClientOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Nats";

    /// <summary>Seed servers, comma-separated, e.g. <c>nats://10.0.0.1:4222,nats://10.0.0.2:4222</c>; <c>tls://</c> for TLS.</summary>
    public string Url { get; set; } = "nats://127.0.0.1:4222";

    /// <summary>The connection's name as the servers show it (e.g. <c>gateway-oslo-1</c>).</summary>
    public string Name { get; set; } = "adherence";

    /// <summary>
    /// A NATS credentials file (user JWT and NKey seed) from the site's account; empty for none. Like every
    /// secret file it must not be readable by every user of the machine.
    /// </summary>
    public string CredentialsFile { get; set; } = "";

    /// <summary>PEM file of the CA that signed the servers' certificates; empty for the system store.</summary>
    public string TlsCaFile { get; set; } = "";

    /// <summary>PEM client certificate, for servers that verify clients; empty for none.</summary>
    public string TlsCertFile { get; set; } = "";

    /// <summary>PEM private key of <see cref="TlsCertFile"/>; like every secret file it must not be readable by every user.</summary>
    public string TlsKeyFile { get; set; } = "";

    /// <summary>
    /// Prefix of the subjects on which replies (publish acknowledgements) arrive. Give each site its own,
    /// e.g. <c>_INBOX_oslo</c>, and allow its gateway to subscribe to that alone, so one site cannot read another's replies.
    /// </summary>
    public string InboxPrefix { get; set; } = "_INBOX";

    /// <summary>How long one request to the servers (a publish acknowledgement) may take.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is wrong.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Url))
        {
            throw new ArgumentException("Nats:Url is empty; expected e.g. nats://127.0.0.1:4222.");
        }

        foreach (var part in Url.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls" or "ws" or "wss"))
            {
                throw new ArgumentException($"Nats:Url: '{part}' is not a NATS server URL such as nats://127.0.0.1:4222.");
            }
        }

        foreach (var (key, path) in new[] { ("TlsCaFile", TlsCaFile), ("TlsCertFile", TlsCertFile), ("TlsKeyFile", TlsKeyFile) })
        {
            if (path.Length > 0 && !File.Exists(path))
            {
                throw new ArgumentException($"Nats:{key}: file '{path}' does not exist.");
            }
        }

        if (CredentialsFile.Length > 0)
        {
            NatsCredentialsFile.Check(CredentialsFile, "Nats:CredentialsFile");
        }

        if (TlsCertFile.Length > 0 != TlsKeyFile.Length > 0)
        {
            throw new ArgumentException("Nats:TlsCertFile and Nats:TlsKeyFile go together: set both or neither.");
        }

        if (TlsKeyFile.Length > 0)
        {
            // Only the permission check: the client reads the key itself when it connects.
            _ = SecretFile.ReadAll(TlsKeyFile, "Nats:TlsKeyFile");
        }

        if (string.IsNullOrEmpty(InboxPrefix) || InboxPrefix.AsSpan().IndexOfAny(" .*>\t") >= 0)
        {
            throw new ArgumentException($"Nats:InboxPrefix '{InboxPrefix}' must be one subject token, e.g. _INBOX_oslo.");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("Nats:RequestTimeout must be positive.");
        }
    }

    /// <summary>The client options these settings describe, validated.</summary>
    public NatsOpts ToNatsOpts()
    {
        Validate();
        var tls = NatsTlsOpts.Default;
        if (TlsCaFile.Length > 0 || TlsCertFile.Length > 0)
        {
            tls = tls with
            {
                CaFile = TlsCaFile.Length > 0 ? TlsCaFile : null,
                CertFile = TlsCertFile.Length > 0 ? TlsCertFile : null,
                KeyFile = TlsKeyFile.Length > 0 ? TlsKeyFile : null,
            };
        }

        return NatsOpts.Default with
        {
            Url = Url,
            Name = Name,
            AuthOpts = CredentialsFile.Length > 0 ? NatsAuthOpts.Default with { CredsFile = CredentialsFile } : NatsAuthOpts.Default,
            TlsOpts = tls,
            RequestTimeout = RequestTimeout,
            InboxPrefix = InboxPrefix,
            // A gateway must start while the cluster is away (it spools), and notice an outage at once.
            RetryOnInitialConnect = true,
            PublishTimeoutOnDisconnected = true,
        };
    }
}
