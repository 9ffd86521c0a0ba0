using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;

namespace AdherencePipeline.Storage;

/// <summary>
/// Writes through the v1 HTTP API: <c>POST /write?db=&amp;rp=&amp;precision=ns</c>. Works against
/// InfluxDB 1.x and the v1-compatible endpoints of 2.x, 3.x and Cloud.
/// </summary>
public sealed class InfluxV1WriteEndpoint : IInfluxWriteEndpoint
{
    private readonly HttpClient _http;
    private readonly InfluxConnectionOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates an endpoint that sends through <paramref name="http"/>; the caller owns the client.</summary>
    public InfluxV1WriteEndpoint(HttpClient http, InfluxConnectionOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _http = http;
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Description => $"v1 {_options.Url} db={_options.Database}";

    /// <inheritdoc />
    /// <remarks>With <see cref="InfluxConnectionOptions.CreateDatabase"/>, a missing database is created and the write repeated once.</remarks>
    public async Task<WriteOutcome> WriteAsync(ReadOnlyMemory<byte> lines, CancellationToken cancellationToken)
    {
        var outcome = await WriteOnceAsync(lines, cancellationToken).ConfigureAwait(false);
        if (outcome.Kind == WriteOutcomeKind.DatabaseNotFound && _options.CreateDatabase
            && await TryCreateDatabaseAsync(cancellationToken).ConfigureAwait(false))
        {
            outcome = await WriteOnceAsync(lines, cancellationToken).ConfigureAwait(false);
        }

        return outcome;
    }

    private async Task<WriteOutcome> WriteOnceAsync(ReadOnlyMemory<byte> lines, CancellationToken cancellationToken)
    {
        using var request = InfluxHttp.Request(HttpMethod.Post, _options, "/write",
        [
            new("db", _options.Database),
            new("rp", _options.RetentionPolicy),
            new("precision", "ns"),
        ]);
        request.Content = _options.Gzip ? Gzip(lines.Span) : new ReadOnlyMemoryContent(lines);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return WriteOutcome.Accepted;
            }

            var status = (int)response.StatusCode;
            var message = await InfluxHttp.ReadErrorAsync(response, timeout.Token).ConfigureAwait(false);
            return response.StatusCode switch
            {
                HttpStatusCode.BadRequest => new(WriteOutcomeKind.Rejected, status, message),
                HttpStatusCode.RequestEntityTooLarge => new(WriteOutcomeKind.TooLarge, status, message),
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new(WriteOutcomeKind.Unauthorized, status, message),
                HttpStatusCode.NotFound => new(WriteOutcomeKind.DatabaseNotFound, status, message),
                _ => new(WriteOutcomeKind.Retry, status, message, InfluxHttp.RetryAfter(response, _time)),
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
        catch (IOException ex)
        {
            return new(WriteOutcomeKind.Retry, null, ex.Message);
        }
    }

    /// <summary>Runs <c>CREATE DATABASE</c> (a no-op when it exists); returns whether the server agreed.</summary>
    public async Task<bool> TryCreateDatabaseAsync(CancellationToken cancellationToken)
    {
        using var request = InfluxHttp.Request(HttpMethod.Post, _options, "/query",
        [
            new("q", "CREATE DATABASE " + InfluxQL.Identifier(_options.Database)),
        ]);
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static ByteArrayContent Gzip(ReadOnlySpan<byte> lines)
    {
        var compressed = new MemoryStream(lines.Length / 4 + 64);
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(lines);
        }

        var content = new ByteArrayContent(compressed.GetBuffer(), 0, (int)compressed.Length);
        content.Headers.ContentEncoding.Add("gzip");
        return content;
    }
}
