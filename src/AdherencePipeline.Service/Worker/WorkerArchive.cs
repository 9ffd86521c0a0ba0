using AdherencePipeline.Archive;
using AdherencePipeline.Pipeline;
using Microsoft.Extensions.Logging;

namespace AdherencePipeline.Service.Worker;

/// <summary>
/// The raw archive of one participant's live stream (docs/archive.md). The archive is a second copy:
/// a disk that fails under it stops archiving for that participant, with an error in the log, and
/// never the pipeline that stores the live results.
/// </summary>
internal sealed class WorkerArchive : IDisposable
{
    private readonly ParticipantArchiveWriter _writer;
    private readonly ILogger _logger;
    private bool _failed;
    private int _issuesLogged;

    public WorkerArchive(string root, Adherence.Participant participant, ILogger logger)
    {
        _writer = new ParticipantArchiveWriter(root, participant.Id, new ParticipantArchiveOptions { LocalDate = participant.LocalDate });
        _logger = logger;
    }

    /// <summary>Archives <paramref name="data"/> unless the archive has failed.</summary>
    public void Append(DeviceData data) => Guard(() => _writer.Append(data));

    /// <summary>Seals and syncs the open block.</summary>
    public void Flush() => Guard(_writer.Flush);

    public void Dispose() => Guard(_writer.Dispose);

    private void Guard(Action action)
    {
        if (_failed)
        {
            return;
        }

        try
        {
            action();
            // A day file opened for appending may have had a torn tail cut off (after a crash).
            for (; _issuesLogged < _writer.Issues.Count; _issuesLogged++)
            {
                Log.ArchiveRepaired(_logger, _writer.Participant, _writer.Issues[_issuesLogged].ToString());
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _failed = true;
            Log.ArchiveFailed(_logger, ex, _writer.Participant, _writer.Records);
        }
    }
}
