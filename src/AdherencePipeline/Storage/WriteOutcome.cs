namespace AdherencePipeline.Storage;

/// <summary>How the server answered one write request.</summary>
public enum WriteOutcomeKind
{
    /// <summary>Every line was stored.</summary>
    Accepted,

    /// <summary>The server refused some lines as malformed (HTTP 400); resending them will not help.</summary>
    Rejected,

    /// <summary>The request body was too large (HTTP 413); smaller requests will succeed.</summary>
    TooLarge,

    /// <summary>A passing problem: network error, timeout, 5xx or 429. Retry later.</summary>
    Retry,

    /// <summary>Authentication or authorisation failed (401/403). Retrying needs a configuration change.</summary>
    Unauthorized,

    /// <summary>The database or bucket does not exist (404).</summary>
    DatabaseNotFound,
}

/// <summary>The answer to one write request.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="StatusCode">The HTTP status, or <c>null</c> when no response arrived.</param>
/// <param name="Message">The server's error text, or a description of the transport failure.</param>
/// <param name="RetryAfter">The server's <c>Retry-After</c>, when it sent one.</param>
public readonly record struct WriteOutcome(WriteOutcomeKind Kind, int? StatusCode = null, string? Message = null, TimeSpan? RetryAfter = null)
{
    /// <summary>The successful outcome.</summary>
    public static WriteOutcome Accepted { get; } = new(WriteOutcomeKind.Accepted, 204);
}

/// <summary>
/// One InfluxDB write API. Implementations turn every answer, including transport failures, into a
/// <see cref="WriteOutcome"/>; they throw only for cancellation.
/// </summary>
public interface IInfluxWriteEndpoint
{
    /// <summary>A short description for logs, e.g. <c>v1 http://127.0.0.1:8086 db=adherence</c>.</summary>
    string Description { get; }

    /// <summary>Writes newline-separated line protocol with nanosecond timestamps.</summary>
    Task<WriteOutcome> WriteAsync(ReadOnlyMemory<byte> lines, CancellationToken cancellationToken);
}
