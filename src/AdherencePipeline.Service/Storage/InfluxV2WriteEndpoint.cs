using System.Net;
using System.Text;
using AdherencePipeline.Storage;
using InfluxDB.Client;
using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Core.Exceptions;

namespace AdherencePipeline.Service.Storage;

/// <summary>
/// Writes through the native InfluxDB 2.x API (<c>/api/v2/write</c>, organisation, bucket, token) with
/// the official client. Used when <c>Influx:Api</c> is <c>V2</c>; 2.x, 3.x and Cloud also accept the
/// v1 endpoint, which needs no extra client.
/// </summary>
internal sealed class InfluxV2WriteEndpoint : IInfluxWriteEndpoint, IDisposable
{
    private readonly InfluxDBClient _client;
    private readonly WriteApiAsync _write;
    private readonly InfluxConnectionOptions _options;

    public InfluxV2WriteEndpoint(InfluxConnectionOptions options)
    {
        options.Validate();
        _options = options;
        var clientOptions = new InfluxDBClientOptions.Builder()
            .Url(options.Url.ToString())
            .AuthenticateToken(options.Token!)
            .Org(options.Organization)
            .Bucket(options.Bucket)
            .TimeOut(options.RequestTimeout)
            .Build();
        _client = new InfluxDBClient(clientOptions);
        if (options.Gzip)
        {
            _client.EnableGzip();
        }

        _write = _client.GetWriteApiAsync();
    }

    public string Description => $"v2 {_options.Url} org={_options.Organization} bucket={_options.Bucket}";

    public async Task<WriteOutcome> WriteAsync(ReadOnlyMemory<byte> lines, CancellationToken cancellationToken)
    {
        var records = Encoding.UTF8.GetString(lines.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            await _write.WriteRecordsAsync(records, WritePrecision.Ns, _options.Bucket, _options.Organization, cancellationToken);
            return WriteOutcome.Accepted;
        }
        catch (HttpException ex)
        {
            var retryAfter = ex.RetryAfter is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
            var message = string.IsNullOrEmpty(ex.Message) ? $"HTTP {ex.Status}" : ex.Message;
            return (HttpStatusCode)ex.Status switch
            {
                HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity => new(WriteOutcomeKind.Rejected, ex.Status, message),
                HttpStatusCode.RequestEntityTooLarge => new(WriteOutcomeKind.TooLarge, ex.Status, message),
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new(WriteOutcomeKind.Unauthorized, ex.Status, message),
                HttpStatusCode.NotFound => new(WriteOutcomeKind.DatabaseNotFound, ex.Status, message),
                _ => new(WriteOutcomeKind.Retry, ex.Status == 0 ? null : ex.Status, message, retryAfter),
            };
        }
        catch (HttpRequestException ex)
        {
            return new(WriteOutcomeKind.Retry, null, ex.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new(WriteOutcomeKind.Retry, null, $"No answer within {_options.RequestTimeout.TotalSeconds:0.#} s.");
        }
        catch (InfluxException ex)
        {
            // The client reports transport failures (refused connections, resets) as its base exception.
            return new(WriteOutcomeKind.Retry, ex.Status == 0 ? null : ex.Status, ex.Message);
        }
    }

    public void Dispose() => _client.Dispose();
}
