using System.CommandLine;
using System.Globalization;
using AdherencePipeline.Recordings;

namespace AdherencePipeline.Service.Commands;

/// <summary><c>adherence recordings …</c>: inspect recordings and cut them into the project format.</summary>
internal static class RecordingsCommand
{
    public static Command Create()
    {
        var recordingOption = new Option<string>("--recording") { Description = "A recording path (see 'adherence replay --help').", Required = true };
        var segmentOption = new Option<int?>("--segment") { Description = "Which recording of a file that holds several, from 0." };
        var outOption = new Option<string>("--out") { Description = "Output stem: writes STEM.acc.csv.gz (and .hr/.rr where present).", Required = true };
        var fromOption = new Option<double>("--from") { Description = "Start of the excerpt, seconds since the recording's start.", DefaultValueFactory = _ => 0 };
        var secondsOption = new Option<double?>("--seconds") { Description = "Length of the excerpt, seconds (default: to the end)." };
        var export = new Command("export", "Write a recording, or an excerpt of it, in the project's CSV format (docs/recordings.md).")
        {
            recordingOption, segmentOption, outOption, fromOption, secondsOption,
        };
        export.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            try
            {
                var recordings = RecordingReader.Open(parseResult.GetValue(recordingOption)!);
                var segment = parseResult.GetValue(segmentOption);
                if (recordings.Count > 1 && segment is null)
                {
                    throw new ArgumentException($"The recording holds {recordings.Count} recordings; choose one with --segment 0–{recordings.Count - 1}.");
                }

                var index = segment ?? 0;
                if (index < 0 || index >= recordings.Count)
                {
                    throw new ArgumentException($"--segment must be 0–{recordings.Count - 1}.");
                }

                var seconds = parseResult.GetValue(secondsOption);
                var excerpt = recordings[index].Slice(TimeSpan.FromSeconds(parseResult.GetValue(fromOption)), seconds is { } s ? TimeSpan.FromSeconds(s) : null);
                var stem = parseResult.GetValue(outOption)!;
                var directory = Path.GetDirectoryName(Path.GetFullPath(stem));
                if (directory is not null)
                {
                    Directory.CreateDirectory(directory);
                }

                var written = RecordingCsv.Write(excerpt, stem);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Wrote {excerpt} ({excerpt.AccelDuration:hh\\:mm\\:ss}, {excerpt.Accelerometer.Count:N0} accelerometer samples, {excerpt.HeartRate?.Count ?? 0:N0} heart-rate values) to {written}"));
                return 0;
            }
            catch (Exception ex) when (ex is RecordingFormatException or IOException or ArgumentException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
        });
        return new Command("recordings", "Work with recordings.") { export };
    }
}
