using AdherencePipeline.Adherence;
using AdherencePipeline.Nats;
using Microsoft.Extensions.Configuration;

namespace AdherencePipeline.Service.Worker;

/// <summary>The settings of <c>adherence run</c> with <c>Worker:Source=Nats</c>: the cluster, the stream, leases, consumers and the worker's own.</summary>
internal sealed record NatsWorkerSettings(
    NatsClientOptions Client,
    FrameStreamOptions Stream,
    FrameWorkerOptions Worker,
    ParticipantLeaseOptions Leases,
    ParticipantFrameConsumerOptions Consumer)
{
    /// <summary>
    /// Binds and checks the <c>Nats</c> settings a worker uses; <c>Worker:SessionHistory</c> applies to the
    /// wear periods' read-back. Every problem goes to <paramref name="errors"/> with its key; null when any.
    /// </summary>
    public static NatsWorkerSettings? Check(IConfiguration configuration, WorkerOptions worker, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(errors);
        var before = errors.Count;
        var client = Bind<NatsClientOptions>(configuration, NatsClientOptions.SectionName, errors, o => o.Validate());
        var stream = Bind<FrameStreamOptions>(configuration, "Nats:Stream", errors, o => o.Validate());
        var frameWorker = Bind<FrameWorkerOptions>(configuration, FrameWorkerOptions.SectionName, errors, o =>
        {
            o.SessionHistory = worker.SessionHistory;
            o.Validate();
        });
        var leases = Bind<ParticipantLeaseOptions>(configuration, ParticipantLeaseOptions.SectionName, errors, o => o.Validate());
        var consumer = Bind<ParticipantFrameConsumerOptions>(configuration, ParticipantFrameConsumerOptions.SectionName, errors, o => o.Validate());
        return errors.Count > before ? null : new NatsWorkerSettings(client!, stream!, frameWorker!, leases!, consumer!);
    }

    /// <summary>The registry's participants this worker may take (those of <see cref="FrameWorkerOptions.Sites"/>, or all).</summary>
    public IReadOnlyList<Participant> Eligible(ParticipantRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return [.. registry.Participants.Where(p => Worker.Sites.Count == 0 || Worker.Sites.Contains(p.Site))];
    }

    private static T? Bind<T>(IConfiguration configuration, string section, List<string> errors, Action<T> validate)
        where T : class, new()
    {
        try
        {
            var options = new T();
            configuration.GetSection(section).Bind(options);
            validate(options);
            return options;
        }
        catch (InvalidOperationException ex)
        {
            // The binder's message names the key whose value could not be converted.
            errors.Add($"{section}: {ex.Message}");
        }
        catch (ArgumentException ex)
        {
            errors.Add(ex.Message);
        }

        return null;
    }
}
