using AdherencePipeline.Service.Commands;
using AdherencePipeline.Service.Monitoring;
using Microsoft.Extensions.Configuration;

namespace AdherencePipeline.Service.Tests.Monitoring;

public sealed class MonitoringOptionsTests
{
    [Fact]
    public void Validate_NotAnHttpAddress_NamesTheKeyAndTheValue()
    {
        var options = new MonitoringOptions { Urls = "http://127.0.0.1:9464;ftp://127.0.0.1:21" };

        var error = Assert.Single(options.Validate());

        Assert.Equal("Monitoring:Urls: 'ftp://127.0.0.1:21' is not an address to listen on such as http://127.0.0.1:9464.", error);
    }

    [Theory]
    [InlineData(" ")]
    [InlineData(null)]
    public void UrlList_EmptyOrNull_TurnsTheEndpointsOff(string? urls)
    {
        var options = new MonitoringOptions { Urls = urls };

        Assert.Empty(options.UrlList);
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void DefaultAddress_MonitoringOff_SaysToPassUrl()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Monitoring:Urls"] = "" }).Build();

        var ex = Assert.Throws<InvalidOperationException>(() => StatusCommand.DefaultAddress(configuration));

        Assert.Equal("Monitoring:Urls is empty, so the service serves no monitoring endpoint; pass --url.", ex.Message);
    }

    [Theory]
    [InlineData("http://0.0.0.0:9500", "http://127.0.0.1:9500/")]
    [InlineData("http://localhost:9464", "http://127.0.0.1:9464/")]
    [InlineData("http://+:9500;http://10.0.0.5:9501", "http://127.0.0.1:9500/")]
    [InlineData("http://[::1]:9500", "http://[::1]:9500/")]
    public void DefaultAddress_MonitoringUrls_IsTheFirstWithAWildcardHostMadeLoopback(string? urls, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Monitoring:Urls"] = urls }).Build();

        Assert.Equal(new Uri(expected), StatusCommand.DefaultAddress(configuration));
    }

    [Fact]
    public void DefaultAddress_NothingConfigured_IsTheDefaultLoopbackPort()
    {
        var configuration = new ConfigurationBuilder().Build();

        Assert.Equal(new Uri("http://127.0.0.1:9464/"), StatusCommand.DefaultAddress(configuration));
    }
}
