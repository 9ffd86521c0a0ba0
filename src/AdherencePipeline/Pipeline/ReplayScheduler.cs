using System.Reactive.Concurrency;

namespace AdherencePipeline.Pipeline;

/// <summary>
/// Virtual time for replays: a <see cref="HistoricalScheduler"/> that can run flat out or be paced
/// against the real clock. Everything downstream sees only the virtual clock, so a replay at any
/// speed produces the same data as one at maximum speed.
/// </summary>
public sealed class ReplayScheduler : HistoricalScheduler
{
    /// <summary>Creates a scheduler whose clock starts at <paramref name="start"/>.</summary>
    public ReplayScheduler(DateTimeOffset start)
        : base(start)
    {
    }

    /// <summary>
    /// Runs every scheduled item. With <paramref name="speed"/> null, as fast as possible; otherwise
    /// at that multiple of real time (1 = real time), waiting between items.
    /// </summary>
    public async Task RunAsync(double? speed, CancellationToken cancellationToken)
    {
        if (speed is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Start();
            return;
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(speed.Value, 0);
        var wallStart = TimeProvider.System.GetTimestamp();
        var virtualStart = Now;
        while (GetNext() is { } next)
        {
            var due = TimeSpan.FromTicks((long)((next.DueTime - virtualStart).Ticks / speed.Value));
            var wait = due - TimeProvider.System.GetElapsedTime(wallStart);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            // As Start() does, one item at a time: AdvanceTo ignores items due at the current time.
            if (next.DueTime > Clock)
            {
                Clock = next.DueTime;
            }

            next.Invoke();
        }
    }
}
