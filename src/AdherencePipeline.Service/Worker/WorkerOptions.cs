using AdherencePipeline.Adherence;

namespace AdherencePipeline.Service.Worker;

/// <summary>Settings of <c>adherence run</c> (configuration section <c>Worker</c>).</summary>
internal sealed class WorkerOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Worker";

    /// <summary>
    /// Where frames come from: <see cref="WorkerSource.Ble"/> (the devices bound today, through BlueZ on this
    /// machine) or <see cref="WorkerSource.Nats"/> (gateways' frames from NATS JetStream, participants shared with other workers by lease).
    /// </summary>
    public WorkerSource Source { get; set; } = WorkerSource.Ble;

    /// <summary>How often every bound device's status is written to <c>device_status</c>, besides at every change.</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long stopping may take: devices' stop sequences, closing open windows and sessions, flushing the writer.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How far back stored sessions are read at start, so a restart mid-week keeps the week's earlier sessions in adherence.</summary>
    public TimeSpan SessionHistory { get; set; } = TimeSpan.FromDays(15);

    /// <summary>
    /// Folder of the per-participant session journals (docs/operations.md), from which a session left open
    /// by a crash is rebuilt at the next start; relative paths are taken from the current folder.
    /// </summary>
    public string StateDirectory { get; set; } = "state";

    /// <summary>
    /// The bout and session rules of the live pipeline. The defaults are the documented rules
    /// (docs/adherence.md), which replay and re-scoring use too; change them only for a study whose
    /// protocol defines its own.
    /// </summary>
    public BoutOptions Bouts { get; set; } = new();

    /// <summary>Every problem with these options, each naming its key; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (StatusInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{SectionName}:{nameof(StatusInterval)}: must be at least 00:00:01, was {StatusInterval}.");
        }

        if (StopTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{SectionName}:{nameof(StopTimeout)}: must be positive, was {StopTimeout}.");
        }

        if (SessionHistory < TimeSpan.Zero)
        {
            errors.Add($"{SectionName}:{nameof(SessionHistory)}: must not be negative, was {SessionHistory}.");
        }

        if (string.IsNullOrWhiteSpace(StateDirectory))
        {
            errors.Add($"{SectionName}:{nameof(StateDirectory)}: must name a folder.");
        }

        if (Bouts.MinimumBout <= TimeSpan.Zero)
        {
            errors.Add($"{SectionName}:{nameof(Bouts)}:{nameof(BoutOptions.MinimumBout)}: must be positive, was {Bouts.MinimumBout}.");
        }

        if (Bouts.MaximumInterruption < TimeSpan.Zero)
        {
            errors.Add($"{SectionName}:{nameof(Bouts)}:{nameof(BoutOptions.MaximumInterruption)}: must not be negative, was {Bouts.MaximumInterruption}.");
        }

        if (Bouts.MaximumSessionGap < TimeSpan.Zero)
        {
            errors.Add($"{SectionName}:{nameof(Bouts)}:{nameof(BoutOptions.MaximumSessionGap)}: must not be negative, was {Bouts.MaximumSessionGap}.");
        }

        return errors;
    }
}

/// <summary>Where <c>adherence run</c> gets its frames.</summary>
internal enum WorkerSource
{
    /// <summary>The devices bound today, through BlueZ on this machine.</summary>
    Ble,

    /// <summary>Gateways' frames from NATS JetStream (docs/deployment.md).</summary>
    Nats,
}
