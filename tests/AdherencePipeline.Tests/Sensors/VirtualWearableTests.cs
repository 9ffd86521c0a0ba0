using AdherencePipeline.Sensors;
using Microsoft.Reactive.Testing;

namespace AdherencePipeline.Tests.Sensors;

public sealed class VirtualWearableTests
{
    private const long Second = 1_000_000_000;

    private static SensorRecording Recording(int seconds = 10, double rateHz = 200)
    {
        var random = new Random(42);
        var n = (int)(seconds * rateHz);
        double[] x = new double[n], y = new double[n], z = new double[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = random.NextDouble() * 4 - 2;
            y[i] = random.NextDouble() * 4 - 2;
            z[i] = 1 + random.NextDouble() * 0.5 - 0.25;
        }

        var hr = Enumerable.Range(0, seconds).Select(s => new HeartRatePoint(s * Second, 60 + 12.3 * s)).ToList();
        return new SensorRecording(rateHz, x, y, z, hr, seconds * Second);
    }

    private static List<RawFrame> PlayAll(VirtualWearable wearable)
    {
        var scheduler = new TestScheduler();
        var frames = new List<RawFrame>();
        using var subscription = wearable.Play(scheduler).Subscribe(frames.Add);
        scheduler.Start();
        return frames;
    }

    // decode(encode(x)) == x within the format's resolution, for every shipped profile.
    [Theory]
    [InlineData("generic-hrs")]
    [InlineData("polar-h10")]
    [InlineData("polar-verity-sense")]
    [InlineData("lab-imu-declarative")]
    public void VirtualWearable_ShippedProfile_DecodesBackToRecordingWithinResolution(string id)
    {
        var profile = TestProfiles.Load(id);
        var recording = Recording();
        var options = new VirtualWearableOptions();
        var wearable = new VirtualWearable(profile, recording, options);
        using var decoder = new SensorDecoder(profile);
        var accSpec = profile.Characteristics.Select(c => c.Decoder).FirstOrDefault(d => d is PmdAccelerometerDecoderSpec or DeclarativeDecoderSpec);
        var rate = accSpec switch { PmdAccelerometerDecoderSpec p => p.Settings.SampleRateHz, DeclarativeDecoderSpec d => d.Layout.SampleRateHz, _ => 0 };
        var tolerance = accSpec is DeclarativeDecoderSpec dec ? dec.Layout.ScaleMilliG / 2 : 0.5;
        var clockStart = accSpec is DeclarativeDecoderSpec ? options.LabClockStartNs : options.SensorClockStartNs;
        var times = rate > 0 ? VirtualWearable.SampleTimesNs(recording, rate) : [];
        var accIndex = 0;
        var heartRates = new List<(long At, ushort Bpm)>();
        var rrMs = new List<double>();

        foreach (var frame in PlayAll(wearable))
        {
            var result = decoder.Decode(frame);
            Assert.True(result.IsSuccess, $"{id}: {result.Fault}");
            if (result.Kind == DecodedKind.HeartRate)
            {
                heartRates.Add((frame.ReceivedUnixNs, decoder.HeartRate.HeartRateBpm));
                rrMs.AddRange(decoder.RrIntervalsRaw.ToArray().Select(HeartRateMeasurement.RrToMilliseconds));
            }
            else if (result.Kind == DecodedKind.Accelerometer)
            {
                var block = decoder.Accelerometer;
                for (var i = 0; i < block.Count; i++, accIndex++)
                {
                    Assert.InRange(block.TimestampsNs[i] - (clockStart + times[accIndex]), -1, 1);
                    var source = recording.AccelerometerIndexAt(times[accIndex]);
                    Assert.InRange(block.XMilliG[i] - recording.XG[source] * 1000, -tolerance, tolerance);
                    Assert.InRange(block.YMilliG[i] - recording.YG[source] * 1000, -tolerance, tolerance);
                    Assert.InRange(block.ZMilliG[i] - recording.ZG[source] * 1000, -tolerance, tolerance);
                }
            }
        }

        if (accSpec is not null)
        {
            // Every sample arrived (a fixed-size lab frame drops only a trailing partial frame).
            Assert.InRange(accIndex, times.Length - 9, times.Length);
        }

        if (profile.Characteristics.Any(c => c.Decoder is HeartRateDecoderSpec))
        {
            Assert.Equal(10, heartRates.Count);
            for (var k = 0; k < heartRates.Count; k++)
            {
                Assert.Equal(Math.Round(recording.HeartRateAt((k + 1) * Second)), heartRates[k].Bpm);
            }

            // Cumulating RR gives the beat times; each interval is 60/HR at its beat, to 1/2048 s.
            var beatMs = 0.0;
            foreach (var rr in rrMs)
            {
                var bpm = recording.HeartRateAt((long)(beatMs * 1e6));
                Assert.InRange(rr - 60000 / bpm, -1000.0 / 2048, 1000.0 / 2048);
                beatMs += rr;
            }

            Assert.InRange(beatMs, 9000, 10000);
        }
    }

