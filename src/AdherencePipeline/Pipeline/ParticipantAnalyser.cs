using AdherencePipeline.Signal;

namespace AdherencePipeline.Pipeline;

/// <summary>Decoded data of one device, in the pipeline's units and on the wall clock.</summary>
/// <param name="DeviceAddress">The device's address.</param>
/// <param name="DeviceModel">The firmware profile id.</param>
public abstract record DeviceData(string DeviceAddress, string DeviceModel);

/// <summary>A block of acceleration: wall-clock timestamps (ns since the Unix epoch) and x/y/z in g.</summary>
public sealed record AccelerationData(string DeviceAddress, string DeviceModel, double SampleRateHz, long[] TimestampsNs, float[] X, float[] Y, float[] Z)
    : DeviceData(DeviceAddress, DeviceModel);

/// <summary>One heart-rate measurement with the RR intervals it carried.</summary>
public sealed record HeartRateData(string DeviceAddress, string DeviceModel, long TimestampNs, double HeartRateBpm, double[] RrIntervalsMs, bool? SkinContact)
    : DeviceData(DeviceAddress, DeviceModel);

/// <summary>The device disconnected at <paramref name="LastDataNs"/>; it may come back.</summary>
public sealed record DeviceDisconnected(string DeviceAddress, string DeviceModel, long LastDataNs, long DisconnectedNs)
    : DeviceData(DeviceAddress, DeviceModel);

/// <summary>A notification of the device could not be decoded.</summary>
public sealed record DeviceFault(string DeviceAddress, string DeviceModel, long ReceivedNs, string Description)
    : DeviceData(DeviceAddress, DeviceModel);

/// <summary>What the analysis of one participant needs to know about them.</summary>
/// <param name="Participant">The pseudonymous code.</param>
/// <param name="Reserve">Resting and maximum heart rate, for %HRR; null when unknown.</param>
public sealed record ParticipantContext(string Participant, HeartRateReserve? Reserve = null);

/// <summary>
/// The analysis of one participant's devices as plain code: acceleration to windows, features and
/// per-second motion; heart rate through the artefact rules to per-second summaries and into the
/// windows. The live pipeline wraps it in an Rx stage; replay and tests call it directly.
/// </summary>
/// <remarks>
/// A window waits for heart rate until a heart-rate value at or after its end has arrived, or until
/// acceleration has run <see cref="HeartRateWait"/> past its end (heart rate then counts as missing),
/// so the result depends only on the order of the data, never on wall-clock timing.
/// </remarks>
public sealed class ParticipantAnalyser
{
    /// <summary>How long acceleration may run past a window's end before the window goes out without more heart rate.</summary>
    public static readonly TimeSpan HeartRateWait = TimeSpan.FromSeconds(3);

    /// <summary>Most heart-rate values kept for windows still to come: about an hour at one a second.</summary>
    public const int MaxBufferedHeartRate = 4096;

    private readonly ParticipantContext _context;
    private readonly SignalOptions _options;
    private readonly Dictionary<string, AccelerationDevice> _accelerometers = [];
    private readonly Dictionary<string, (string DeviceModel, HeartRateSummarizer Summarizer)> _heartRate = [];
    private readonly List<HeartRateSample> _recentHeartRate = [];
    private readonly Queue<(AccelerationWindow Window, string DeviceModel)> _pending = new();
    private readonly WindowFeatures _features;
    private readonly List<AccelerationWindow> _windows = [];
    private readonly List<SignalGap> _gaps = [];
    private readonly List<MotionSecond> _motion = [];
    private readonly List<HeartRateSecond> _seconds = [];
    private long _heartRateWatermarkNs = long.MinValue;
    private long _accelerationWatermarkNs = long.MinValue;

    /// <summary>Creates the analysis for one participant.</summary>
    public ParticipantAnalyser(ParticipantContext context, SignalOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        _options = options ?? new SignalOptions();
        _features = new WindowFeatures(_options.AnalysisRateHz);
    }

    /// <summary>Heart-rate values held for windows still to come (bounded by <see cref="MaxBufferedHeartRate"/>).</summary>
    internal int BufferedHeartRate => _recentHeartRate.Count;

    /// <summary>Adds one piece of device data; what it completes goes to <paramref name="output"/>.</summary>
    public void Add(DeviceData data, ICollection<PipelineEvent> output)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(output);
        switch (data)
        {
            case AccelerationData a:
                AddAcceleration(a, output);
                break;
            case HeartRateData h:
                AddHeartRate(h, output);
                break;
            case DeviceDisconnected d:
                Disconnect(d, output);
                break;
            case DeviceFault f:
                output.Add(new DecodeFaultEvent(_context.Participant, f.DeviceModel, f.ReceivedNs, f.Description));
                break;
        }

