using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AdherencePipeline.Nats;

/// <summary>Settings of the JetStream stream that holds every raw frame (configuration section <c>Nats:Stream</c>).</summary>
public sealed class FrameStreamOptions
{
    /// <summary>The stream's name.</summary>
    public string Name { get; set; } = "ADHERENCE_FRAMES";

    /// <summary>Copies of every frame across the cluster: 3 survives the loss of one node; 1 for a single server.</summary>
    public int Replicas { get; set; } = 3;

    /// <summary>How long frames are kept whether or not a worker took them: long enough to re-score a fortnight.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(14);

    /// <summary>Most bytes kept (per replica); the oldest frames go first beyond it. -1 for no limit.</summary>
    public long MaxBytes { get; set; } = -1;

    /// <summary>How long a message id is remembered: a re-send within it is stored once.</summary>
    public TimeSpan DuplicateWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is wrong.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Name) || Name.AsSpan().IndexOfAny(" .*>\t") >= 0)
        {
            throw new ArgumentException($"Nats:Stream:Name '{Name}' is not a stream name (no dots, wildcards or spaces).");
        }

        if (Replicas is < 1 or > 5)
        {
            throw new ArgumentException($"Nats:Stream:Replicas is {Replicas}; JetStream allows 1 to 5.");
        }

        if (MaxAge <= TimeSpan.Zero)
        {
            throw new ArgumentException("Nats:Stream:MaxAge must be positive.");
        }

        if (DuplicateWindow <= TimeSpan.Zero || DuplicateWindow > MaxAge)
        {
            throw new ArgumentException("Nats:Stream:DuplicateWindow must be positive and no longer than MaxAge.");
        }
    }
}

/// <summary>Creates or updates the frame stream.</summary>
public static class FrameStreamProvisioning
{
    /// <summary>The stream configuration <paramref name="options"/> describe.</summary>
    public static StreamConfig ToConfig(FrameStreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new StreamConfig(options.Name, [FrameSubjects.All])
        {
            Description = "Raw wearable frames, adherence.frames.<site>.<participant>",
            Storage = StreamConfigStorage.File,
            // Limits, not work-queue: frames stay for MaxAge after a worker took them, so a participant
            // can be re-scored from the raw bytes and a second consumer (an archive) can read them too.
            Retention = StreamConfigRetention.Limits,
            Discard = StreamConfigDiscard.Old,
            NumReplicas = options.Replicas,
            MaxAge = options.MaxAge,
            MaxBytes = options.MaxBytes,
            DuplicateWindow = options.DuplicateWindow,
        };
    }

    /// <summary>Creates the stream, or updates its limits when it exists.</summary>
    public static async Task<INatsJSStream> EnsureAsync(INatsJSContext jetStream, FrameStreamOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jetStream);
        return await jetStream.CreateOrUpdateStreamAsync(ToConfig(options), cancellationToken).ConfigureAwait(false);
    }
}
