using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdherencePipeline.Service.Monitoring;

/// <summary>
/// Serves <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> on <see cref="MonitoringOptions.Urls"/>, a
/// listener of its own: the endpoints exist whether or not the web UI is enabled, and they never share an
/// address (or a reverse proxy) with the pages participants reach. They need no sign-in, which is why the
/// default address is loopback.
/// </summary>
internal sealed partial class MonitoringServer : IHostedService, IAsyncDisposable
{
    /// <summary>The health-check tag of the checks <c>/healthz</c> runs.</summary>
    public const string LiveTag = "live";

    /// <summary>The health-check tag of the checks <c>/readyz</c> runs.</summary>
    public const string ReadyTag = "ready";

    private readonly MonitoringOptions _options;
    private readonly HealthCheckService _health;
    private readonly MetricsExposition _metrics;
    private readonly ILoggerFactory _loggers;
    private WebApplication? _app;

    public MonitoringServer(IOptions<MonitoringOptions> options, HealthCheckService health, MetricsExposition metrics, ILoggerFactory loggers)
    {
        _options = options.Value;
        _health = health;
        _metrics = metrics;
        _loggers = loggers;
    }

    /// <summary>The addresses listened on once started (with the actual port where 0 was configured).</summary>
    public IReadOnlyList<Uri> Addresses { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        builder.WebHost.UseUrls([.. _options.UrlList]);
        var app = builder.Build();
        app.MapGet("/healthz", (HttpContext context) => WriteHealthAsync(context, LiveTag));
        app.MapGet("/readyz", (HttpContext context) => WriteHealthAsync(context, ReadyTag));
        app.MapGet("/metrics", () => Results.Text(_metrics.Scrape(), PrometheusText.ContentType));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync();
            throw new InvalidOperationException($"{MonitoringOptions.SectionName}:{nameof(MonitoringOptions.Urls)}: cannot listen on {_options.Urls}: {ex.Message}", ex);
        }

        _app = app;
        Addresses = [.. app.Urls.Select(u => new Uri(u))];
        LogListening(_loggers.CreateLogger<MonitoringServer>(), string.Join(", ", app.Urls));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
    }

    /// <summary>
    /// Runs the checks tagged <paramref name="tag"/> and answers 200 when all are healthy, else 503, with
    /// <c>{"status":"healthy|unhealthy","checks":{"NAME":{"status":…,"detail":…}}}</c>.
    /// </summary>
    private async Task WriteHealthAsync(HttpContext context, string tag)
    {
        var report = await _health.CheckHealthAsync(r => r.Tags.Contains(tag), context.RequestAborted);
        var healthy = report.Status == HealthStatus.Healthy;
        context.Response.StatusCode = healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(context.Response.Body, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("status", healthy ? "healthy" : "unhealthy");
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status == HealthStatus.Healthy ? "healthy" : "unhealthy");
            json.WriteString("detail", entry.Description ?? entry.Exception?.Message ?? "");
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }

    [LoggerMessage(EventId = 7321, Level = LogLevel.Information, Message = "Health and metrics (/healthz, /readyz, /metrics) on {Urls}")]
    private static partial void LogListening(ILogger logger, string urls);
}