        Release(output, flush: false);
    }

    /// <summary>Ends the stream: emits every open second and window.</summary>
    public void Complete(ICollection<PipelineEvent> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (var device in _accelerometers.Values)
        {
            var model = device.DeviceModel;
            _windows.Clear();
            device.Processor.Complete(_windows);
            Queue(_windows, model);
            _motion.Clear();
            device.Motion.Complete(_motion);
            EmitMotion(_motion, model, output);
        }

        foreach (var (model, summarizer) in _heartRate.Values)
        {
            _seconds.Clear();
            summarizer.Complete(_seconds);
            EmitHeartRate(_seconds, model, output);
        }

        Release(output, flush: true);
    }

    private void AddAcceleration(AccelerationData a, ICollection<PipelineEvent> output)
    {
        if (!_accelerometers.TryGetValue(a.DeviceAddress, out var device))
        {
            device = new AccelerationDevice(a.DeviceModel, new AccelerationProcessor(a.SampleRateHz, _options), new MotionSummarizer(_options.AnalysisRateHz));
            _accelerometers[a.DeviceAddress] = device;
        }

        _windows.Clear();
        _gaps.Clear();
        device.Processor.Process(a.TimestampsNs, a.X, a.Y, a.Z, _windows, _gaps);
        foreach (var gap in _gaps)
        {
            output.Add(new GapEvent(_context.Participant, a.DeviceModel, gap));
        }

        _motion.Clear();
        var resampled = device.Processor.LastResampled;
        device.Motion.Add(resampled.TimestampsNs, resampled.X, resampled.Y, resampled.Z, _motion);
        EmitMotion(_motion, a.DeviceModel, output);
        Queue(_windows, a.DeviceModel);
        if (a.TimestampsNs.Length > 0)
        {
            _accelerationWatermarkNs = Math.Max(_accelerationWatermarkNs, a.TimestampsNs[^1]);
        }
    }

    private void AddHeartRate(HeartRateData h, ICollection<PipelineEvent> output)
    {
        if (!_heartRate.TryGetValue(h.DeviceAddress, out var entry))
        {
            entry = (h.DeviceModel, new HeartRateSummarizer());
            _heartRate[h.DeviceAddress] = entry;
        }

        var summarizer = entry.Summarizer;

        _seconds.Clear();
        if (summarizer.Add(h.TimestampNs, h.HeartRateBpm, h.RrIntervalsMs, _seconds))
        {
            _recentHeartRate.Add(new HeartRateSample(h.TimestampNs, (float)h.HeartRateBpm));
        }

        _heartRateWatermarkNs = Math.Max(_heartRateWatermarkNs, h.TimestampNs);
        EmitHeartRate(_seconds, h.DeviceModel, output);
    }

    private void Disconnect(DeviceDisconnected d, ICollection<PipelineEvent> output)
    {
        if (_accelerometers.TryGetValue(d.DeviceAddress, out var device))
        {
            _gaps.Clear();
            device.Processor.Disconnected(d.LastDataNs, d.DisconnectedNs, _gaps);
            _windows.Clear();
            device.Processor.Complete(_windows);
            Queue(_windows, d.DeviceModel);
            _motion.Clear();
            device.Motion.Complete(_motion);
            EmitMotion(_motion, d.DeviceModel, output);
            foreach (var gap in _gaps)
            {
                output.Add(new GapEvent(_context.Participant, d.DeviceModel, gap));
            }
        }

        if (_heartRate.TryGetValue(d.DeviceAddress, out var entry))
        {
            _seconds.Clear();
            entry.Summarizer.Complete(_seconds);
            entry.Summarizer.Reset();
            EmitHeartRate(_seconds, d.DeviceModel, output);
        }
    }

    private void Queue(List<AccelerationWindow> windows, string deviceModel)
    {
        foreach (var window in windows)
        {
            _pending.Enqueue((window, deviceModel));
        }
    }

    private void Release(ICollection<PipelineEvent> output, bool flush)
    {
        var waitNs = HeartRateWait.Ticks * 100;
        while (_pending.TryPeek(out var next))
        {
            var end = next.Window.EndNs;
            if (!flush && _heartRateWatermarkNs < end && _accelerationWatermarkNs < end + waitNs)
            {
                break;
            }

            _pending.Dequeue();
            var features = new float[WindowFeatures.Count];
            _features.Extract(next.Window, HeartRateIn(next.Window.StartNs, end), _context.Reserve, features);
            output.Add(new WindowEvent(_context.Participant, next.DeviceModel, next.Window, features));
        }

        // Heart rate older than any window still to come is no longer needed.
        var keepFrom = _pending.TryPeek(out var oldest) ? oldest.Window.StartNs
            : _accelerationWatermarkNs == long.MinValue ? long.MinValue
            : _accelerationWatermarkNs - 2 * (_options.Windows.Length.Ticks * 100);
        var drop = 0;
        while (drop < _recentHeartRate.Count && _recentHeartRate[drop].TimestampNs < keepFrom)
        {
            drop++;
        }

        // A participant with heart rate and no accelerometer (or not yet) must not grow this forever.
        drop = Math.Max(drop, _recentHeartRate.Count - MaxBufferedHeartRate);
        if (drop > 0)
        {
            _recentHeartRate.RemoveRange(0, drop);
        }
    }

    private ReadOnlySpan<HeartRateSample> HeartRateIn(long startNs, long endNs)
    {
        var from = 0;
        while (from < _recentHeartRate.Count && _recentHeartRate[from].TimestampNs < startNs)
        {
            from++;
        }

        var to = from;
        while (to < _recentHeartRate.Count && _recentHeartRate[to].TimestampNs < endNs)
        {
            to++;
        }

        return System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_recentHeartRate)[from..to];
    }

    private void EmitMotion(List<MotionSecond> seconds, string deviceModel, ICollection<PipelineEvent> output)
    {
        foreach (var second in seconds)
        {
            output.Add(new MotionSecondEvent(_context.Participant, deviceModel, second));
        }
    }

    private void EmitHeartRate(List<HeartRateSecond> seconds, string deviceModel, ICollection<PipelineEvent> output)
    {
        foreach (var second in seconds)
        {
            output.Add(new HeartRateSecondEvent(_context.Participant, deviceModel, second));
        }
    }

    private sealed record AccelerationDevice(string DeviceModel, AccelerationProcessor Processor, MotionSummarizer Motion);
}
