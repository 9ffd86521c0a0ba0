using AdherencePipeline.Activity;
using AdherencePipeline.BlueZ;
using AdherencePipeline.Service.Monitoring;
using AdherencePipeline.Service.Storage;
using AdherencePipeline.Service.Web;
using AdherencePipeline.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AdherencePipeline.Service.Worker;

/// <summary>
/// Builds the host of <c>adherence run</c>: storage, the BlueZ transport and the worker. This is the one
/// place the service's host is put together, so further parts of the same process (the web API) are added here.
/// </summary>
internal static class WorkerHost
{
    /// <summary>
    /// The host for a checked <paramref name="setup"/>. <paramref name="time"/> is the clock of the
    /// transport, the status timer and the session read-back (a fake one in tests).
    /// </summary>
    public static IHost Build(IConfiguration configuration, WorkerSetup setup, TimeProvider? time = null, Action<ILoggingBuilder>? logging = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(setup);
        // With Web:Enabled the same process serves the web API and pages (docs/web.md) beside the worker.
        var web = configuration.GetValue("Web:Enabled", false);
        WebApplicationBuilder? webBuilder = null;
        HostApplicationBuilder? hostBuilder = null;
        if (web)
        {
            webBuilder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            webBuilder.Logging.ClearProviders();
            webBuilder.WebHost.UseUrls(configuration["Web:Urls"] ?? "http://127.0.0.1:5080");
        }
        else
        {
            hostBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
            {
                DisableDefaults = true,
                ContentRootPath = AppContext.BaseDirectory,
            });
        }

        IHostApplicationBuilder builder = (IHostApplicationBuilder?)webBuilder ?? hostBuilder!;
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        if (logging is null)
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            logging(builder.Logging);
        }

        // The worker's stop closes sessions and flushes storage; the host must give it the time for that.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = setup.Worker.StopTimeout);
        builder.Services.AddSingleton(time ?? TimeProvider.System);
        builder.Services.AddSingleton(setup);
        builder.Services.AddInfluxStorage(configuration);
        // Both modes classify with the watched model file, so a new model applies to the next window either way.
        builder.Services.AddSingleton(sp => new ActivityModelSource(WorkerSetup.ModelPath(configuration), setup.Model, sp.GetRequiredService<ILogger<ActivityModelSource>>()));
        if (setup.Nats is not null)
        {
            // Worker:Source=Nats: frames from the gateways through JetStream instead of BlueZ on this machine.
            // Monitoring first, as below, so /healthz and /readyz answer while the worker connects.
            builder.Services.AddWorkerMonitoring(configuration, WorkerSource.Nats);
            builder.Services.AddSingleton<NatsFrameWorkerService>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<NatsFrameWorkerService>());
        }
        else
        {
            builder.Services.AddSingleton(sp => new BlueZTransport(
                setup.Ble,
                setup.Profiles,
                setup.Devices.ToDictionary(d => d.Address, d => d.Profile.Id, StringComparer.Ordinal),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<BlueZTransport>>()));
            builder.Services.AddSingleton<DeviceFaultCounters>();
            // Before the worker, so /healthz and /readyz answer while it starts (docs/operations.md#monitoring).
            builder.Services.AddWorkerMonitoring(configuration);
            builder.Services.AddSingleton<AdherenceWorker>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<AdherenceWorker>());
        }

        if (webBuilder is null)
        {
            return hostBuilder!.Build();
        }

        // Registered after the worker's clock, so the pages share it.
        webBuilder.Services.AddAdherenceWeb(webBuilder.Configuration);
        var app = webBuilder.Build();
        app.MapAdherenceWeb();
        return app;
    }
}