    [Fact]
    public void VirtualWearable_H10_FramesFitPayloadAndCarryLastSampleTime()
    {
        var wearable = new VirtualWearable(TestProfiles.Load("polar-h10"), Recording(seconds: 2));

        var data = wearable.Notifications.Where(n => n.Characteristic == GattUuid.PmdData).ToList();

        Assert.All(data, n => Assert.True(n.Payload.Length <= 229));
        Assert.Equal(10 + 36 * 6, data[0].Payload.Length); // (229 - 10) / 6 = 36 samples
        // 36th sample at 50 Hz is 700 ms after the first; the frame carries the device time of that last sample.
        Assert.Equal(762_600_600_000_000_000 + 700_000_000, BitConverter.ToInt64(data[0].Payload.Span[1..9]));
        Assert.Equal(TimeSpan.FromMilliseconds(700), data[0].Offset);
        Assert.Equal("f0 02 02 00 00", Hex.Format(wearable.Notifications[0].Payload.Span)); // start response first
    }

    [Fact]
    public void VirtualWearable_VeritySense_SendsDeltaCompressedFrames()
    {
        var wearable = new VirtualWearable(TestProfiles.Load("polar-verity-sense"), Recording(seconds: 2));

        var data = wearable.Notifications.Where(n => n.Characteristic == GattUuid.PmdData).ToList();

        Assert.All(data, n => Assert.Equal(0x81, n.Payload.Span[9]));
        Assert.All(data, n => Assert.True(n.Payload.Length <= 227));
        Assert.All(data, n => Assert.True(n.Payload.Span[16] >= 2)); // no 1-bit delta blocks
    }

    [Fact]
    public void VirtualWearable_PlayOnTestScheduler_EmitsEachFrameAtItsOffset()
    {
        var wearable = new VirtualWearable(TestProfiles.Load("generic-hrs"), Recording(seconds: 3));
        var scheduler = new TestScheduler();
        var observer = scheduler.CreateObserver<RawFrame>();
        using var subscription = wearable.Play(scheduler).Subscribe(observer);

        scheduler.AdvanceTo(TimeSpan.FromSeconds(2).Ticks);

        Assert.Equal([TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromSeconds(2).Ticks], observer.Messages.Select(m => m.Time));
        scheduler.Start();
        Assert.Equal(3, observer.Messages.Count(m => m.Value.Kind == System.Reactive.NotificationKind.OnNext));
        Assert.Equal(System.Reactive.NotificationKind.OnCompleted, observer.Messages[^1].Value.Kind);
        var first = observer.Messages[0].Value.Value;
        Assert.Equal((TimeSpan.FromSeconds(1).Ticks - DateTimeOffset.UnixEpoch.UtcTicks) * 100, first.ReceivedUnixNs);
    }

    [Fact]
    public void RrSynthesizer_NoHeartRate_InventsNoIntervals()
    {
        var recording = new SensorRecording(1, [], [], [], [new HeartRatePoint(0, 0)], 5 * Second);
        var rr = new List<ushort>();

        new RrSynthesizer().AdvanceTo(5 * Second, recording, rr);

        Assert.Empty(rr);
    }
}
