using System.Diagnostics;

namespace AdherencePipeline.Testing;

/// <summary>Waits for a condition that a background worker makes true (e.g. a retry counted), with a deadline.</summary>
public static class Eventually
{
    /// <summary>Completes when <paramref name="condition"/> holds; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
            }

            await Task.Delay(10).ConfigureAwait(false);
        }
    }
}
