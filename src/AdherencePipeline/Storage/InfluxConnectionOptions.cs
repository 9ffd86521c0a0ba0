using System.ComponentModel.DataAnnotations;

namespace AdherencePipeline.Storage;

/// <summary>Which InfluxDB write API the writer speaks.</summary>
public enum InfluxApi
{
    /// <summary>HTTP <c>/write</c> and <c>/query</c>: InfluxDB 1.x, and the v1-compatible endpoints of 2.x, 3.x and Cloud.</summary>
    V1,

    /// <summary>The native 2.x write API (organisation, bucket, token) through the official client.</summary>
    V2,
}

/// <summary>Where InfluxDB is and how to reach it. Bound from the <c>Influx</c> configuration section.</summary>
public sealed class InfluxConnectionOptions
{
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

    /// <summary>v1: password for basic authentication. Prefer an environment variable or a secrets file.</summary>
    public string? Password { get; set; }

    /// <summary>An API token (2.x/3.x/Cloud), sent as <c>Authorization: Token …</c>. Takes precedence over user/password.</summary>
    public string? Token { get; set; }

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

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is wrong.</summary>
    public void Validate()
    {
        if (!Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttp && Url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Influx:Url must be an absolute http or https URL, not '{Url}'.");
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
            throw new ArgumentException("Influx:Username and Influx:Password must be set together.");
        }
    }
}
