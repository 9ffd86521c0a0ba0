using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Serialization;

namespace AdherencePipeline.Storage;

/// <summary>Which InfluxDB write API the writer speaks.</summary>
public enum InfluxApi
{
    /// <summary>HTTP <c>/write</c> and <c>/query</c>: InfluxDB 1.x, and the v1-compatible endpoints of 2.x, 3.x and Cloud.</summary>
    V1,

    /// <summary>The native 2.x write API (organisation, bucket, token) through the official client.</summary>
    V2,
}

/// <summary>
/// Where InfluxDB is and how to reach it. Bound from the <c>Influx</c> configuration section. The
/// password and token come from environment variables or from files (<see cref="PasswordFile"/>,
/// <see cref="TokenFile"/>); they are left out of <see cref="ToString"/> and of JSON dumps.
/// </summary>
public sealed class InfluxConnectionOptions
{
    private string? _passwordFromFile, _tokenFromFile;

    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Influx";

    /// <summary>Base URL of the server, e.g. <c>http://127.0.0.1:8086</c>.</summary>
    [Required]
    public Uri Url { get; set; } = new("http://127.0.0.1:8086");

    /// <summary>The write API to use.</summary>
    public InfluxApi Api { get; set; } = InfluxApi.V1;

    /// <summary>v1: the database (on 2.x/3.x, the database name mapped to a bucket).</summary>
    [Required]
    public string Database { get; set; } = "adherence";

    /// <summary>v1: the retention policy; empty means the database's default.</summary>
    public string? RetentionPolicy { get; set; }

    /// <summary>v1: user name for basic authentication; empty for none.</summary>
    public string? Username { get; set; }

    /// <summary>v1: password for basic authentication. Set it through <c>ADHERENCE_Influx__Password</c> or <see cref="PasswordFile"/>.</summary>
    [JsonIgnore]
    public string? Password { get; set; }

    /// <summary>A file holding <see cref="Password"/> on one line; must not be readable by every user. <see cref="Validate"/> reads it.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>An API token (2.x/3.x/Cloud), sent as <c>Authorization: Token …</c>. Takes precedence over user/password.</summary>
    [JsonIgnore]
    public string? Token { get; set; }

    /// <summary>A file holding <see cref="Token"/> on one line; must not be readable by every user. <see cref="Validate"/> reads it.</summary>
    public string? TokenFile { get; set; }

    /// <summary>
    /// A PEM file of the CA (one or more certificates) that signed InfluxDB's certificate, trusted for
    /// InfluxDB alone and instead of the system's CAs; empty means the system's CAs. Certificate checks
    /// (chain, validity, host name) are never turned off.
    /// </summary>
    public string? CaCertificateFile { get; set; }

