using System.Reactive.Concurrency;
using System.Reactive.Linq;

namespace AdherencePipeline.Sensors;

/// <summary>A heart rate at a point of a recording.</summary>
/// <param name="OffsetNs">Time since the recording's start, ns.</param>
/// <param name="HeartRateBpm">Heart rate, bpm (0 = no valid beat, e.g. no skin contact).</param>
public readonly record struct HeartRatePoint(long OffsetNs, double HeartRateBpm);

/// <summary>
/// What the virtual wearable replays: accelerometer samples in g at a fixed rate, and heart rate
/// over time. Either part may be empty.
/// </summary>
public sealed class SensorRecording
{
    /// <summary>Creates a recording; the three axes must have the same length.</summary>
    public SensorRecording(double accelerometerRateHz, double[] xG, double[] yG, double[] zG, IReadOnlyList<HeartRatePoint> heartRate, long durationNs)
    {
        ArgumentNullException.ThrowIfNull(xG);
        ArgumentNullException.ThrowIfNull(yG);
        ArgumentNullException.ThrowIfNull(zG);
        ArgumentNullException.ThrowIfNull(heartRate);
        if (xG.Length != yG.Length || xG.Length != zG.Length)
        {
            throw new ArgumentException("The three accelerometer axes must have the same length.", nameof(xG));
        }

        if (xG.Length > 0)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(accelerometerRateHz);
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(durationNs);
        for (var i = 1; i < heartRate.Count; i++)
        {
            if (heartRate[i].OffsetNs < heartRate[i - 1].OffsetNs)
            {
                throw new ArgumentException($"Heart rate must be in time order; point {i} comes before point {i - 1}.", nameof(heartRate));
            }
        }

        AccelerometerRateHz = accelerometerRateHz;
        XG = xG;
        YG = yG;
        ZG = zG;
        HeartRate = heartRate;
        DurationNs = durationNs;
    }

    /// <summary>Accelerometer sample rate of the recording, Hz.</summary>
    public double AccelerometerRateHz { get; }

    /// <summary>X acceleration, g.</summary>
    public IReadOnlyList<double> XG { get; }

    /// <summary>Y acceleration, g.</summary>
    public IReadOnlyList<double> YG { get; }

    /// <summary>Z acceleration, g.</summary>
    public IReadOnlyList<double> ZG { get; }

    /// <summary>Heart rate over time, in time order.</summary>
    public IReadOnlyList<HeartRatePoint> HeartRate { get; }

    /// <summary>Length of the recording, ns.</summary>
    public long DurationNs { get; }

    /// <summary>The heart rate in force at <paramref name="offsetNs"/> (the last point at or before it), or 0.</summary>
    public double HeartRateAt(long offsetNs)
    {
        // Binary search: the plan asks once per beat, so a linear scan made long recordings quadratic.
        int lo = 0, hi = HeartRate.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (HeartRate[mid].OffsetNs <= offsetNs)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found < 0 ? 0 : HeartRate[found].HeartRateBpm;
    }

    /// <summary>The index of the accelerometer sample in force at <paramref name="offsetNs"/> (sample and hold).</summary>
    public int AccelerometerIndexAt(long offsetNs) =>
        (int)Math.Min(XG.Count - 1, Math.Floor(offsetNs * AccelerometerRateHz / 1e9 + 1e-9));
}

/// <summary>One notification the virtual wearable sends, and when.</summary>
/// <param name="Offset">Time since the start of streaming.</param>
/// <param name="Characteristic">The characteristic that notifies.</param>
/// <param name="Payload">The exact bytes.</param>
public sealed record ScheduledNotification(TimeSpan Offset, Guid Characteristic, ReadOnlyMemory<byte> Payload);

/// <summary>Options of the virtual wearable.</summary>
public sealed record VirtualWearableOptions
{
    /// <summary>The device clock at the recording's start, ns (PMD: since 2000-01-01). Default 2024-03-01T09:30:00 device time.</summary>
    public long SensorClockStartNs { get; init; } = 762_600_600_000_000_000;

    /// <summary>The clock of a declarative firmware at the recording's start, ns since its boot.</summary>
    public long LabClockStartNs { get; init; } = 1_000_000_000;

