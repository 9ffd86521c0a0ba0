using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using AdherencePipeline.Service.Monitoring;
using Microsoft.Extensions.Configuration;

namespace AdherencePipeline.Service.Commands;

/// <summary>
/// <c>adherence status</c>: what a running <c>adherence run</c> reports on its monitoring endpoints
/// (<c>/readyz</c>, <c>/metrics</c>), as a short summary. Exit code 0 ready, 1 not ready, 2 unreachable.
/// </summary>
internal static class StatusCommand
{
    /// <summary>Exit codes, so scripts and timers can act on them.</summary>
    public enum StatusExit
    {
        Ready = 0,
        NotReady = 1,
        Unreachable = 2,
    }

    public static Command Create()
    {
        var url = new Option<Uri?>("--url")
        {
            Description = $"The worker's monitoring address (default: the first of Monitoring:Urls, {MonitoringOptions.DefaultUrls}).",
            CustomParser = CommonOptions.ParseUri,
        };
        var interval = new Option<double>("--interval")
        {
            Description = "Seconds between the two reads of /metrics that give the frame rate; 0 reads once and shows no rate.",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("status", "Show whether the running service is ready, and what it streams and stores (reads its /readyz and /metrics).") { url, interval };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            Uri address;
            try
            {
                address = parseResult.GetValue(url) ?? DefaultAddress(CommonOptions.Build(parseResult));
            }
            catch (Exception ex) when (ex is ConfigurationException or InvalidOperationException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return (int)StatusExit.Unreachable;
            }

            var seconds = parseResult.GetValue(interval);
            if (seconds < 0 || double.IsNaN(seconds))
            {
                await error.WriteLineAsync($"error: --interval must be 0 or more seconds, was {seconds.ToString(CultureInfo.InvariantCulture)}.");
                return (int)StatusExit.Unreachable;
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            try
            {
                var report = await ReadAsync(http, address, TimeSpan.FromSeconds(seconds), cancellationToken);
                await output.WriteAsync(report.Text);
                return (int)(report.Ready ? StatusExit.Ready : StatusExit.NotReady);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or FormatException or InvalidDataException)
            {
                var reason = ex is TaskCanceledException && !cancellationToken.IsCancellationRequested ? "no answer within 10 s" : ex.Message;
                await error.WriteLineAsync($"error: the service's monitoring endpoint at {address} cannot be read: {reason}");
                await error.WriteLineAsync("  Is 'adherence run' running, with Monitoring:Urls set to this address?");
                return (int)StatusExit.Unreachable;
            }
        });
        return command;
    }

