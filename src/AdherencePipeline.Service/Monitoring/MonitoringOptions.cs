namespace AdherencePipeline.Service.Monitoring;

/// <summary>Where <c>adherence run</c> serves <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> (configuration section <c>Monitoring</c>).</summary>
internal sealed class MonitoringOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Monitoring";

    /// <summary>The default address: loopback only, since the endpoints need no sign-in (9464 is the port Prometheus exporters of OpenTelemetry use).</summary>
    public const string DefaultUrls = "http://127.0.0.1:9464";

    /// <summary>
    /// <c>;</c>-separated URLs to listen on for the monitoring endpoints, apart from the web UI's <c>Web:Urls</c>;
    /// empty (or null in a JSON file) turns them off. Port 0 picks a free port.
    /// </summary>
    public string? Urls { get; set; } = DefaultUrls;

    /// <summary>The URLs, split; empty when monitoring is off.</summary>
    public IReadOnlyList<string> UrlList => (Urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Every problem with these options, each naming its key; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        foreach (var url in UrlList)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.AbsolutePath != "/")
            {
                errors.Add($"{SectionName}:{nameof(Urls)}: '{url}' is not an address to listen on such as {DefaultUrls}.");
            }
        }

        return errors;
    }
}
