using AdherencePipeline.Activity;
using AdherencePipeline.BlueZ;
using AdherencePipeline.Service.Worker;
using AdherencePipeline.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;

namespace AdherencePipeline.Service.Monitoring;

/// <summary>
/// "worker": alive once the service has started, as long as its participants' streams run (they end only
/// at a stop, or when every one of them failed).
/// </summary>
internal sealed class WorkerHealthCheck(IHostApplicationLifetime lifetime, AdherenceWorker worker) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var result = lifetime.ApplicationStopping.IsCancellationRequested ? HealthCheckResult.Healthy("stopping: closing open sessions and flushing storage")
            : !lifetime.ApplicationStarted.IsCancellationRequested ? HealthCheckResult.Unhealthy("starting")
            : worker.Completion.IsCompleted ? HealthCheckResult.Unhealthy("every participant's stream has ended; see the log for the failure")
            : HealthCheckResult.Healthy($"streaming; {worker.Points} point(s) queued for storage");
        return Task.FromResult(result);
    }
}

/// <summary>
/// "influxdb": the server answers <c>/ping</c> and the writer's last write request did not fail (an
/// answering server that refuses writes — wrong credentials, no database — is not ready either).
/// </summary>
internal sealed class InfluxHealthCheck(InfluxQueryClient query, InfluxLineWriter writer, WorkerMetrics metrics) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        TimeSpan roundTrip;
        try
        {
            (_, roundTrip) = await query.PingAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException)
        {
            // A server that does not answer at all runs into the check's timeout, which reports itself.
            return HealthCheckResult.Unhealthy($"{writer.Endpoint}: ping failed: {ex.Message}");
        }

        var ping = $"{writer.Endpoint}: ping {roundTrip.TotalMilliseconds:0} ms";
        if (writer.GetStatistics().ServerUnavailable)
        {
            var last = metrics.LastWriteOutcome;
            var why = last is null ? "" : $" ({last.Kind}{(last.StatusCode is { } status ? $", HTTP {status}" : "")}{(last.Message is { Length: > 0 } message ? $": {message}" : "")})";
            return HealthCheckResult.Unhealthy($"{ping}, but the last write failed{why}; retrying, points wait in the spool");
        }

        return HealthCheckResult.Healthy(metrics.LastAcceptedAt is { } at ? $"{ping}; last write accepted at {at:yyyy-MM-ddTHH:mm:ssZ}" : $"{ping}; nothing written yet");
    }
}

/// <summary>"spool": the durable spool folder takes writes and reads (not full, not read-only).</summary>
internal sealed class SpoolHealthCheck(InfluxLineWriter writer) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var statistics = writer.GetStatistics();
        var depth = $"{statistics.SpoolBatches} batch(es), {statistics.SpoolBytes} bytes waiting";
        return Task.FromResult(statistics.SpoolFault is { } fault
            ? HealthCheckResult.Unhealthy($"{fault} ({depth})")
            : HealthCheckResult.Healthy(depth));
    }
}

/// <summary>"model": the activity model the worker classifies with (it does not start without one; this names the version serving, after a swap the new one).</summary>
internal sealed class ModelHealthCheck(ActivityModelSource models) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthCheckResult.Healthy($"activity model {models.Current.Version} loaded"));
}

/// <summary>
/// "worker" of the NATS mode: alive once started, as long as its run loop runs and it writes its heartbeat to
/// the lease bucket within a lease's time to live (without that it renews no lease, so it holds no participant).
/// </summary>
internal sealed class NatsWorkerHealthCheck(IHostApplicationLifetime lifetime, NatsFrameWorkerService service, WorkerSetup setup) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var ttl = setup.Nats!.Leases.Ttl;
        var worker = service.Worker;
        var result = lifetime.ApplicationStopping.IsCancellationRequested ? HealthCheckResult.Healthy("stopping: handing the participants over and flushing storage")
            : !lifetime.ApplicationStarted.IsCancellationRequested || worker is null ? HealthCheckResult.Unhealthy("starting")
            : service.Running.IsCompleted ? HealthCheckResult.Unhealthy("the worker's run loop has ended; see the log for the failure")
            : worker.SinceHeartbeat is not { } age ? HealthCheckResult.Unhealthy("no heartbeat written to the lease bucket yet: the cluster is unreachable or has no JetStream leader")
            : age > ttl ? HealthCheckResult.Unhealthy($"no heartbeat for {age.TotalSeconds:0} s (leases last {ttl.TotalSeconds:0} s): leases are not renewed, no participant is processed")
            : HealthCheckResult.Healthy($"{worker.Name}: {worker.Owned.Count} participant(s) owned; heartbeat {age.TotalSeconds:0.0} s ago; {worker.GetStatistics().FramesProcessed} frame(s) processed");
        return Task.FromResult(result);
    }
}

/// <summary>"nats": the worker's connection to the cluster is open (the client reconnects by itself while it is not).</summary>
internal sealed class NatsConnectionHealthCheck(NatsFrameWorkerService service) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var result = service.Connection is not { } connection ? HealthCheckResult.Unhealthy("not connected yet")
            : connection.ConnectionState == NatsConnectionState.Open ? HealthCheckResult.Healthy($"connected to {connection.ServerInfo?.Name ?? "?"} ({connection.ServerInfo?.Host}:{connection.ServerInfo?.Port})")
            : HealthCheckResult.Unhealthy($"connection {connection.ConnectionState.ToString().ToLowerInvariant()}; reconnecting to {string.Join(", ", connection.Opts.Url.Split(','))}");
        return Task.FromResult(result);
    }
}

/// <summary>"ble_adapter": BlueZ answers on the configured bus and has the adapter the transport uses, powered.</summary>
internal sealed class BleAdapterHealthCheck(WorkerSetup setup) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var adapter = await BlueZAdapterProbe.FindAdapterAsync(setup.Ble, cancellationToken);
            return HealthCheckResult.Healthy($"{adapter} powered");
        }
        catch (BlueZUnavailableException ex)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}
