using System.CommandLine;
using System.Globalization;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Sensors;
using AdherencePipeline.Storage;
using Microsoft.Extensions.Configuration;

namespace AdherencePipeline.Service.Commands;

/// <summary>
/// <c>adherence replay</c>: a recording through the virtual wearable and the whole pipeline into
/// InfluxDB, on virtual time.
/// </summary>
internal static class ReplayCommand
{
    /// <summary>Where a recording without a known start is placed in time, so replays are reproducible.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);

    public enum Exit
    {
        Ok = 0,
        BadInput = 1,
        StorageUnavailable = 2,
    }

    public static Command Create()
    {
        var recordingOption = new Option<string>("--recording")
        {
            Description = "A recording: a project CSV (NAME.acc.csv[.gz]), a file or subject of the shared data sets (e.g. chest-hr-hexoskin/subject001).",
            Required = true,
        };
        var participantOption = new Option<string>("--participant") { Description = "Pseudonymous participant code to store the data under, e.g. P001.", Required = true };
        var profileOption = new Option<string>("--profile") { Description = "Device model the virtual wearable imitates.", DefaultValueFactory = _ => "polar-h10" };
        var segmentOption = new Option<int?>("--segment") { Description = "Which recording of a file that holds several (daily-sports-torso: one per activity block), from 0." };
        var startOption = new Option<DateTimeOffset?>("--start")
        {
            Description = "Wall-clock time of the first sample, ISO 8601 (default: the recording's own start, else 2026-01-05T09:00:00Z).",
            CustomParser = CommonOptions.ParseTime,
        };
        var speedOption = new Option<string>("--speed") { Description = "max (default), realtime, or a multiple of real time such as 10.", DefaultValueFactory = _ => "max" };
        var urlOption = CommonOptions.InfluxUrl();
        var databaseOption = CommonOptions.InfluxDatabase();
        var createOption = CommonOptions.CreateDatabase();
        var directoryOption = SensorProfiles.DirectoryOption();
        var modelOption = new Option<string?>("--model")
        {
            Description = "Activity model (default: Activity:ModelPath, else models/activity.zip beside the executable). 'none' skips classification.",
        };
        var registryOption = new Option<FileInfo?>("--registry")
        {
            Description = "Participant registry: with it, the participant's prescription, time zone and heart-rate reserve give sessions in the target zone and adherence.",
        };
        var archiveOption = new Option<string?>("--archive") { Description = "Also keep the decoded raw data in the archive under this folder (docs/archive.md)." };
        var command = new Command("replay", "Replay a recording through the virtual wearable and the whole pipeline into InfluxDB, on virtual time.")
        {
            recordingOption, participantOption, profileOption, segmentOption, startOption, speedOption, urlOption, databaseOption, createOption, directoryOption,
            modelOption, registryOption, archiveOption,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            ReplayRequest request;
            try
            {
                var configuration = CommonOptions.Build(parseResult);
                var connection = CommonOptions.Connection(parseResult, configuration, urlOption, databaseOption, createOption);
                var writer = new InfluxWriterOptions();
                configuration.GetSection(InfluxWriterOptions.SectionName).Bind(writer);
                request = new ReplayRequest(
                    parseResult.GetValue(recordingOption)!,
                    Participant(parseResult.GetValue(participantOption)!),
                    LoadProfile(SensorProfiles.ResolveDirectory(parseResult, directoryOption), parseResult.GetValue(profileOption)!),
                    parseResult.GetValue(segmentOption),
                    parseResult.GetValue(startOption),
                    ParseSpeed(parseResult.GetValue(speedOption)!),
                    connection,
                    writer,
                    LoadModel(parseResult.GetValue(modelOption) ?? configuration["Activity:ModelPath"]),
                    LoadParticipant(parseResult.GetValue(registryOption), parseResult.GetValue(participantOption)!),
                    parseResult.GetValue(archiveOption) is { } archive ? Path.GetFullPath(archive) : null);
            }
            catch (Exception ex) when (ex is ConfigurationException or ArgumentException or InvalidOperationException or FormatException
                or ProfileValidationException or Activity.ActivityModelException or Adherence.RegistryValidationException or IOException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return (int)Exit.BadInput;
            }

            return (int)await RunAsync(request, output, error, cancellationToken);
        });
        return command;
    }

    public sealed record ReplayRequest(
        string RecordingPath,
        string Participant,
        FirmwareProfile Profile,
        int? Segment,
        DateTimeOffset? Start,
        double? Speed,
        InfluxConnectionOptions Connection,
        InfluxWriterOptions Writer,
        Activity.ActivityModel? Model = null,
        Adherence.Participant? Registration = null,
        string? ArchiveRoot = null);

    public static async Task<Exit> RunAsync(ReplayRequest request, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        Recording recording;
        try
        {
            recording = PickRecording(RecordingReader.Open(request.RecordingPath), request.Segment, request.RecordingPath);
        }
        catch (Exception ex) when (ex is RecordingFormatException or IOException or ArgumentException)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return Exit.BadInput;
        }

        using var http = InfluxHttpClient.Create(request.Connection);
        var query = new InfluxQueryClient(http, request.Connection);
        try
        {
            await query.PingAsync(cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            // The spool would keep everything, but a replay is a one-off: say so now, not after a long run.
            await error.WriteLineAsync($"error: InfluxDB at {request.Connection.Url} is unreachable: {ex.Message}");
            return Exit.StorageUnavailable;
        }

        var start = request.Start ?? recording.StartUtc ?? DefaultStart;
        using var archive = request.ArchiveRoot is { } root
            ? new Archive.ParticipantArchiveWriter(root, request.Participant, new Archive.ParticipantArchiveOptions { LocalDate = request.Registration is { } r ? r.LocalDate : null })
            : null;
        var options = new ReplayOptions
        {
            Participant = request.Participant,
            Profile = request.Profile,
            Start = start,
            Speed = request.Speed,
            Model = request.Model,
            Registration = request.Registration,
            Archive = archive,
        };
        var replay = new RecordingReplay(recording, options);
        var duration = TimeSpan.FromTicks(replay.SensorRecording.DurationNs / 100);
        if (replay.Calibration.Status != Signal.CalibrationStatus.NotNeeded)
        {
            var fit = replay.Calibration;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Calibration of the nominal acceleration: {fit.Status}, {fit.StillPoints} still periods, error at rest {fit.ErrorBeforeMg:0.0} → {fit.ErrorAfterMg:0.0} mg, gain {fit.GainX:0.000}/{fit.GainY:0.000}/{fit.GainZ:0.000}, offset {fit.OffsetX:0.000}/{fit.OffsetY:0.000}/{fit.OffsetZ:0.000} g"));
        }
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Replaying {recording} ({duration:hh\\:mm\\:ss}) as {request.Profile.Id} for {request.Participant}, from {start:u}, speed {(request.Speed is { } s ? s.ToString("0.##", CultureInfo.InvariantCulture) + "x" : "max")}, into {request.Connection.Url} db={request.Connection.Database}"));

        var endpoint = new InfluxV1WriteEndpoint(http, request.Connection);
        ReplaySummary summary;
        InfluxWriterStatistics written;
        await using (var writer = new InfluxLineWriter(endpoint, request.Writer))
        {
            var progress = new Progress<TimeSpan>(reached => output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {reached:hh\\:mm\\:ss} of {duration:hh\\:mm\\:ss} ({reached / duration:P0})")));
            summary = await replay.RunAsync(events => events.Store(writer), progress, cancellationToken);
            using var flush = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            flush.CancelAfter(TimeSpan.FromMinutes(2));
            try
            {
                await writer.FlushAsync(flush.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await error.WriteLineAsync($"warning: InfluxDB did not take every point within 2 minutes; the rest waits in the spool ({request.Writer.SpoolDirectory}) and is sent at the next run.");
            }

            written = writer.GetStatistics();
        }

        await PrintSummaryAsync(output, summary, written, recording);
        if (archive is not null)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  archive       {archive.Records:N0} records in {archive.Blocks:N0} blocks under {request.ArchiveRoot}"));
            foreach (var issue in archive.Issues)
            {
                await error.WriteLineAsync($"warning: archive damage found before appending: {issue}");
            }
        }

        await PrintActivityAsync(output, summary, request);
        await PrintStoredAsync(output, query, request.Participant, start, duration, cancellationToken);
        return Exit.Ok;
    }

    private static async Task PrintSummaryAsync(TextWriter output, ReplaySummary s, InfluxWriterStatistics written, Recording recording)
    {
        var c = CultureInfo.InvariantCulture;
        await output.WriteLineAsync("Replay finished");
        await output.WriteLineAsync(string.Create(c, $"  data          {s.DataDuration:hh\\:mm\\:ss} of {recording.Source} {recording.SubjectId}"));
        await output.WriteLineAsync(string.Create(c, $"  frames        {s.Frames:N0} notifications, {s.Faults:N0} decode faults"));
        await output.WriteLineAsync(string.Create(c, $"  samples       {s.AccelerometerSamples:N0} accelerometer, {s.HeartRateMeasurements:N0} heart-rate"));
        await output.WriteLineAsync(string.Create(c, $"  windows       {s.Windows:N0} ({s.CompleteWindows:N0} complete), {s.Gaps:N0} gaps"));
        await output.WriteLineAsync(string.Create(c, $"  points        {s.Points:N0} queued, {written.LinesAccepted:N0} accepted by InfluxDB, {written.LinesDeadLettered:N0} dead-lettered"));
        await output.WriteLineAsync(string.Create(c, $"  wall time     {s.WallTime.TotalSeconds:0.00} s, {s.SamplesPerSecond:N0} samples/s"));
    }

    private static async Task PrintActivityAsync(TextWriter output, ReplaySummary s, ReplayRequest request)
    {
        var c = CultureInfo.InvariantCulture;
        if (request.Model is null)
        {
            await output.WriteLineAsync("  activity      not classified (no model)");
            return;
        }

        await output.WriteLineAsync(string.Create(c, $"  activity      {s.Classified:N0} windows classified by model {request.Model.Version}, {s.ExerciseWindows:N0} of them exercise; {s.Bouts} bouts, {s.Sessions.Count} sessions"));
        foreach (var session in s.Sessions)
        {
            var x = session.Summary;
            var start = DateTimeOffset.UnixEpoch.AddTicks(x.StartNs / 100);
            var classes = string.Join(", ", x.ExerciseNsByClass.OrderByDescending(kv => kv.Value).Select(kv => string.Create(c, $"{kv.Key} {kv.Value / 60e9:0.0}")));
            await output.WriteLineAsync(string.Create(c,
                $"  session       {start:u} – {DateTimeOffset.UnixEpoch.AddTicks(x.EndNs / 100):HH:mm:ss}: {x.ExerciseNs / 60e9:0.0} min exercise ({classes}); light {x.ZoneNs(Adherence.IntensityZone.Light) / 60e9:0.0}, moderate {x.ZoneNs(Adherence.IntensityZone.Moderate) / 60e9:0.0}, vigorous {x.ZoneNs(Adherence.IntensityZone.Vigorous) / 60e9:0.0} min; in target {x.TargetNs / 60e9:0.0} min; HR mean {x.MeanHeartRateBpm:0} peak {x.PeakHeartRateBpm:0} bpm; coverage {x.Coverage:P0}; {Adherence.AdherencePoints.QualityText(session.Quality)}"));
        }

        foreach (var period in s.Adherence.Where(p => p.PeriodStart != p.PeriodEnd))
        {
            await output.WriteLineAsync(string.Create(c,
                $"  adherence     {period.Label}: {period.SessionsDone} of {period.SessionsPrescribed:0.#} sessions, {period.TargetMinutes:0.0} of {period.PrescribedMinutes:0} min in the target zone = {(period.AdherencePercent is { } pct ? pct.ToString("0", c) + " %" : "no prescription")}"));
        }
    }

    private static Activity.ActivityModel? LoadModel(string? path)
    {
        if (string.Equals(path, "none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var resolved = string.IsNullOrWhiteSpace(path) ? Path.Combine(AppContext.BaseDirectory, "models", "activity.zip") : Path.GetFullPath(path);
        if (!File.Exists(resolved))
        {
            throw new ArgumentException($"The activity model '{resolved}' does not exist; pass --model PATH or --model none.");
        }

        return Activity.ActivityModel.Load(resolved);
    }

    private static Adherence.Participant? LoadParticipant(FileInfo? registry, string code)
    {
        if (registry is null)
        {
            return null;
        }

        var loaded = Adherence.ParticipantRegistryLoader.Load(registry.FullName);
        return loaded.Find(code) ?? throw new ArgumentException($"Participant '{code}' is not in the registry {registry.FullName}.");
    }

    private static async Task PrintStoredAsync(TextWriter output, InfluxQueryClient query, string participant, DateTimeOffset start, TimeSpan duration, CancellationToken cancellationToken)
    {
        var parameters = new Dictionary<string, object?> { ["p"] = participant };
        var range = string.Create(CultureInfo.InvariantCulture, $"time >= {Point.ToTimestampNs(start)} AND time < {Point.ToTimestampNs(start + duration + TimeSpan.FromMinutes(1))}");
        try
        {
            var hr = await query.QueryAsync($"SELECT COUNT(\"hr_bpm\") AS n, MEAN(\"hr_bpm\") AS mean, MIN(\"hr_bpm\") AS lo, MAX(\"hr_bpm\") AS hi, SUM(\"rejected\") AS rejected FROM {query.Source("heart_rate")} WHERE \"participant\" = $p AND {range}", parameters, cancellationToken);
            var motion = await query.QueryAsync($"SELECT COUNT(\"enmo_mg\") AS n, MEAN(\"enmo_mg\") AS mean, MEAN(\"coverage\") AS coverage FROM {query.Source("motion")} WHERE \"participant\" = $p AND {range}", parameters, cancellationToken);
            var c = CultureInfo.InvariantCulture;
            await output.WriteLineAsync($"Stored in InfluxDB for {participant}");
            if (FirstRow(hr) is { } h)
            {
                await output.WriteLineAsync(string.Create(c,
                    $"  heart_rate    {h.GetInt64("n"):N0} seconds with a valid value, mean {h.GetDouble("mean"):0.0} bpm (range {h.GetDouble("lo"):0}–{h.GetDouble("hi"):0}), {h.GetInt64("rejected"):N0} values rejected as artefacts"));
            }
            else
            {
                await output.WriteLineAsync("  heart_rate    none");
            }

            if (FirstRow(motion) is { } m)
            {
                await output.WriteLineAsync(string.Create(c,
                    $"  motion        {m.GetInt64("n"):N0} seconds, mean ENMO {m.GetDouble("mean"):0.0} mg, coverage {m.GetDouble("coverage"):P1}"));
            }
        }
        catch (Exception ex) when (ex is InfluxQueryException or HttpRequestException)
        {
            await output.WriteLineAsync($"  could not read the stored data back: {ex.Message}");
        }
    }

    private static InfluxRow? FirstRow(IReadOnlyList<InfluxSeries> series) =>
        series.Count > 0 && series[0].Rows.Count > 0 ? series[0].Rows[0] : null;

    internal static Recording PickRecording(IReadOnlyList<Recording> recordings, int? segment, string path)
    {
        if (segment is { } index)
        {
            return index >= 0 && index < recordings.Count
                ? recordings[index]
                : throw new ArgumentException($"'{path}' holds {recordings.Count} recordings; --segment must be 0–{recordings.Count - 1}.");
        }

        return recordings.Count == 1
            ? recordings[0]
            : throw new ArgumentException($"'{path}' holds {recordings.Count} recordings (one per activity block); choose one with --segment 0–{recordings.Count - 1}.");
    }

    internal static FirmwareProfile LoadProfile(string directory, string id)
    {
        var path = Path.Combine(directory, id + ".json");
        if (!File.Exists(path))
        {
            var known = Directory.Exists(directory)
                ? string.Join(", ", Directory.GetFiles(directory, "*.json").Select(Path.GetFileNameWithoutExtension).Where(n => n != "profile.schema").Order())
                : "none";
            throw new ArgumentException($"No firmware profile '{id}' in {directory} (known: {known}).");
        }

        return FirmwareProfileLoader.Load(path);
    }

    internal static string Participant(string code) =>
        Adherence.ParticipantCode.IsValid(code, out var problem) ? code : throw new ArgumentException($"'{code}' is not a participant code: {problem}");

    internal static double? ParseSpeed(string text) => text.Trim().ToLowerInvariant() switch
    {
        "max" => null,
        "realtime" => 1,
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var speed) && speed > 0 && double.IsFinite(speed) => speed,
        _ => throw new ArgumentException($"--speed must be max, realtime or a positive number, not '{text}'."),
    };
}
