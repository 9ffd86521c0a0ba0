using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Reactive.Threading.Tasks;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Sensors;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Nats;

/// <summary>
/// One participant's pipeline from a fresh start (the restart point) until the participant's frames stop
/// for <see cref="FrameWorkerOptions.IdleClose"/>: decoders per device, then the shared
/// <see cref="ParticipantPipeline.Process"/> and the store, exactly as replay composes them.
/// </summary>
internal sealed class WearPeriod : IDisposable
{
    // The frames arrive from the network one at a time: a true hot source, kept private.
    private readonly Subject<DeviceData> _input = new();
    private readonly Dictionary<string, DeviceDecoder> _decoders = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, FirmwareProfile> _profiles;
    private readonly List<DeviceData> _decoded = new(2);
    private readonly CancellationTokenSource _abandon = new();
    private readonly Task _stored;
    private readonly Action<DeviceDecoder, List<DeviceData>>? _decodedHook;
    private long _points;

    /// <summary>
    /// A period from <paramref name="restartSequence"/> on; <paramref name="decoded"/> sees what each frame decoded into,
    /// <paramref name="observed"/> every pipeline event before it is stored.
    /// </summary>
    public WearPeriod(
        ulong restartSequence,
        ParticipantPipelineOptions options,
        IReadOnlyDictionary<string, FirmwareProfile> profiles,
        InfluxLineWriter writer,
        Action<DeviceDecoder, List<DeviceData>>? decoded = null,
        Action<PipelineEvent>? observed = null)
    {
        RestartSequence = restartSequence;
        _profiles = profiles;
        _decodedHook = decoded;
        var events = _input.Process(options);
        _stored = (observed is null ? events : events.Do(observed))
            .Store(writer)
            .Do(e => Interlocked.Add(ref _points, PipelinePoints.IsStored(e) ? 1 : 0))
            .DefaultIfEmpty()
            .LastAsync()
            .ToTask(_abandon.Token);
    }

    /// <summary>The stream sequence of the period's first frame.</summary>
    public ulong RestartSequence { get; }

    /// <summary>Receive time of the last frame added (Unix ns).</summary>
    public long LastReceivedNs { get; private set; }

    /// <summary>Points handed to the writer so far.</summary>
    public long Points => Interlocked.Read(ref _points);

    /// <summary>Decodes and processes one frame; <c>false</c> when its firmware profile is unknown (nothing processed).</summary>
    public bool Add(in FrameEnvelope envelope)
    {
        var frame = envelope.Frame;
        if (!_decoders.TryGetValue(frame.DeviceAddress, out var decoder))
        {
            if (!_profiles.TryGetValue(envelope.ProfileId, out var profile))
            {
                return false;
            }

            decoder = new DeviceDecoder(profile, frame.DeviceAddress);
            _decoders.Add(frame.DeviceAddress, decoder);
        }

        LastReceivedNs = frame.ReceivedUnixNs;
        _decoded.Clear();
        decoder.Decode(frame, _decoded);
        _decodedHook?.Invoke(decoder, _decoded);
        foreach (var data in _decoded)
        {
            _input.OnNext(data);
        }

        return true;
    }

    /// <summary>Ends the period: closes the open second, window, bout and session; completes when their points are queued.</summary>
    public Task CompleteAsync()
    {
        _input.OnCompleted();
        return _stored;
    }

    /// <summary>Drops the period's state without closing anything (another worker, or this one later, rebuilds it).</summary>
    public void Dispose()
    {
        _abandon.Cancel();
        _abandon.Dispose();
        _input.Dispose();
        foreach (var decoder in _decoders.Values)
        {
            decoder.Dispose();
        }
    }
}
