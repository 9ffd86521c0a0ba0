using System.Globalization;
using System.Reactive.Linq;
using AdherencePipeline.Pipeline;

namespace AdherencePipeline.Archive;

/// <summary>The raw archive under one root folder: which participants and days it holds, and reading them back.</summary>
public static class ParticipantArchive
{
    /// <summary>The participants with a folder of day files under <paramref name="root"/>, in ordinal order.</summary>
    public static IReadOnlyList<string> Participants(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (!Directory.Exists(root))
        {
            return [];
        }

        var result = new List<string>();
        foreach (var folder in Directory.EnumerateDirectories(root))
        {
            var name = Path.GetFileName(folder);
            if (Directory.EnumerateFiles(folder, "*" + ArchiveFormat.Extension).Any())
            {
                result.Add(name);
            }
        }

        result.Sort(StringComparer.Ordinal);
        return result;
    }

    /// <summary>The local days archived for <paramref name="participant"/>, optionally limited to [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public static IReadOnlyList<DateOnly> Days(string root, string participant, DateOnly? from = null, DateOnly? to = null)
    {
        ArchiveFormat.ValidateParticipant(participant);
        var folder = Path.Combine(root, participant);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var days = new List<DateOnly>();
        foreach (var file in Directory.EnumerateFiles(folder, "*" + ArchiveFormat.Extension))
        {
            if (DateOnly.TryParseExact(Path.GetFileNameWithoutExtension(file), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                && (from is null || day >= from) && (to is null || day <= to))
            {
                days.Add(day);
            }
        }

        days.Sort();
        return days;
    }

    /// <summary>
    /// The participant's archived data of the local days [<paramref name="from"/>, <paramref name="to"/>]
    /// (all when null), day by day in order; damage goes to <paramref name="issues"/>.
    /// </summary>
    public static IEnumerable<DeviceData> Read(string root, string participant, Action<ArchiveIssue> issues, DateOnly? from = null, DateOnly? to = null)
    {
        ArgumentNullException.ThrowIfNull(issues);
        foreach (var day in Days(root, participant, from, to))
        {
            foreach (var data in ArchiveFileReader.Read(ArchiveFormat.PathFor(root, participant, day), issues))
            {
                yield return data;
            }
        }
    }

    /// <summary>
    /// Archives every piece of device data that passes, then passes it on; completing the input seals
    /// the open block. The writer is the caller's, so it can outlive one subscription (a reconnect).
    /// </summary>
    public static IObservable<DeviceData> Archive(this IObservable<DeviceData> data, ParticipantArchiveWriter writer)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(writer);
        return data.Do(writer.Append, writer.Flush);
    }
}