    /// <summary>How often the heart-rate characteristic notifies.</summary>
    public TimeSpan HeartRateInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The address reported in <see cref="RawFrame.DeviceAddress"/>.</summary>
    public string DeviceAddress { get; init; } = "virtual:00:00:00:00:00:00";
}

/// <summary>
/// Turns a recording into the notifications a device of a profile's model would send: heart-rate
/// measurements with RR intervals synthesised from the heart rate, PMD frames (sized to the
/// characteristic's payload limit, stamped with the last sample's device time, delta-compressed
/// where the device compresses), declarative frames, and the start response on a PMD control
/// point. The encoding is plain code (<see cref="Plan"/>); Rx only schedules it (<see cref="Play"/>).
/// </summary>
public sealed class VirtualWearable
{
    private readonly IReadOnlyList<ScheduledNotification> _plan;

    /// <summary>Plans every notification for <paramref name="recording"/> under <paramref name="profile"/>.</summary>
    public VirtualWearable(FirmwareProfile profile, SensorRecording recording, VirtualWearableOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(recording);
        Profile = profile;
        Options = options ?? new VirtualWearableOptions();
        _plan = Plan(profile, recording, Options);
    }

    /// <summary>The profile whose device is imitated.</summary>
    public FirmwareProfile Profile { get; }

    /// <summary>The options.</summary>
    public VirtualWearableOptions Options { get; }

    /// <summary>Every notification, in send order.</summary>
    public IReadOnlyList<ScheduledNotification> Notifications => _plan;

    /// <summary>
    /// Sends the notifications on <paramref name="scheduler"/>, each at its offset from subscription,
    /// stamped with that scheduled time as receive time. Real time on <c>Scheduler.Default</c>,
    /// virtual time on a test or historical scheduler: the bytes are the same either way.
    /// </summary>
    public IObservable<RawFrame> Play(IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        var address = Options.DeviceAddress;
        var plan = _plan;
        return Observable.Defer(() =>
        {
            var start = scheduler.Now;
            return Observable.Generate(
                0,
                i => i < plan.Count,
                i => i + 1,
                i => new RawFrame(address, plan[i].Characteristic, ToUnixNs(start + plan[i].Offset), plan[i].Payload),
                i => start + plan[i].Offset,
                scheduler);
        });
    }

    /// <summary>Builds the notification plan: the encoding, with no scheduling in it.</summary>
    public static IReadOnlyList<ScheduledNotification> Plan(FirmwareProfile profile, SensorRecording recording, VirtualWearableOptions options)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(options);
        var plan = new List<ScheduledNotification>();
        foreach (var characteristic in profile.Characteristics)
        {
            switch (characteristic.Decoder)
            {
                case HeartRateDecoderSpec:
                    PlanHeartRate(characteristic, recording, options, plan);
                    break;
                case PmdControlPointDecoderSpec when HasPmdStart(profile):
                    var response = new byte[5];
                    PmdControlPoint.WriteResponse(PmdOpCode.RequestMeasurementStart, PmdMeasurementType.Acc, PmdStatus.Success, response);
                    plan.Add(new ScheduledNotification(TimeSpan.Zero, characteristic.Uuid, response));
                    break;
                case PmdAccelerometerDecoderSpec pmd when recording.XG.Count > 0:
                    PlanPmd(characteristic, pmd, recording, options, plan);
                    break;
                case DeclarativeDecoderSpec declarative when recording.XG.Count > 0:
                    PlanDeclarative(characteristic, declarative, recording, options, plan);
                    break;
                default:
                    break;
            }
        }

