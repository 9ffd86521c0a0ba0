using AdherencePipeline.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdherencePipeline.Service.Storage;

/// <summary>Registers the storage layer: connection and writer options, the write endpoint, the writer and the query client.</summary>
internal static class StorageRegistration
{
    public const string HttpClientName = "influx";

    /// <summary>
    /// Binds <c>Influx</c> and <c>Influx:Writer</c>, validated when the host starts so a wrong value
    /// stops the service in its first second with the key that is wrong.
    /// </summary>
    public static IServiceCollection AddInfluxStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<InfluxConnectionOptions>()
            .Bind(configuration.GetSection(InfluxConnectionOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<InfluxConnectionOptions>, ConnectionValidator>();
        services.AddOptions<InfluxWriterOptions>()
            .Bind(configuration.GetSection(InfluxWriterOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // The writer sends one request at a time; it handles timeouts itself.
        services.AddHttpClient(HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => InfluxHttpClient.CreateHandler(sp.GetRequiredService<IOptions<InfluxConnectionOptions>>().Value));
        services.AddSingleton<IInfluxWriteEndpoint>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<InfluxConnectionOptions>>().Value;
            return options.Api == InfluxApi.V2
                ? new InfluxV2WriteEndpoint(options)
                : new InfluxV1WriteEndpoint(sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName), options);
        });
        services.AddSingleton(sp => new InfluxLineWriter(
            sp.GetRequiredService<IInfluxWriteEndpoint>(),
            sp.GetRequiredService<IOptions<InfluxWriterOptions>>().Value,
            sp.GetRequiredService<ILogger<InfluxLineWriter>>()));
        services.AddSingleton(sp => new InfluxQueryClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            sp.GetRequiredService<IOptions<InfluxConnectionOptions>>().Value));
        return services;
    }

    private sealed class ConnectionValidator : IValidateOptions<InfluxConnectionOptions>
    {
        public ValidateOptionsResult Validate(string? name, InfluxConnectionOptions options)
        {
            try
            {
                options.Validate();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException ex)
            {
                return ValidateOptionsResult.Fail(ex.Message);
            }
        }
    }
}
