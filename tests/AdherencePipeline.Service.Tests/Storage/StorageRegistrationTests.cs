using AdherencePipeline.Service.Storage;
using AdherencePipeline.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AdherencePipeline.Service.Tests.Storage;

public sealed class StorageRegistrationTests
{
    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLogging();
        builder.Services.AddInfluxStorage(builder.Configuration);
        return builder.Build();
    }

    [Fact]
    public async Task Start_BatchSizeZero_FailsNamingTheSetting()
    {
        using var host = Build(new() { ["Influx:Writer:BatchSize"] = "0" });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("BatchSize", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_V2WithoutToken_FailsNamingTheMissingKeys()
    {
        using var host = Build(new() { ["Influx:Api"] = "V2", ["Influx:Organization"] = "org" });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Influx:Token", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_V1Settings_GivesTheV1Endpoint()
    {
        var spool = Directory.CreateTempSubdirectory("registration-").FullName;
        using var host = Build(new() { ["Influx:Url"] = "http://127.0.0.1:9", ["Influx:Database"] = "trial", ["Influx:Writer:SpoolDirectory"] = spool });

        var endpoint = host.Services.GetRequiredService<IInfluxWriteEndpoint>();
        await using (host.Services.GetRequiredService<InfluxLineWriter>())
        {
            Assert.IsType<InfluxV1WriteEndpoint>(endpoint);
            Assert.Equal("v1 http://127.0.0.1:9/ db=trial", endpoint.Description);
        }

        Directory.Delete(spool, recursive: true);
    }
}