        // Stable: at equal times the control-point response stays ahead of data.
        return [.. plan.OrderBy(n => n.Offset)];
    }

    private static bool HasPmdStart(FirmwareProfile profile) =>
        profile.Start.Any(w => w.Value.Length > 1 && w.Value.Span[0] == (byte)PmdOpCode.RequestMeasurementStart);

    private static void PlanHeartRate(CharacteristicProfile characteristic, SensorRecording recording, VirtualWearableOptions options, List<ScheduledNotification> plan)
    {
        var beats = new RrSynthesizer();
        var interval = options.HeartRateInterval.Ticks * 100;
        var maxRr = HeartRateMeasurementCodec.MaxRrIntervals(characteristic.MaxPayloadBytes);
        Span<byte> buffer = stackalloc byte[512];
        var rr = new List<ushort>();
        for (var t = interval; t <= recording.DurationNs; t += interval)
        {
            rr.Clear();
            beats.AdvanceTo(t, recording, rr);
            var bpm = recording.HeartRateAt(t);
            var rounded = (ushort)Math.Clamp(Math.Round(bpm), 0, ushort.MaxValue);
            var measurement = new HeartRateMeasurement(rounded, rounded == 0 ? SensorContact.NoContact : SensorContact.Contact, null, 0);
            // A notification that cannot hold every RR value drops the oldest, as the SIG allows.
            var capacity = rounded > byte.MaxValue ? maxRr - 1 : maxRr;
            var kept = rr.Count > capacity ? rr.GetRange(rr.Count - capacity, capacity) : rr;
            var length = HeartRateMeasurementCodec.Encode(measurement, kept.ToArray(), buffer);
            plan.Add(new ScheduledNotification(TimeSpan.FromTicks(t / 100), characteristic.Uuid, buffer[..length].ToArray()));
        }
    }

    private static void PlanPmd(CharacteristicProfile characteristic, PmdAccelerometerDecoderSpec spec, SensorRecording recording, VirtualWearableOptions options, List<ScheduledNotification> plan)
    {
        var settings = spec.Settings;
        var times = SampleTimesNs(recording, settings.SampleRateHz);
        var limit = settings.RangeG * 1000;
        var valueLimit = (1L << ((spec.Compressed ? settings.ResolutionBits : 8 * PmdAccelerometerEncoder.ValueSize(spec.FrameType)) - 1)) - 1;
        var saturation = (int)Math.Min(limit, valueLimit);
        var x = Quantize(recording.XG, recording, times, saturation);
        var y = Quantize(recording.YG, recording, times, saturation);
        var z = Quantize(recording.ZG, recording, times, saturation);
        var buffer = new byte[Math.Max(characteristic.MaxPayloadBytes, 64) + 8 * times.Length + 64];
        var start = 0;
        while (start < times.Length)
        {
            var count = spec.Compressed
                ? FitCompressed(settings.ResolutionBits, x, y, z, start, characteristic.MaxPayloadBytes)
                : Math.Max(1, (characteristic.MaxPayloadBytes - PmdAccelerometerDecoder.HeaderLength) / (3 * PmdAccelerometerEncoder.ValueSize(spec.FrameType)));
            count = Math.Min(count, times.Length - start);
            var last = start + count - 1;
            var timestamp = options.SensorClockStartNs + times[last];
            var length = spec.Compressed
                ? PmdAccelerometerEncoder.EncodeCompressed(timestamp, spec.FrameType, settings.ResolutionBits, x.AsSpan(start, count), y.AsSpan(start, count), z.AsSpan(start, count), buffer)
                : PmdAccelerometerEncoder.EncodeUncompressed(timestamp, spec.FrameType, x.AsSpan(start, count), y.AsSpan(start, count), z.AsSpan(start, count), buffer);
            plan.Add(new ScheduledNotification(TimeSpan.FromTicks(times[last] / 100), characteristic.Uuid, buffer.AsSpan(0, length).ToArray()));
            start += count;
        }
    }

    private static void PlanDeclarative(CharacteristicProfile characteristic, DeclarativeDecoderSpec spec, SensorRecording recording, VirtualWearableOptions options, List<ScheduledNotification> plan)
    {
        var layout = spec.Layout;
        var decoder = new DeclarativeDecoder(layout);
        var times = SampleTimesNs(recording, layout.SampleRateHz);
        var perFrame = layout.SamplesPerFrame ?? Math.Max(1, (characteristic.MaxPayloadBytes - layout.HeaderBytes) / layout.Stride);
        var buffer = new byte[decoder.FrameLength(perFrame)];
        var x = new double[perFrame];
        var y = new double[perFrame];
        var z = new double[perFrame];
        // A fixed-size firmware sends only whole frames; a trailing partial frame is never sent.
        for (var start = 0; start + (layout.SamplesPerFrame ?? 1) <= times.Length; start += perFrame)
        {
            var count = Math.Min(perFrame, times.Length - start);
            for (var i = 0; i < count; i++)
            {
                var index = recording.AccelerometerIndexAt(times[start + i]);
                x[i] = recording.XG[index] * 1000.0;
                y[i] = recording.YG[index] * 1000.0;
                z[i] = recording.ZG[index] * 1000.0;
            }

            var last = start + count - 1;
            var stamp = options.LabClockStartNs + (layout.Timestamp?.RefersToFirstSample == true ? times[start] : times[last]);
            var length = decoder.Encode(stamp, x.AsSpan(0, count), y.AsSpan(0, count), z.AsSpan(0, count), buffer);
            plan.Add(new ScheduledNotification(TimeSpan.FromTicks(times[last] / 100), characteristic.Uuid, buffer.AsSpan(0, length).ToArray()));
        }
    }

    /// <summary>Sample times of the device's own rate over the recording, ns from its start, exact to the nanosecond.</summary>
    internal static long[] SampleTimesNs(SensorRecording recording, double sampleRateHz)
    {
        var milliHz = (long)Math.Round(sampleRateHz * 1000);
        var count = (long)(recording.XG.Count / recording.AccelerometerRateHz * sampleRateHz + 1e-9);
        var times = new long[count];
        for (var i = 0; i < times.Length; i++)
        {
            var (q, r) = Int128.DivRem(i * (Int128)1_000_000_000_000, milliHz);
            times[i] = (long)(2 * r >= milliHz ? q + 1 : q);
        }

        return times;
    }

    private static int[] Quantize(IReadOnlyList<double> g, SensorRecording recording, long[] times, int saturationMilliG)
    {
        var values = new int[times.Length];
        for (var i = 0; i < times.Length; i++)
        {
            // A real sensor saturates at its range; so does the virtual one.
            var milliG = Math.Round(g[recording.AccelerometerIndexAt(times[i])] * 1000.0);
            values[i] = (int)Math.Clamp(milliG, -saturationMilliG, saturationMilliG);
        }

        return values;
    }

    private static int FitCompressed(int resolution, int[] x, int[] y, int[] z, int start, int maxPayload)
    {
        var count = 1;
        var available = x.Length - start;
        while (count < available && PmdAccelerometerEncoder.CompressedLength(resolution, x.AsSpan(start, count + 1), y.AsSpan(start, count + 1), z.AsSpan(start, count + 1)) <= maxPayload)
        {
            count++;
        }

        return count;
    }

    private static long ToUnixNs(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
}

