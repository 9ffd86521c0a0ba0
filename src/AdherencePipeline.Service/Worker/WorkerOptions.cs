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
