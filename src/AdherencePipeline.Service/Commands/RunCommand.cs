using System.CommandLine;
using AdherencePipeline.Service.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace AdherencePipeline.Service.Commands;

/// <summary>
/// <c>adherence run</c>: the long-running service. Checks its whole configuration first and lists every
/// problem with its key or file (exit 1); then streams the bound devices into InfluxDB until SIGTERM or
/// Ctrl-C, closes what is open, flushes, and exits 0.
/// </summary>
internal static class RunCommand
{
    public const int BadConfiguration = 1;

    public static Command Create()
    {
        var sourceOption = new Option<WorkerSource?>("--source")
        {
            Description = "Where frames come from: ble (the devices bound today, through BlueZ; the default) or nats (gateways' frames from NATS JetStream, shared with other workers). Overrides Worker:Source.",
        };
        var command = new Command("run", "Run the service: the BLE transport (or NATS JetStream with --source nats), the pipeline and the storage writer, for every device bound to a participant today.")
        {
            sourceOption,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            Microsoft.Extensions.Configuration.IConfigurationRoot configuration;
            try
            {
                configuration = CommonOptions.Build(parseResult);
                if (parseResult.GetValue(sourceOption) is { } source)
                {
                    configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
                        .AddConfiguration(configuration)
                        .AddInMemoryCollection([new KeyValuePair<string, string?>("Worker:Source", source.ToString())])
                        .Build();
                }
            }
            catch (ConfigurationException ex)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return BadConfiguration;
            }

            if (WorkerSetup.Check(configuration, DateTimeOffset.UtcNow, out var problems) is not { } setup)
            {
                await error.WriteLineAsync($"error: adherence run cannot start; {problems.Count} problem(s):");
                foreach (var problem in problems)
                {
                    await error.WriteLineAsync($"  {problem}");
                }

                return BadConfiguration;
            }

            using var host = WorkerHost.Build(configuration, setup);
            // The host's console lifetime handles SIGTERM and Ctrl-C and runs the worker's stop.
            await host.RunAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// How the command line is invoked: for <c>run</c> without System.CommandLine's own termination
    /// handling (which would end the process after 2 s), so the host stops the service itself.
    /// </summary>
    public static InvocationConfiguration Invocation(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return parseResult.CommandResult.Command.Name == "run"
            ? new InvocationConfiguration { ProcessTerminationTimeout = null }
            : new InvocationConfiguration();
    }
}