    /// <summary>
    /// v1: measurement → retention policy, for measurements that are written to and read from a policy
    /// other than <see cref="RetentionPolicy"/> (e.g. <c>motion</c> → <c>raw_90d</c>). The policies must exist.
    /// </summary>
    public IDictionary<string, string> RetentionPolicies { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>v2: organisation name or id.</summary>
    public string? Organization { get; set; }

    /// <summary>v2: bucket name.</summary>
    public string? Bucket { get; set; }

    /// <summary>Compress write bodies with gzip.</summary>
    public bool Gzip { get; set; } = true;

    /// <summary>Create the v1 database if the server says it does not exist.</summary>
    public bool CreateDatabase { get; set; }

    /// <summary>Timeout of a single HTTP request.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reads <see cref="PasswordFile"/> and <see cref="TokenFile"/> (once), checks the CA file, and throws
    /// <see cref="ArgumentException"/> naming the setting that is wrong.
    /// </summary>
    public void Validate()
    {
        if (!Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttp && Url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Influx:Url must be an absolute http or https URL, not '{Redacted(Url)}'.");
        }

        if (Url.UserInfo.Length > 0)
        {
            throw new ArgumentException(
                $"Influx:Url must not carry a user name or password ('{Redacted(Url)}'); set Influx:Username, and the password through ADHERENCE_Influx__Password or Influx:PasswordFile.");
        }

        ReadSecretFiles();
        if (!string.IsNullOrWhiteSpace(CaCertificateFile))
        {
            // The v2 write path goes through the official client, whose certificate checks are its own.
            if (Api == InfluxApi.V2)
            {
                throw new ArgumentException("Influx:CaCertificateFile applies to the v1 API only; for Api=V2 add the CA to the system's trust store.");
            }

            _ = LoadCaCertificates();
        }

        foreach (var (measurement, policy) in RetentionPolicies)
        {
            if (string.IsNullOrWhiteSpace(policy))
            {
                throw new ArgumentException($"Influx:RetentionPolicies:{measurement}: expected the name of a retention policy, found nothing.");
            }
        }

        if (Api == InfluxApi.V1 && string.IsNullOrWhiteSpace(Database))
        {
            throw new ArgumentException("Influx:Database must be set for the v1 API.");
        }

        if (Api == InfluxApi.V2 && (string.IsNullOrWhiteSpace(Organization) || string.IsNullOrWhiteSpace(Bucket) || string.IsNullOrWhiteSpace(Token)))
        {
            throw new ArgumentException("Influx:Organization, Influx:Bucket and Influx:Token must all be set for the v2 API.");
        }

        if (!string.IsNullOrEmpty(Username) != !string.IsNullOrEmpty(Password) && string.IsNullOrEmpty(Token))
        {
            throw new ArgumentException("Influx:Username and Influx:Password (or Influx:PasswordFile) must be set together.");
        }
    }

    /// <summary>
    /// Reads <see cref="PasswordFile"/> into <see cref="Password"/> and <see cref="TokenFile"/> into
    /// <see cref="Token"/>; a second call does nothing. Throws when a secret is given both ways.
    /// </summary>
    public void ReadSecretFiles()
    {
        Password = FromFile(Password, PasswordFile, ref _passwordFromFile, "Password");
        Token = FromFile(Token, TokenFile, ref _tokenFromFile, "Token");
    }

    /// <summary>The retention policy <paramref name="measurement"/> is written to: its entry in <see cref="RetentionPolicies"/>, else <see cref="RetentionPolicy"/> (null: the database default).</summary>
    public string? RetentionPolicyFor(string measurement) =>
        RetentionPolicies.TryGetValue(measurement, out var policy) ? policy : (string.IsNullOrEmpty(RetentionPolicy) ? null : RetentionPolicy);

    /// <summary>
    /// The measurement as an InfluxQL source: <c>"raw_90d"."motion"</c> when <see cref="RetentionPolicies"/>
    /// names a policy for it, else <c>"motion"</c> (read from <see cref="RetentionPolicy"/> or the default).
    /// </summary>
    public string Source(string measurement) =>
        RetentionPolicies.TryGetValue(measurement, out var policy)
            ? InfluxQL.Identifier(policy) + "." + InfluxQL.Identifier(measurement)
            : InfluxQL.Identifier(measurement);

    /// <summary>The certificates of <see cref="CaCertificateFile"/>; throws naming the key when the file is missing or holds none.</summary>
    public X509Certificate2Collection LoadCaCertificates()
    {
        const string Key = "Influx:CaCertificateFile";
        var path = CaCertificateFile;
        if (string.IsNullOrWhiteSpace(path) || !File.Exists(path))
        {
            throw new ArgumentException($"{Key}: the file '{path}' does not exist.");
        }

        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"{Key}: '{path}' is not a PEM certificate file: {ex.Message}", ex);
        }

        return certificates.Count > 0
            ? certificates
            : throw new ArgumentException($"{Key}: '{path}' holds no certificate (expected PEM, '-----BEGIN CERTIFICATE-----').");
    }

    /// <summary>Where and how this connects, without secrets: the password and token show only as set or not.</summary>
    public override string ToString() =>
        $"Influx {{ Url = {Redacted(Url)}, Api = {Api}, Database = {Database}, RetentionPolicy = {RetentionPolicy}, Username = {Username}, " +
        $"Password = {(string.IsNullOrEmpty(Password) ? "(none)" : "(set)")}, Token = {(string.IsNullOrEmpty(Token) ? "(none)" : "(set)")}, " +
        $"CaCertificateFile = {CaCertificateFile} }}";

    private static string? FromFile(string? value, string? file, ref string? fromFile, string name)
    {
        if (string.IsNullOrWhiteSpace(file))
        {
            return value;
        }

        if (fromFile is not null && ReferenceEquals(value, fromFile))
        {
            return value;
        }

        if (!string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"Influx:{name} and Influx:{name}File are both set; set one of them.");
        }

        fromFile = SecretFile.ReadLine(file, $"Influx:{name}File");
        return fromFile;
    }

    // A URL as it may be printed: any user information replaced, so a password put there by mistake is not echoed.
    private static string Redacted(Uri url) =>
        url.IsAbsoluteUri && url.UserInfo.Length > 0 ? new UriBuilder(url) { UserName = "***", Password = "" }.Uri.ToString() : url.ToString();
}
