using System.Collections.Concurrent;

namespace AdherencePipeline.Nats;

/// <summary>
/// Numbers each device's frames for the message id <c>&lt;site&gt;.&lt;participant&gt;.&lt;device&gt;-&lt;sequence&gt;</c>. Within a run
/// the numbers rise by one per frame (a gap is a lost frame); each run starts at the run's start time
/// in microseconds since the Unix epoch, so a restarted gateway never reuses a number its previous run
/// gave, as long as a device sends fewer than a million frames a second and the clock does not step
/// back across the restart. Thread-safe.
/// </summary>
public sealed class FrameSequencer
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _next = new(StringComparer.Ordinal);

    /// <summary>Starts a run at <paramref name="time"/>'s now.</summary>
    public FrameSequencer(TimeProvider? time = null)
    {
        RunStart = (time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds() * 1_000;
    }

    /// <summary>The first number of every device in this run.</summary>
    public long RunStart { get; }

    /// <summary>The next number of <paramref name="deviceAddress"/>.</summary>
    public long Next(string deviceAddress)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceAddress);
        var box = _next.GetOrAdd(deviceAddress, static (_, start) => new StrongBox<long>(start - 1), RunStart);
        return Interlocked.Increment(ref box.Value);
    }

    private sealed class StrongBox<T>(T value)
    {
        public T Value = value;
    }
}
