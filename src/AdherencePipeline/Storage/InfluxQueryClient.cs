using System.Globalization;
using System.Text.Json;

namespace AdherencePipeline.Storage;

/// <summary>
/// Runs InfluxQL through the v1 <c>/query</c> endpoint and returns typed rows. Values that come from
/// users belong in <c>parameters</c> (bound server-side as <c>$name</c>), never spliced into the text.
/// </summary>
public sealed class InfluxQueryClient
{
    private readonly HttpClient _http;
    private readonly InfluxConnectionOptions _options;

    /// <summary>Creates a client that sends through <paramref name="http"/>; the caller owns the client.</summary>
    public InfluxQueryClient(HttpClient http, InfluxConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        options.ReadSecretFiles();
        _http = http;
        _options = options;
    }

    /// <summary>
    /// Runs a read-only query against the configured database. Timestamps come back as nanoseconds.
    /// Throws <see cref="InfluxQueryException"/> when the server or a statement reports an error, and
    /// <see cref="HttpRequestException"/> when the server cannot be reached.
    /// </summary>
    public Task<IReadOnlyList<InfluxSeries>> QueryAsync(string influxQl, IReadOnlyDictionary<string, object?>? parameters = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, influxQl, parameters, cancellationToken);

    /// <summary>Runs a statement that changes the server (CREATE, DROP, …) with POST, as InfluxDB requires.</summary>
    public Task<IReadOnlyList<InfluxSeries>> ExecuteAsync(string influxQl, IReadOnlyDictionary<string, object?>? parameters = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, influxQl, parameters, cancellationToken);

    /// <summary>
    /// <paramref name="measurement"/> as the FROM of a query: qualified with its retention policy when
    /// <see cref="InfluxConnectionOptions.RetentionPolicies"/> names one, so readers find what the writer put there.
    /// </summary>
    public string Source(string measurement) => _options.Source(measurement);

    /// <summary>Pings the server; returns its version (from the <c>X-Influxdb-Version</c> header) and the round-trip time.</summary>
    public async Task<(string Version, TimeSpan RoundTrip)> PingAsync(CancellationToken cancellationToken = default)
    {
        using var request = InfluxHttp.Request(HttpMethod.Get, _options, "/ping", []);
        var started = TimeProvider.System.GetTimestamp();
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var roundTrip = TimeProvider.System.GetElapsedTime(started);
        if (!response.IsSuccessStatusCode)
        {
            throw new InfluxQueryException((int)response.StatusCode, await InfluxHttp.ReadErrorAsync(response, cancellationToken).ConfigureAwait(false));
        }

        var version = response.Headers.TryGetValues("X-Influxdb-Version", out var values) ? string.Join(",", values) : "unknown";
        return (version, roundTrip);
    }

    private async Task<IReadOnlyList<InfluxSeries>> SendAsync(HttpMethod method, string influxQl, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(influxQl);
        var form = new List<KeyValuePair<string, string?>>
        {
            new("db", _options.Database),
            new("rp", _options.RetentionPolicy),
            new("epoch", "ns"),
        };
        using var request = InfluxHttp.Request(method, _options, "/query", method == HttpMethod.Get ? [.. form, new("q", influxQl), new("params", Params(parameters))] : form);
        if (method == HttpMethod.Post)
        {
            request.Content = new FormUrlEncodedContent(
                parameters is null ? [new("q", influxQl)] : [new("q", influxQl), new("params", Params(parameters)!)]);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InfluxQueryException((int)response.StatusCode, await InfluxHttp.ReadErrorAsync(response, timeout.Token).ConfigureAwait(false));
        }

        var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
        await using var bodyScope = body.ConfigureAwait(false);
        using var doc = await JsonDocument.ParseAsync(body, cancellationToken: timeout.Token).ConfigureAwait(false);
        return Parse(doc.RootElement);
    }

    private static string? Params(IReadOnlyDictionary<string, object?>? parameters) =>
        parameters is null || parameters.Count == 0 ? null : JsonSerializer.Serialize(parameters);

