using System.ComponentModel.DataAnnotations;

namespace AdherencePipeline.Storage;

/// <summary>How the line-protocol writer batches, spools and retries. Bound from <c>Influx:Writer</c>.</summary>
public sealed class InfluxWriterOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Influx:Writer";

    /// <summary>Most lines per write request. InfluxDB recommends 5,000 to 10,000.</summary>
    [Range(1, 1_000_000)]
    public int BatchSize { get; set; } = 5_000;

    /// <summary>Longest a point waits in a partial batch before the batch is written.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Points accepted but not yet batched. When full, <see cref="InfluxLineWriter.WriteAsync"/> waits:
    /// memory stays bounded and producers slow down instead of losing data.
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxPendingPoints { get; set; } = 100_000;

    /// <summary>Folder of the durable spool. Required: it is what makes an outage lose nothing.</summary>
    [Required]
    public string SpoolDirectory { get; set; } = "spool";

    /// <summary>Most bytes the spool keeps while the server is away (default 1 GiB); beyond it producers wait.</summary>
    [Range(1_024L, long.MaxValue)]
    public long MaxSpoolBytes { get; set; } = 1L << 30;

    /// <summary>JSON-lines file that receives lines the server rejected as malformed, with its message.
    /// Empty means <c>dead-letter.jsonl</c> inside the spool folder.</summary>
    public string? DeadLetterPath { get; set; }

    /// <summary>First wait after a failed write; doubles up to <see cref="MaxRetryDelay"/>, with jitter.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between retries.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long disposal keeps trying to deliver what is spooled before leaving it for the next start.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The dead-letter file's path after applying the default.</summary>
    public string ResolvedDeadLetterPath =>
        string.IsNullOrWhiteSpace(DeadLetterPath) ? Path.Combine(SpoolDirectory, "dead-letter.jsonl") : DeadLetterPath;
}
