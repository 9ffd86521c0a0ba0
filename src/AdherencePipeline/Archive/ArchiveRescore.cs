using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using AdherencePipeline.Activity;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Signal;

namespace AdherencePipeline.Archive;

/// <summary>What to re-score: one participant's archived days, with which model.</summary>
public sealed record RescoreOptions
{
    /// <summary>The participant's pseudonymous code.</summary>
    public required string Participant { get; init; }

    /// <summary>The model whose version tags the new results.</summary>
    public required ActivityModel Model { get; init; }

    /// <summary>The participant's registry entry, for prescription, time zone and adherence; optional.</summary>
    public Adherence.Participant? Registration { get; init; }

    /// <summary>Resting and maximum heart rate for %HRR, when known (default: the registration's).</summary>
    public HeartRateReserve? Reserve { get; init; }

    /// <summary>Signal settings; must be those the live pipeline used for results to compare.</summary>
    public SignalOptions Signal { get; init; } = new();

    /// <summary>First local day to re-score; from the first archived day when null.</summary>
    public DateOnly? From { get; init; }

    /// <summary>Last local day to re-score (inclusive); to the last archived day when null.</summary>
    public DateOnly? To { get; init; }
}

/// <summary>What a re-scoring did.</summary>
public sealed record RescoreSummary
{
    /// <summary>Archived records read (acceleration blocks, heart-rate values, disconnects, faults).</summary>
    public long Records { get; init; }

    /// <summary>Accelerometer samples read.</summary>
    public long AccelerometerSamples { get; init; }

    /// <summary>Windows classified by the new model.</summary>
    public long Classified { get; init; }

    /// <summary>Bouts closed.</summary>
    public long Bouts { get; init; }

    /// <summary>Sessions closed.</summary>
    public long Sessions { get; init; }

    /// <summary>Points handed to storage.</summary>
    public long Points { get; init; }

    /// <summary>Damage met in the archive (each already reported).</summary>
    public long Issues { get; init; }

    /// <summary>Wall time the re-scoring took.</summary>
    public TimeSpan WallTime { get; init; }

    /// <summary>Accelerometer samples per second of wall time.</summary>
    public double SamplesPerSecond => WallTime > TimeSpan.Zero ? AccelerometerSamples / WallTime.TotalSeconds : 0;
}

/// <summary>
/// Runs a participant's archived raw data through <see cref="ParticipantScoring"/>, the
/// composition replay and the live worker use, with a given model, so the new results carry that
/// model's version and the earlier versions' points stay as they were.
/// </summary>
public static class ArchiveRescore
{
    /// <summary>
    /// Re-scores the participant's archive under <paramref name="root"/>; <paramref name="store"/> is
    /// the storage stage (e.g. <see cref="PipelineStages.Store"/>), <paramref name="issues"/> hears
    /// every damaged block or torn tail met on the way.
    /// </summary>
    public static async Task<RescoreSummary> RunAsync(string root, RescoreOptions options, Func<IObservable<PipelineEvent>, IObservable<PipelineEvent>> store, Action<ArchiveIssue> issues, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(issues);
        long records = 0, samples = 0, classified = 0, bouts = 0, sessions = 0, points = 0, damage = 0;
        var archived = Observable.Create<DeviceData>(observer =>
        {
            // Read on subscription, as fast as the pipeline takes it: blocks, not samples, go through Rx.
            using var reader = ParticipantArchive.Read(root, options.Participant, issue =>
            {
                damage++;
                issues(issue);
            }, options.From, options.To).GetEnumerator();
            while (true)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    observer.OnError(new OperationCanceledException(cancellationToken));
                    return Disposable.Empty;
                }

                DeviceData data;
                try
                {
                    if (!reader.MoveNext())
                    {
                        break;
                    }

                    data = reader.Current;
                }
                catch (IOException ex)
                {
                    observer.OnError(ex);
                    return Disposable.Empty;
                }

                records++;
                samples += data is AccelerationData a ? a.TimestampsNs.Length : 0;
                observer.OnNext(data);
            }

            observer.OnCompleted();
            return Disposable.Empty;
        });
        var context = new ParticipantContext(options.Participant, options.Reserve ?? options.Registration?.HeartRateReserve);
        var events = archived.Score(context, options.Signal, options.Model, options.Registration)
            .Do(e =>
            {
                switch (e)
                {
                    case ActivityEvent:
                        classified++;
                        break;
                    case BoutEvent:
                        bouts++;
                        break;
                    case SessionEvent:
                        sessions++;
                        break;
                }
            });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await store(events)
            .Do(e => Interlocked.Add(ref points, PipelinePoints.IsStored(e) ? 1 : 0))
            .DefaultIfEmpty()
            .LastAsync()
            .ToTask(cancellationToken)
            .ConfigureAwait(false);
        watch.Stop();
        return new RescoreSummary
        {
            Records = records,
            AccelerometerSamples = samples,
            Classified = classified,
            Bouts = bouts,
            Sessions = sessions,
            Points = Interlocked.Read(ref points),
            Issues = damage,
            WallTime = watch.Elapsed,
        };
    }
}