    internal static IReadOnlyList<InfluxSeries> Parse(JsonElement root)
    {
        if (root.TryGetProperty("error", out var error))
        {
            throw new InfluxQueryException(200, error.GetString() ?? "unknown error");
        }

        var series = new List<InfluxSeries>();
        if (!root.TryGetProperty("results", out var results))
        {
            return series;
        }

        foreach (var result in results.EnumerateArray())
        {
            if (result.TryGetProperty("error", out var statementError))
            {
                throw new InfluxQueryException(200, statementError.GetString() ?? "unknown error");
            }

            if (!result.TryGetProperty("series", out var seriesArray))
            {
                continue;
            }

            foreach (var s in seriesArray.EnumerateArray())
            {
                var name = s.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
                var tags = new Dictionary<string, string>(StringComparer.Ordinal);
                if (s.TryGetProperty("tags", out var t))
                {
                    foreach (var tag in t.EnumerateObject())
                    {
                        tags[tag.Name] = tag.Value.GetString() ?? "";
                    }
                }

                var columns = s.GetProperty("columns").EnumerateArray().Select(c => c.GetString() ?? "").ToArray();
                var rows = new List<InfluxRow>();
                if (s.TryGetProperty("values", out var values))
                {
                    foreach (var row in values.EnumerateArray())
                    {
                        rows.Add(new InfluxRow(columns, row.EnumerateArray().Select(v => v.Clone()).ToArray()));
                    }
                }

                series.Add(new InfluxSeries(name, tags, columns, rows));
            }
        }

        return series;
    }
}

/// <summary>One series of a query result: measurement name, GROUP BY tags, columns and rows.</summary>
/// <param name="Name">The measurement (or SHOW statement) name.</param>
/// <param name="Tags">Tag values of this group, for GROUP BY queries.</param>
/// <param name="Columns">Column names; <c>time</c> first for SELECTs.</param>
/// <param name="Rows">The rows in the server's order.</param>
public sealed record InfluxSeries(string Name, IReadOnlyDictionary<string, string> Tags, IReadOnlyList<string> Columns, IReadOnlyList<InfluxRow> Rows);

/// <summary>One row of a query result, read by column name with typed getters.</summary>
public sealed class InfluxRow
{
    private readonly string[] _columns;
    private readonly JsonElement[] _values;

    internal InfluxRow(string[] columns, JsonElement[] values)
    {
        _columns = columns;
        _values = values;
    }

    /// <summary>Whether the column is null (or absent) in this row.</summary>
    public bool IsNull(string column)
    {
        var i = Array.IndexOf(_columns, column);
        return i < 0 || i >= _values.Length || _values[i].ValueKind == JsonValueKind.Null;
    }

    /// <summary>The <c>time</c> column in nanoseconds since the Unix epoch.</summary>
    public long TimestampNs => GetInt64("time");

    /// <summary>A float column.</summary>
    public double GetDouble(string column) => Value(column).GetDouble();

    /// <summary>An integer column.</summary>
    public long GetInt64(string column) => Value(column).GetInt64();

    /// <summary>A boolean column.</summary>
    public bool GetBoolean(string column) => Value(column).GetBoolean();

    /// <summary>A string or tag column.</summary>
    public string GetString(string column) => Value(column).GetString()!;

    /// <summary>The raw JSON value of a column.</summary>
    public JsonElement Value(string column)
    {
        var i = Array.IndexOf(_columns, column);
        if (i < 0)
        {
            throw new KeyNotFoundException($"The result has no column '{column}'; it has {string.Join(", ", _columns)}.");
        }

        return _values[i];
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Join(", ", _columns.Select((c, i) => string.Create(CultureInfo.InvariantCulture, $"{c}={_values[i]}")));
}

/// <summary>InfluxDB answered a query with an error.</summary>
public sealed class InfluxQueryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InfluxQueryException(int statusCode, string message)
        : base($"InfluxDB query failed (HTTP {statusCode}): {message}")
    {
        StatusCode = statusCode;
        ServerMessage = message;
    }

    /// <summary>Creates the exception.</summary>
    public InfluxQueryException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public InfluxQueryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InfluxQueryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status, 200 when a statement inside a successful response failed.</summary>
    public int StatusCode { get; }

    /// <summary>The server's error text.</summary>
    public string? ServerMessage { get; }
}
