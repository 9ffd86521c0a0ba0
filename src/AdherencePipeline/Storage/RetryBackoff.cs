namespace AdherencePipeline.Storage;

/// <summary>
/// Capped exponential back-off with "equal jitter": the n-th wait is uniformly drawn from
/// [d/2, d] where d = min(cap, initial · 2ⁿ). Half the delay is guaranteed (no tight loop), the other
/// half is random (writers that failed together do not retry together).
/// </summary>
public sealed class RetryBackoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly Random _random;

    /// <summary>Creates a back-off; pass a seeded <paramref name="random"/> for reproducible tests.</summary>
    public RetryBackoff(TimeSpan initial, TimeSpan max, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initial, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, initial);
        _initial = initial;
        _max = max;
        _random = random ?? Random.Shared;
    }

    /// <summary>Failures since the last success.</summary>
    public int Attempt { get; private set; }

    /// <summary>The wait before the next retry; counts one more failure.</summary>
    public TimeSpan NextDelay(TimeSpan? serverRequested = null)
    {
        var ceiling = CeilingFor(Attempt);
        Attempt++;
        var delay = ceiling / 2 + ceiling / 2 * _random.NextDouble();
        // A server that says when to come back knows better than our guess, within our cap.
        if (serverRequested is { } requested && requested > delay)
        {
            delay = requested < _max ? requested : _max;
        }

        return delay;
    }

    /// <summary>Forgets the failures after a success.</summary>
    public void Reset() => Attempt = 0;

    /// <summary>The upper bound of the wait after <paramref name="attempt"/> earlier failures.</summary>
    public TimeSpan CeilingFor(int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt, 40));
        var ticks = _initial.Ticks * factor;
        return ticks >= _max.Ticks ? _max : TimeSpan.FromTicks((long)ticks);
    }
}
