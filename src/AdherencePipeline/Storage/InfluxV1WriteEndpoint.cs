using System.Buffers;
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
    /// <remarks>
    /// With <see cref="InfluxConnectionOptions.CreateDatabase"/>, a missing database is created and the write
    /// repeated once. With <see cref="InfluxConnectionOptions.RetentionPolicies"/>, the batch is sent as one
    /// request per retention policy; the first failure is the answer, and the caller then resends the whole
    /// batch, which is harmless because a point written twice is stored once.
    /// </remarks>
    public async Task<WriteOutcome> WriteAsync(ReadOnlyMemory<byte> lines, CancellationToken cancellationToken)
    {
        if (_options.RetentionPolicies.Count == 0)
        {
            return await WriteToPolicyAsync(lines, _options.RetentionPolicy, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (policy, part) in SplitByPolicy(lines.Span))
        {
            var outcome = await WriteToPolicyAsync(part.WrittenMemory, policy, cancellationToken).ConfigureAwait(false);
            if (outcome.Kind != WriteOutcomeKind.Accepted)
            {
                return outcome;
            }
        }

        return WriteOutcome.Accepted;
    }

    private async Task<WriteOutcome> WriteToPolicyAsync(ReadOnlyMemory<byte> lines, string? policy, CancellationToken cancellationToken)
    {
        var outcome = await WriteOnceAsync(lines, policy, cancellationToken).ConfigureAwait(false);
        if (outcome.Kind == WriteOutcomeKind.DatabaseNotFound && _options.CreateDatabase
            && await TryCreateDatabaseAsync(cancellationToken).ConfigureAwait(false))
        {
            outcome = await WriteOnceAsync(lines, policy, cancellationToken).ConfigureAwait(false);
        }

        return outcome;
    }

    // Groups lines by the retention policy of their measurement (the text before the first unescaped ',' or
    // ' '), keeping their order within each group; the measurement names in the settings are compared unescaped.
    private List<(string? Policy, ArrayBufferWriter<byte> Lines)> SplitByPolicy(ReadOnlySpan<byte> lines)
    {
        var groups = new List<(string? Policy, ArrayBufferWriter<byte> Lines)>();
        while (!lines.IsEmpty)
        {
            var end = lines.IndexOf((byte)'\n');
            var line = end < 0 ? lines : lines[..(end + 1)];
            lines = end < 0 ? [] : lines[(end + 1)..];
            if (line.Trim((byte)'\n').IsEmpty)
            {
                continue;
            }

            var policy = _options.RetentionPolicyFor(Measurement(line));
            var group = groups.FindIndex(g => g.Policy == policy);
            if (group < 0)
            {
                groups.Add((policy, new ArrayBufferWriter<byte>(lines.Length + line.Length)));
                group = groups.Count - 1;
            }

            groups[group].Lines.Write(line);
        }

        return groups;
    }

    private static string Measurement(ReadOnlySpan<byte> line)
    {
        var name = new System.Text.StringBuilder();
        for (var i = 0; i < line.Length; i++)
        {
            var b = line[i];
            if (b == (byte)'\\' && i + 1 < line.Length)
            {
                name.Append((char)line[++i]);
                continue;
            }

            if (b is (byte)',' or (byte)' ' or (byte)'\n')
            {
                break;
            }

            name.Append((char)b);
        }

        return name.ToString();
    }

    private async Task<WriteOutcome> WriteOnceAsync(ReadOnlyMemory<byte> lines, string? policy, CancellationToken cancellationToken)
    {
        using var request = InfluxHttp.Request(HttpMethod.Post, _options, "/write",
        [
            new("db", _options.Database),
            new("rp", policy),
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
            return new(WriteOutcomeKind.Retry, null, InfluxHttpClient.Describe(ex));
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
