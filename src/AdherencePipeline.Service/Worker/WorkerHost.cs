using AdherencePipeline.BlueZ;
using AdherencePipeline.Service.Storage;
using AdherencePipeline.Storage;
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
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
        });
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
        builder.Services.AddSingleton(sp => new BlueZTransport(
            setup.Ble,
            setup.Profiles,
            setup.Devices.ToDictionary(d => d.Address, d => d.Profile.Id, StringComparer.Ordinal),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<BlueZTransport>>()));
        builder.Services.AddSingleton<AdherenceWorker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AdherenceWorker>());
        return builder.Build();
    }
}
