using System.Diagnostics;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using AdherencePipeline.Recordings;
using AdherencePipeline.Sensors;
using AdherencePipeline.Signal;

namespace AdherencePipeline.Pipeline;

/// <summary>How a recording is replayed.</summary>
public sealed record ReplayOptions
{
    /// <summary>The participant the data is stored under.</summary>
    public required string Participant { get; init; }

    /// <summary>The device model whose notifications the virtual wearable sends.</summary>
    public required FirmwareProfile Profile { get; init; }

    /// <summary>Wall-clock time of the recording's first sample.</summary>
    public required DateTimeOffset Start { get; init; }

    /// <summary>Multiple of real time, or <c>null</c> for as fast as possible. Results are the same either way.</summary>
    public double? Speed { get; init; }

    /// <summary>Resting and maximum heart rate for %HRR, when known.</summary>
    public HeartRateReserve? Reserve { get; init; }

    /// <summary>Signal settings.</summary>
    public SignalOptions Signal { get; init; } = new();

    /// <summary>The activity model; without one, windows are not classified and no sessions are formed.</summary>
    public Activity.ActivityModel? Model { get; init; }

    /// <summary>The participant's registry entry, for prescription, time zone and adherence; optional.</summary>
    public Adherence.Participant? Registration { get; init; }

    /// <summary>Where the decoded data is archived raw (see docs/archive.md); not archived when null.</summary>
    public Archive.ParticipantArchiveWriter? Archive { get; init; }
}

/// <summary>What a replay did.</summary>
public sealed record ReplaySummary
{
    /// <summary>Length of the replayed data.</summary>
    public TimeSpan DataDuration { get; init; }

    /// <summary>Notifications sent by the virtual wearable and decoded.</summary>
    public long Frames { get; init; }

    /// <summary>Accelerometer samples decoded.</summary>
    public long AccelerometerSamples { get; init; }

    /// <summary>Heart-rate measurements decoded.</summary>
    public long HeartRateMeasurements { get; init; }

    /// <summary>Notifications that failed to decode.</summary>
    public long Faults { get; init; }

    /// <summary>Analysis windows, and how many of them were complete.</summary>
    public long Windows { get; init; }

    /// <summary>Complete windows (fit for classification).</summary>
    public long CompleteWindows { get; init; }

    /// <summary>Gaps found.</summary>
    public long Gaps { get; init; }

    /// <summary>Windows classified.</summary>
    public long Classified { get; init; }

    /// <summary>Exercise windows among them (smoothed class not rest).</summary>
    public long ExerciseWindows { get; init; }

    /// <summary>Bouts closed.</summary>
    public long Bouts { get; init; }

    /// <summary>Sessions closed.</summary>
    public IReadOnlyList<Adherence.Session> Sessions { get; init; } = [];

    /// <summary>The last adherence figures per period label (weeks and days touched by the sessions).</summary>
    public IReadOnlyList<Adherence.AdherencePeriod> Adherence { get; init; } = [];

    /// <summary>Points handed to storage.</summary>
    public long Points { get; init; }

    /// <summary>Wall time the replay took.</summary>
    public TimeSpan WallTime { get; init; }

    /// <summary>Accelerometer samples per second of wall time.</summary>
    public double SamplesPerSecond => WallTime > TimeSpan.Zero ? AccelerometerSamples / WallTime.TotalSeconds : 0;
}

/// <summary>
/// Replays a recording through the whole live path, bytes included: the virtual wearable encodes
/// it as the chosen device would send it, and the pipeline decodes, aligns, analyses and stores it,
/// all on virtual time.
/// </summary>
public sealed class RecordingReplay
{
    private readonly ReplayOptions _options;
    private readonly VirtualWearable _wearable;

