using System.Collections.Concurrent;
using AdherencePipeline.Adherence;
using AdherencePipeline.Archive;
using AdherencePipeline.Pipeline;
using Microsoft.Extensions.Logging;

namespace AdherencePipeline.Service.Worker;

/// <summary>
/// The raw archive of the participants a NATS worker processes (docs/archive.md): one <see cref="WorkerArchive"/>
/// per participant, opened when its first frame is decoded here and kept until the service stops.
/// </summary>
/// <remarks>
/// A take-over re-processes the participant's frames from its restart point, some of which this archive may
/// already hold (this worker processed them before a hand-over or a restart). Whenever the participant is taken
/// (again), the data is compared by sensor time with what is archived for its device: data at or before the
/// archive's latest of that device and kind is skipped until the first newer one arrives, from which on the
/// stream is new and everything is archived. So re-processing never archives a sample twice, and a sensor clock
/// that later steps back is archived as it comes.
/// </remarks>
internal sealed class NatsWorkerArchive : IDisposable
{
    private readonly string _root;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ParticipantEntry> _participants = new(StringComparer.Ordinal);

    public NatsWorkerArchive(string root, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = root;
        _logger = logger;
    }

    /// <summary>Archives what one frame of <paramref name="participant"/> decoded into, skipping what is archived already. Called from the participant's processing only.</summary>
    public void Append(Participant participant, List<DeviceData> decoded)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(decoded);
        if (!_participants.TryGetValue(participant.Id, out var entry))
        {
            entry = new ParticipantEntry(new WorkerArchive(_root, participant, _logger), Latest(participant.Id));
            _participants[participant.Id] = entry;
        }

        foreach (var data in decoded)
        {
            entry.Append(data);
        }
    }

    /// <summary>Seals the participant's open block; the next frames decoded for it are compared with the archive again.</summary>
    public void Pause(Participant participant)
    {
        ArgumentNullException.ThrowIfNull(participant);
        if (_participants.TryGetValue(participant.Id, out var entry))
        {
            entry.Pause();
        }
    }

    /// <summary>Seals every open block and closes the files; call once the worker has stopped.</summary>
    public void Dispose()
    {
        foreach (var entry in _participants.Values)
        {
            entry.Archive.Dispose();
        }

        _participants.Clear();
    }

    // The latest sensor time archived per device and kind, from the participant's last two archived days (a
    // re-processed wear period may span the participant's midnight).
    private Dictionary<(string Device, Type Kind), long> Latest(string participant)
    {
        var latest = new Dictionary<(string, Type), long>();
        var days = ParticipantArchive.Days(_root, participant);
        if (days.Count == 0)
        {
            return latest;
        }

        try
        {
            // Damage is reported when the writer opens the day file for appending; here it only limits what is known.
            foreach (var data in ParticipantArchive.Read(_root, participant, _ => { }, days[^1].AddDays(-1), days[^1]))
            {
                if (ParticipantEntry.TimestampOf(data) is { } ns)
                {
                    var key = (data.DeviceAddress, data.GetType());
                    latest[key] = Math.Max(ns, latest.GetValueOrDefault(key, long.MinValue));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // Unreadable: the writer meets the same problem when it opens the file and logs it (event 7310).
        }

        return latest;
    }

    private sealed class ParticipantEntry(WorkerArchive archive, Dictionary<(string Device, Type Kind), long> latest)
    {
        private readonly HashSet<(string Device, Type Kind)> _caughtUp = [];

        public WorkerArchive Archive { get; } = archive;

        public static long? TimestampOf(DeviceData data) => data switch
        {
            AccelerationData a => a.TimestampsNs.Length > 0 ? a.TimestampsNs[0] : null,
            HeartRateData h => h.TimestampNs,
            DeviceDisconnected d => d.LastDataNs,
            DeviceFault f => f.ReceivedNs,
            _ => null,
        };

        public void Append(DeviceData data)
        {
            var key = (data.DeviceAddress, data.GetType());
            if (TimestampOf(data) is { } ns)
            {
                if (!_caughtUp.Contains(key))
                {
                    if (latest.TryGetValue(key, out var archived) && ns <= archived)
                    {
                        return;
                    }

                    _caughtUp.Add(key);
                }

                latest[key] = Math.Max(ns, latest.GetValueOrDefault(key, long.MinValue));
            }

            Archive.Append(data);
        }

        public void Pause()
        {
            Archive.Flush();
            _caughtUp.Clear();
        }
    }
}
