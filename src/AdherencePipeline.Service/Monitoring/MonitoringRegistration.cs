using AdherencePipeline.BlueZ;
using AdherencePipeline.Service.Worker;
using AdherencePipeline.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AdherencePipeline.Service.Monitoring;

/// <summary>Registers the worker's metrics, health checks and the monitoring listener.</summary>
internal static class MonitoringRegistration
{
    // Long enough for a ping over a slow link, short enough that a scrape or a probe does not hang.
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Adds the metrics (<see cref="WorkerMetrics"/>, measured write requests, the exposition), the checks of
    /// <c>/healthz</c> and <c>/readyz</c>, and, unless <c>Monitoring:Urls</c> is empty, the listener serving them.
    /// The worker's own check and gauges follow <paramref name="source"/>: the BLE worker and its adapter, or the
    /// NATS worker and its connection. Call after the storage is registered and before the worker, so the
    /// endpoints answer while it starts.
    /// </summary>
    public static IServiceCollection AddWorkerMonitoring(this IServiceCollection services, IConfiguration configuration, WorkerSource source = WorkerSource.Ble)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddMetrics();
        services.AddSingleton<DecodeFaultLog>();
        services.AddSingleton<WorkerMetrics>();
        MeasureWrites(services);
        services.AddSingleton(sp =>
        {
            var metrics = sp.GetRequiredService<WorkerMetrics>();
            metrics.ObserveStorage(sp.GetRequiredService<InfluxLineWriter>());
            if (source == WorkerSource.Nats)
            {
                var worker = sp.GetRequiredService<NatsFrameWorkerService>();
                metrics.ObserveFrameWorker(() => worker.Worker);
            }
            else
            {
                metrics.ObserveDevices(sp.GetRequiredService<BlueZTransport>());
            }

            return new MetricsExposition(metrics.Meter);
        });
        var checks = services.AddHealthChecks();
        if (source == WorkerSource.Nats)
        {
            checks.Add(new HealthCheckRegistration("worker", sp => ActivatorUtilities.CreateInstance<NatsWorkerHealthCheck>(sp), HealthStatus.Unhealthy, [MonitoringServer.LiveTag, MonitoringServer.ReadyTag], CheckTimeout));
        }
        else
        {
            checks.Add(new HealthCheckRegistration("worker", sp => ActivatorUtilities.CreateInstance<WorkerHealthCheck>(sp), HealthStatus.Unhealthy, [MonitoringServer.LiveTag, MonitoringServer.ReadyTag], CheckTimeout));
        }

        checks
            .Add(new HealthCheckRegistration("influxdb", sp => ActivatorUtilities.CreateInstance<InfluxHealthCheck>(sp), HealthStatus.Unhealthy, [MonitoringServer.ReadyTag], CheckTimeout))
            .Add(new HealthCheckRegistration("spool", sp => ActivatorUtilities.CreateInstance<SpoolHealthCheck>(sp), HealthStatus.Unhealthy, [MonitoringServer.ReadyTag], CheckTimeout))
            .Add(new HealthCheckRegistration("model", sp => ActivatorUtilities.CreateInstance<ModelHealthCheck>(sp), HealthStatus.Unhealthy, [MonitoringServer.ReadyTag], CheckTimeout));
        if (source == WorkerSource.Nats)
        {
            checks.Add(new HealthCheckRegistration("nats", sp => ActivatorUtilities.CreateInstance<NatsConnectionHealthCheck>(sp), HealthStatus.Unhealthy, [MonitoringServer.ReadyTag], CheckTimeout));
        }
        else
        {
            checks.Add(new HealthCheckRegistration("ble_adapter", sp => ActivatorUtilities.CreateInstance<BleAdapterHealthCheck>(sp), HealthStatus.Unhealthy, [MonitoringServer.ReadyTag], CheckTimeout));
        }

        services.AddOptions<MonitoringOptions>().Bind(configuration.GetSection(MonitoringOptions.SectionName));
        var options = new MonitoringOptions();
        configuration.GetSection(MonitoringOptions.SectionName).Bind(options);
        if (options.UrlList.Count > 0)
        {
            services.AddSingleton<MonitoringServer>();
            services.AddHostedService(sp => sp.GetRequiredService<MonitoringServer>());
        }

        return services;
    }

    // The writer takes whatever endpoint storage registered (v1, v2, with or without TLS); wrapping that
    // registration measures every request without touching how the endpoint is made.
    private static void MeasureWrites(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IInfluxWriteEndpoint) && !d.IsKeyedService)
            ?? throw new InvalidOperationException("Register the storage (AddInfluxStorage) before the monitoring.");
        services.Remove(registered);
        services.Add(ServiceDescriptor.Describe(
            typeof(IInfluxWriteEndpoint),
            sp => new MeasuredWriteEndpoint(Create(sp, registered), sp.GetRequiredService<WorkerMetrics>()),
            registered.Lifetime));
    }

    private static IInfluxWriteEndpoint Create(IServiceProvider services, ServiceDescriptor registered) =>
        (IInfluxWriteEndpoint)(registered.ImplementationInstance
            ?? registered.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, registered.ImplementationType!));
}