    /// <summary>The first of <c>Monitoring:Urls</c>, with a wildcard host replaced by loopback.</summary>
    public static Uri DefaultAddress(IConfiguration configuration)
    {
        var options = new MonitoringOptions();
        configuration.GetSection(MonitoringOptions.SectionName).Bind(options);
        var urls = options.UrlList;
        var first = (urls.Count > 0 ? urls[0] : null)
            ?? throw new InvalidOperationException($"{MonitoringOptions.SectionName}:{nameof(MonitoringOptions.Urls)} is empty, so the service serves no monitoring endpoint; pass --url.");
        var builder = new UriBuilder(first.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (builder.Host is "0.0.0.0" or "[::]" or "localhost")
        {
            builder.Host = "127.0.0.1";
        }

        return builder.Uri;
    }

    /// <summary>Reads <c>/readyz</c> and <c>/metrics</c> (twice, <paramref name="interval"/> apart, for rates) and writes the summary.</summary>
    public static async Task<(bool Ready, string Text)> ReadAsync(HttpClient http, Uri address, TimeSpan interval, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(address);
        using var readiness = await http.GetAsync(new Uri(address, "/readyz"), cancellationToken);
        if (readiness.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable))
        {
            throw new InvalidDataException($"/readyz answered {(int)readiness.StatusCode} {readiness.ReasonPhrase}, not a readiness report.");
        }

        using var checks = JsonDocument.Parse(await readiness.Content.ReadAsStringAsync(cancellationToken));
        var ready = readiness.StatusCode == HttpStatusCode.OK;
        var first = await ScrapeAsync(http, address, cancellationToken);
        var started = TimeProvider.System.GetTimestamp();
        IReadOnlyList<PrometheusSample>? second = null;
        if (interval > TimeSpan.Zero)
        {
            await Task.Delay(interval, cancellationToken);
            second = await ScrapeAsync(http, address, cancellationToken);
        }

        var elapsed = TimeProvider.System.GetElapsedTime(started);
        var now = second ?? first;
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.Append(inv, $"adherence run at {address}: {(ready ? "ready" : "NOT READY")}\n");
        foreach (var check in checks.RootElement.GetProperty("checks").EnumerateObject())
        {
            text.Append(inv, $"  {check.Name,-12} {check.Value.GetProperty("status").GetString(),-10} {check.Value.GetProperty("detail").GetString()}\n");
        }

        // A NATS worker has no devices of its own: it processes the participants it holds by lease.
        var nats = now.Any(s => s.Name == "adherence_nats_partitions_owned");
        if (nats)
        {
            var lag = now.FirstOrDefault(s => s.Name == "adherence_nats_lag_seconds");
            text.Append(inv, $"participants:   {Sum(now, "adherence_nats_partitions_owned")} owned, {Sum(now, "adherence_nats_partitions_taken_total")} taken since start; {Sum(now, "adherence_nats_periods_closed_total")} wear period(s) closed; lag {(lag is null ? "none yet" : $"{lag.Value:0.0} s")}\n");
        }
        else
        {
            var connected = ByLabel(now, "adherence_devices_connected", "model");
            var bound = ByLabel(now, "adherence_devices_bound", "model");
            text.Append(inv, $"devices:        {Sum(connected)} of {Sum(bound)} bound connected{Detail(bound.Keys.Select(m => $"{m} {connected.GetValueOrDefault(m)}/{bound[m]}"))}\n");
        }

        var frames = Sum(now, "adherence_frames_total");
        var rate = second is null ? "" : $", {(frames - Sum(first, "adherence_frames_total")) / elapsed.TotalSeconds:0.0} frames/s over the last {elapsed.TotalSeconds:0.0} s";
        var lost = nats
            ? $"{Sum(now, "adherence_nats_frames_processed_total")} taken from the stream, {Sum(now, "adherence_nats_frames_reprocessed_total")} re-processed after take-overs, {Sum(now, "adherence_nats_faulty_frames_total")} faulty"
            : $"{Sum(now, "adherence_frames_dropped_total")} dropped by the transport";
        text.Append(inv, $"frames:         {frames} decoded{rate}; {lost}\n");
        var faults = ByLabel(now, "adherence_decode_faults_total", "kind");
        text.Append(inv, $"decode faults:  {Sum(faults)}{Detail(faults.Select(f => $"{f.Key} {f.Value}"))}\n");
        text.Append(inv, $"windows:        {Sum(now, "adherence_windows_classified_total")} classified of {Sum(now, "adherence_windows_total")}; bouts closed {Sum(now, "adherence_bouts_closed_total")}; sessions closed {Sum(now, "adherence_sessions_closed_total")}\n");
        text.Append(inv, $"points:         {Sum(now, "adherence_points_written_total")} written, {Sum(now, "adherence_points_write_failed_total")} in failed writes (retried), {Sum(now, "adherence_points_dead_lettered_total")} dead-lettered\n");
        var spoolFault = Sum(now, "adherence_spool_faulted") > 0 ? "; the spool folder refuses writes" : "";
        text.Append(inv, $"spool:          {Sum(now, "adherence_spool_batches")} batch(es), {Sum(now, "adherence_spool_size_bytes")} bytes, oldest {Sum(now, "adherence_spool_oldest_age_seconds"):0} s{spoolFault}\n");
        var lastWrite = now.FirstOrDefault(s => s.Name == "adherence_influx_last_write_age_seconds");
        text.Append(inv, $"last write:     {(lastWrite is null ? "none accepted yet" : $"accepted {lastWrite.Value:0} s ago")}\n");
        return (ready, text.ToString());
    }

    private static async Task<IReadOnlyList<PrometheusSample>> ScrapeAsync(HttpClient http, Uri address, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri(address, "/metrics"), cancellationToken);
        response.EnsureSuccessStatusCode();
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
    }

    private static double Sum(IReadOnlyList<PrometheusSample> samples, string name) => samples.Where(s => s.Name == name).Sum(s => s.Value);

    private static double Sum(Dictionary<string, double> values) => values.Values.Sum();

    private static Dictionary<string, double> ByLabel(IReadOnlyList<PrometheusSample> samples, string name, string label) =>
        samples.Where(s => s.Name == name)
            .GroupBy(s => s.Labels.GetValueOrDefault(label) ?? "", StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(s => s.Value), StringComparer.Ordinal);

    private static string Detail(IEnumerable<string> parts) => string.Join(", ", parts) is { Length: > 0 } joined ? $" ({joined})" : "";
}
