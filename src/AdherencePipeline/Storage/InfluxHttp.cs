using System.Net.Http.Headers;
using System.Text;

namespace AdherencePipeline.Storage;

/// <summary>What the v1 write endpoint and the query client share: URLs and credentials.</summary>
internal static class InfluxHttp
{
    public static HttpRequestMessage Request(HttpMethod method, InfluxConnectionOptions options, string path, IEnumerable<KeyValuePair<string, string?>> query)
    {
        var sb = new StringBuilder(options.Url.GetLeftPart(UriPartial.Path).TrimEnd('/')).Append(path);
        var separator = '?';
        foreach (var (key, value) in query)
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            sb.Append(separator).Append(key).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }

        var request = new HttpRequestMessage(method, sb.ToString());
        if (!string.IsNullOrEmpty(options.Token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Token", options.Token);
        }
        else if (!string.IsNullOrEmpty(options.Username))
        {
            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Username}:{options.Password}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
        }

        return request;
    }

    /// <summary>InfluxDB puts its error text in a JSON body <c>{"error": "..."}</c>; fall back to the raw body.</summary>
    public static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && doc.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                return error.GetString()!;
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not JSON: a proxy's page or plain text. The raw body says more than nothing.
        }

        body = body.Trim();
        return body.Length == 0 ? $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}" : body;
    }

    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }
}
