using System.IO.Compression;
using System.Text;
using AdherencePipeline.Service.Storage;
using AdherencePipeline.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AdherencePipeline.Service.Tests.Storage;

/// <summary>
/// The v2 endpoint against a local HTTP server that answers <c>POST /api/v2/write</c> as InfluxDB 2.x
/// does (InfluxDB 2.x itself is not packaged for this platform).
/// </summary>
public sealed class InfluxV2WriteEndpointTests : IAsyncLifetime
{
    private WebApplication? _app;
    private Uri? _url;
    private Func<HttpContext, Task<IResult>> _answer = _ => Task.FromResult(Results.NoContent());
    private readonly List<(string Query, string? Authorization, string Body)> _requests = [];

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/api/v2/write", async (HttpContext context) =>
        {
            Stream body = context.Request.Body;
            if (context.Request.Headers.ContentEncoding == "gzip")
            {
                body = new GZipStream(body, CompressionMode.Decompress);
            }

            using var reader = new StreamReader(body, Encoding.UTF8);
            var text = await reader.ReadToEndAsync();
            lock (_requests)
            {
                _requests.Add((context.Request.QueryString.Value ?? "", context.Request.Headers.Authorization, text));
            }

            return await _answer(context);
        });
        await _app.StartAsync();
        _url = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private InfluxV2WriteEndpoint Endpoint(bool gzip = true) => new(new InfluxConnectionOptions
    {
        Url = _url!,
        Api = InfluxApi.V2,
        Organization = "trial-org",
        Bucket = "adherence",
        Token = "s3cret",
        Gzip = gzip,
        RequestTimeout = TimeSpan.FromSeconds(10),
    });

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Write_Accepted_SendsLinesWithOrgBucketPrecisionAndToken(bool gzip)
    {
        using var endpoint = Endpoint(gzip);

        var outcome = await endpoint.WriteAsync("m,p=P001 v=1 1\nm,p=P001 v=2 2\n"u8.ToArray(), default);

        Assert.Equal(WriteOutcomeKind.Accepted, outcome.Kind);
        var request = Assert.Single(_requests);
        Assert.Contains("org=trial-org", request.Query, StringComparison.Ordinal);
        Assert.Contains("bucket=adherence", request.Query, StringComparison.Ordinal);
        Assert.Contains("precision=ns", request.Query, StringComparison.Ordinal);
        Assert.Equal("Token s3cret", request.Authorization);
        Assert.Equal(["m,p=P001 v=1 1", "m,p=P001 v=2 2"], request.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData(400, WriteOutcomeKind.Rejected)]
    [InlineData(413, WriteOutcomeKind.TooLarge)]
    [InlineData(401, WriteOutcomeKind.Unauthorized)]
    [InlineData(404, WriteOutcomeKind.DatabaseNotFound)]
    [InlineData(500, WriteOutcomeKind.Retry)]
    [InlineData(503, WriteOutcomeKind.Retry)]
    public async Task Write_ErrorStatus_MapsToOutcome(int status, WriteOutcomeKind expected)
    {
        _answer = _ => Task.FromResult(Results.Json(new { code = "invalid", message = "failed to parse line protocol" }, statusCode: status));
        using var endpoint = Endpoint();

        var outcome = await endpoint.WriteAsync("m v=1 1\n"u8.ToArray(), default);

        Assert.Equal(expected, outcome.Kind);
        Assert.Equal(status, outcome.StatusCode);
    }

    [Fact]
    public async Task Write_TooManyRequestsWithRetryAfter_PassesTheWaitOn()
    {
        _answer = context =>
        {
            context.Response.Headers.RetryAfter = "7";
            return Task.FromResult(Results.StatusCode(429));
        };
        using var endpoint = Endpoint();

        var outcome = await endpoint.WriteAsync("m v=1 1\n"u8.ToArray(), default);

        Assert.Equal(WriteOutcomeKind.Retry, outcome.Kind);
        Assert.Equal(TimeSpan.FromSeconds(7), outcome.RetryAfter);
    }

    [Fact]
    public async Task Write_NothingListening_ReportsRetry()
    {
        using var endpoint = Endpoint();
        await _app!.StopAsync();

        var outcome = await endpoint.WriteAsync("m v=1 1\n"u8.ToArray(), default);

        Assert.Equal(WriteOutcomeKind.Retry, outcome.Kind);
    }
}
