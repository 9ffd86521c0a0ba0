using System.CommandLine;
using AdherencePipeline.Service.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AdherencePipeline.Service.Commands;

/// <summary>
/// <c>adherence serve</c>: the web API and pages without the BLE pipeline, for a read-only deployment
/// next to a store that <c>adherence run</c> fills elsewhere. Pain reports can still be submitted.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls") { Description = "Addresses to listen on, separated by ';' (default: Web:Urls, else http://127.0.0.1:5080)." };
        var command = new Command("serve", "Serve the web API and pages (see docs/web.md).") { urls };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            WebApplication app;
            try
            {
                var configuration = CommonOptions.Build(parseResult);
                var builder = WebApplication.CreateSlimBuilder();
                builder.Configuration.AddConfiguration(configuration);
                builder.WebHost.UseUrls(parseResult.GetValue(urls) ?? configuration["Web:Urls"] ?? "http://127.0.0.1:5080");
                builder.Services.AddAdherenceWeb(builder.Configuration);
                app = builder.Build();
                app.MapAdherenceWeb();
                await app.StartAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is ConfigurationException or OptionsValidationException or InvalidOperationException or ArgumentException or IOException
                or AdherencePipeline.Adherence.RegistryValidationException)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }

            await app.WaitForShutdownAsync(cancellationToken);
            await app.DisposeAsync();
            return 0;
        });
        return command;
    }
}
