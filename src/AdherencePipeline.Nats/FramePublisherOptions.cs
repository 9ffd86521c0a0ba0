namespace AdherencePipeline.Nats;

/// <summary>Settings of a gateway's <see cref="FramePublisher"/> (configuration section <c>Nats:Publisher</c>).</summary>
public sealed class FramePublisherOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Nats:Publisher";

    /// <summary>The gateway's site: the third token of every subject it publishes to.</summary>
    public string Site { get; set; } = "";

    /// <summary>Where frames wait on disk until JetStream has stored them.</summary>
    public string SpoolDirectory { get; set; } = "frame-spool";

    /// <summary>Most bytes the spool holds; a full spool makes <see cref="FramePublisher.EnqueueAsync(FrameEnvelope, CancellationToken)"/> wait.</summary>
    public long MaxSpoolBytes { get; set; } = 1L << 30;

    /// <summary>Frames accepted in memory before they are on disk; a full queue makes the caller wait.</summary>
    public int MaxPendingFrames { get; set; } = 10_000;

    /// <summary>Most frames in one spool record (one disk flush).</summary>
    public int MaxFramesPerRecord { get; set; } = 512;

    /// <summary>How long one publish may wait for JetStream's acknowledgement before it counts as failed.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The first wait after a failed publish; it doubles per failure, with jitter, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait between attempts while the cluster is away.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is wrong.</summary>
    public void Validate()
    {
        if (!FrameSubjects.IsValidToken(Site, out var problem))
        {
            throw new ArgumentException($"Nats:Publisher:Site: {problem}.");
        }

        if (string.IsNullOrWhiteSpace(SpoolDirectory))
        {
            throw new ArgumentException("Nats:Publisher:SpoolDirectory is empty.");
        }

        if (MaxSpoolBytes < 1 << 20)
        {
            throw new ArgumentException("Nats:Publisher:MaxSpoolBytes must be at least 1 MiB.");
        }

        if (MaxPendingFrames < 1 || MaxFramesPerRecord < 1)
        {
            throw new ArgumentException("Nats:Publisher:MaxPendingFrames and MaxFramesPerRecord must be at least 1.");
        }

        if (PublishTimeout <= TimeSpan.Zero || InitialRetryDelay <= TimeSpan.Zero || MaxRetryDelay < InitialRetryDelay)
        {
            throw new ArgumentException("Nats:Publisher: PublishTimeout and InitialRetryDelay must be positive, MaxRetryDelay no shorter than InitialRetryDelay.");
        }
    }
}
