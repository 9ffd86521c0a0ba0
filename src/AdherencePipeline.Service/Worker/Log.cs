using Microsoft.Extensions.Logging;

namespace AdherencePipeline.Service.Worker;

/// <summary>The worker's log messages: participant pseudonyms and redacted addresses only, never health data.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7300, Level = LogLevel.Information, Message = "Worker started: {Participants} participant(s), {Devices} bound device(s)")]
    public static partial void Started(ILogger logger, int participants, int devices);

    [LoggerMessage(EventId = 7301, Level = LogLevel.Information, Message = "Participant {Participant}: {Sessions} stored session(s) of the last {Days} days read back for adherence")]
    public static partial void SessionsReadBack(ILogger logger, string participant, int sessions, int days);

    [LoggerMessage(EventId = 7302, Level = LogLevel.Warning, Message = "Participant {Participant}: stored sessions could not be read back ({Reason}); this week's adherence counts only new sessions until the next restart")]
    public static partial void SessionsNotReadBack(ILogger logger, string participant, string reason);

    [LoggerMessage(EventId = 7303, Level = LogLevel.Error, Message = "Participant {Participant}: the pipeline failed")]
    public static partial void PipelineFailed(ILogger logger, Exception exception, string participant);

    [LoggerMessage(EventId = 7304, Level = LogLevel.Information, Message = "Worker stopping: closing open windows and sessions, flushing storage")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(EventId = 7305, Level = LogLevel.Information, Message = "Worker stopped: {Points} point(s) queued, {Accepted} accepted by InfluxDB, {Spooled} spooled")]
    public static partial void Stopped(ILogger logger, long points, long accepted, long spooled);

    [LoggerMessage(EventId = 7306, Level = LogLevel.Warning, Message = "Storage did not take every point before the stop timeout; the rest waits in the spool for the next start")]
    public static partial void FlushIncomplete(ILogger logger);

    [LoggerMessage(EventId = 7307, Level = LogLevel.Error, Message = "A device status point could not be written")]
    public static partial void StatusFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7308, Level = LogLevel.Warning, Message = "Participant {Participant}: the last run did not stop cleanly; {Windows} journalled window(s) are replayed ({Torn} torn line(s) dropped), and a bout or session they leave open is continued or closed, flagged recovered")]
    public static partial void SessionRestored(ILogger logger, string participant, int windows, int torn);

    [LoggerMessage(EventId = 7309, Level = LogLevel.Warning, Message = "{Batches} spooled batch(es) of an earlier run were not delivered within {Seconds} s; sessions read back for adherence may miss the latest ones")]
    public static partial void SpoolNotDelivered(ILogger logger, int batches, int seconds);

    [LoggerMessage(EventId = 7310, Level = LogLevel.Error, Message = "Participant {Participant}: the raw archive cannot be written after {Records} record(s); archiving stops for this participant until the next start, the live results are still stored")]
    public static partial void ArchiveFailed(ILogger logger, Exception exception, string participant, long records);

    [LoggerMessage(EventId = 7311, Level = LogLevel.Warning, Message = "Participant {Participant}: the raw archive's day file was repaired on opening: {Issue}")]
    public static partial void ArchiveRepaired(ILogger logger, string participant, string issue);
}
