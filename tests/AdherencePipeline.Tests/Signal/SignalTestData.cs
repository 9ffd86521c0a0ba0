using AdherencePipeline.Signal;

namespace AdherencePipeline.Tests.Signal;

/// <summary>Hand-made signals whose answers are known.</summary>
internal static class SignalTestData
{
    public const long Second = 1_000_000_000L;

    /// <summary>A stream at <paramref name="rateHz"/> starting at <paramref name="startNs"/>: gravity along z plus an oscillation along z.</summary>
    public static AccelerationBuffer Oscillation(double rateHz, double seconds, double frequencyHz, double amplitudeG, long startNs = 1_790_000_000L * Second, double gravityG = 1.0)
    {
        var n = (int)Math.Round(seconds * rateHz);
        var buffer = new AccelerationBuffer(n);
        for (var i = 0; i < n; i++)
        {
            var t = i / rateHz;
            buffer.Add(startNs + (long)Math.Round(t * 1e9), 0, 0, (float)(gravityG + amplitudeG * Math.Sin(2 * Math.PI * frequencyHz * t)));
        }

        return buffer;
    }

    /// <summary>Runs a whole buffer through a processor and completes it.</summary>
    public static (List<AccelerationWindow> Windows, List<SignalGap> Gaps) Run(AccelerationProcessor processor, AccelerationBuffer input)
    {
        var windows = new List<AccelerationWindow>();
        var gaps = new List<SignalGap>();
        processor.Process(input.TimestampsNs, input.X, input.Y, input.Z, windows, gaps);
        processor.Complete(windows);
        return (windows, gaps);
    }
}