    /// <summary>Prepares the replay of <paramref name="recording"/>.</summary>
    public RecordingReplay(Recording recording, ReplayOptions options)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        // A device sends g; a recording in nominal units is first calibrated, as the pipeline would.
        (var calibrated, Calibration) = RecordingCalibration.Calibrate(recording);
        SensorRecording = ToSensorRecording(calibrated);
        _wearable = new VirtualWearable(options.Profile, SensorRecording, new VirtualWearableOptions { DeviceAddress = "virtual:" + options.Profile.Id });
    }

    /// <summary>What the virtual wearable replays.</summary>
    public SensorRecording SensorRecording { get; }

    /// <summary>The gravity calibration applied to the recording before replay (NotNeeded for calibrated recordings).</summary>
    public GravityCalibrationResult Calibration { get; }

    /// <summary>The recording as the virtual wearable's input: acceleration in g, heart rate over time.</summary>
    public static SensorRecording ToSensorRecording(Recording recording)
    {
        ArgumentNullException.ThrowIfNull(recording);
        var acc = recording.Accelerometer;
        var x = ToDouble(acc.XG.Span);
        var y = ToDouble(acc.YG.Span);
        var z = ToDouble(acc.ZG.Span);
        var heartRate = new List<HeartRatePoint>();
        if (recording.HeartRate is { } hr)
        {
            var t = hr.TimestampNs.Span;
            var bpm = hr.HeartRateBpm.Span;
            for (var i = 0; i < hr.Count; i++)
            {
                heartRate.Add(new HeartRatePoint(t[i], bpm[i]));
            }
        }

        var accEnd = acc.Count > 0 ? acc.TimestampNs.Span[^1] + (long)(1e9 / recording.NominalSampleRateHz) : 0;
        var hrEnd = heartRate.Count > 0 ? heartRate[^1].OffsetNs + 1_000_000_000 : 0;
        return new SensorRecording(recording.NominalSampleRateHz, x, y, z, heartRate, Math.Max(accEnd, hrEnd));
    }

    /// <summary>
    /// Runs the replay. <paramref name="store"/> is the storage stage (e.g. <see cref="PipelineStages.Store"/>);
    /// <paramref name="progress"/> hears the virtual time reached, about once a second of wall time.
    /// </summary>
    public async Task<ReplaySummary> RunAsync(Func<IObservable<PipelineEvent>, IObservable<PipelineEvent>> store, IProgress<TimeSpan>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var scheduler = new ReplayScheduler(_options.Start);
        long frames = 0, samples = 0, heartRate = 0, faults = 0, windows = 0, complete = 0, gaps = 0, points = 0, classified = 0, exercise = 0, boutCount = 0;
        var sessions = new List<Adherence.Session>();
        var adherence = new Dictionary<string, Adherence.AdherencePeriod>(StringComparer.Ordinal);
        // Progress is for long runs: at most one report a second of wall time, never for a quick replay.
        var sinceReport = Stopwatch.StartNew();
        var address = _wearable.Options.DeviceAddress;
        var decoded = _wearable.Play(scheduler)
            .Do(_ =>
            {
                frames++;
                if (progress is not null && sinceReport.ElapsedMilliseconds >= 1_000)
                {
                    sinceReport.Restart();
                    progress.Report(scheduler.Now - _options.Start);
                }
            })
            .Decode(_options.Profile, address)
            .Do(d =>
            {
                switch (d)
                {
                    case AccelerationData a:
                        samples += a.TimestampsNs.Length;
                        break;
                    case HeartRateData:
                        heartRate++;
                        break;
                    case DeviceFault:
                        faults++;
                        break;
                }
            });
        if (_options.Archive is { } archive)
        {
            decoded = AdherencePipeline.Archive.ParticipantArchive.Archive(decoded, archive);
        }

        var events = decoded
            .Process(new ParticipantPipelineOptions
            {
                Participant = _options.Participant,
                Reserve = _options.Reserve,
                Signal = _options.Signal,
                Model = _options.Model is { } model ? () => model : null,
                Registration = _options.Registration,
            })
            .Do(e =>
            {
                switch (e)
                {
                    case WindowEvent w:
                        windows++;
                        complete += w.Window.IsComplete ? 1 : 0;
                        break;
                    case GapEvent:
                        gaps++;
                        break;
                    case ActivityEvent a:
                        classified++;
                        exercise += a.Smoothed == Activity.ActivityClass.Rest ? 0 : 1;
                        break;
                    case BoutEvent:
                        boutCount++;
                        break;
                    case SessionEvent s:
                        sessions.Add(s.Session);
                        break;
                    case AdherenceEvent a:
                        adherence[(a.Week ? "w" : "d") + a.Period.Label] = a.Period;
                        break;
                }
            });
        var stored = store(events).Do(e => Interlocked.Add(ref points, PipelinePoints.IsStored(e) ? 1 : 0));

        var watch = Stopwatch.StartNew();
        var done = stored.DefaultIfEmpty().LastAsync().ToTask(cancellationToken);
        await scheduler.RunAsync(_options.Speed, cancellationToken).ConfigureAwait(false);
        await done.ConfigureAwait(false);
        watch.Stop();
        return new ReplaySummary
        {
            DataDuration = TimeSpan.FromTicks(SensorRecording.DurationNs / 100),
            Frames = frames,
            AccelerometerSamples = samples,
            HeartRateMeasurements = heartRate,
            Faults = faults,
            Windows = windows,
            CompleteWindows = complete,
            Gaps = gaps,
            Points = Interlocked.Read(ref points),
            Classified = classified,
            ExerciseWindows = exercise,
            Bouts = boutCount,
            Sessions = sessions,
            Adherence = [.. adherence.Values],
            WallTime = watch.Elapsed,
        };
    }

    private static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }

        return result;
    }
}