/// <summary>
/// Places beats on a timeline from a heart rate: each beat follows the previous by 60/HR seconds,
/// kept in whole 1/1024 s units so the RR values sent are exactly the intervals between beats.
/// </summary>
public sealed class RrSynthesizer
{
    private const double UnitsPerSecond = 1024.0;
    private long _lastBeatUnits;

    /// <summary>Adds the RR intervals (raw, 1/1024 s) of beats that fall in (previous call, <paramref name="untilNs"/>].</summary>
    public void AdvanceTo(long untilNs, SensorRecording recording, List<ushort> rrRaw)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(rrRaw);
        while (true)
        {
            var lastNs = (long)(_lastBeatUnits * 1e9 / UnitsPerSecond);
            var bpm = recording.HeartRateAt(lastNs);
            if (bpm < 1)
            {
                // No heart rate, no beats: move the clock on without inventing RR intervals.
                _lastBeatUnits = (long)Math.Ceiling(untilNs * UnitsPerSecond / 1e9);
                return;
            }

            var interval = (long)Math.Round(60.0 * UnitsPerSecond / bpm);
            var nextNs = (long)((_lastBeatUnits + interval) * 1e9 / UnitsPerSecond);
            if (nextNs > untilNs)
            {
                return;
            }

            _lastBeatUnits += interval;
            rrRaw.Add((ushort)Math.Min(interval, ushort.MaxValue));
        }
    }
}
