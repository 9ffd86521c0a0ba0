namespace AdherencePipeline.Nats;

/// <summary>Settings of a worker that consumes participants' frames from JetStream (configuration section <c>Nats:Worker</c>).</summary>
public sealed class FrameWorkerOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Nats:Worker";

    /// <summary>
    /// The worker's name, stored in its leases; unique per running worker. Empty: the host name and
    /// process id.
    /// </summary>
    public string Name { get; set; } = "";

    /// <summary>
    /// How long a participant's frames may stop before the wear period ends: the open second, window,
    /// bout and session are closed, written, and the next frame starts afresh (the new restart point).
    /// Also applied to the frames' own receive times, so a spool drained after a long outage splits
    /// where the live stream would have. Keep it longer than a gateway outage you want to bridge.
    /// </summary>
    public TimeSpan IdleClose { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Only participants of these sites are taken; empty for every site in the registry.</summary>
    public IList<string> Sites { get; } = [];

    /// <summary>Stored sessions this far before a wear period are read back, so its adherence counts them; zero for none.</summary>
    public TimeSpan SessionHistory { get; set; } = TimeSpan.FromDays(15);

    /// <summary>The name to use: <see cref="Name"/>, or the host name and process id when empty.</summary>
    public string EffectiveName => Name.Length > 0 ? Name : $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is wrong.</summary>
    public void Validate()
    {
        if (EffectiveName.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new ArgumentException($"{SectionName}:Name '{Name}' must not contain spaces or control characters.");
        }

        if (IdleClose < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException($"{SectionName}:IdleClose must be at least 1 s.");
        }

        foreach (var site in Sites)
        {
            if (!FrameSubjects.IsValidToken(site, out var problem))
            {
                throw new ArgumentException($"{SectionName}:Sites: {problem}");
            }
        }

        if (SessionHistory < TimeSpan.Zero)
        {
            throw new ArgumentException($"{SectionName}:SessionHistory must not be negative.");
        }
    }
}
