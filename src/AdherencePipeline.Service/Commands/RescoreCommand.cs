using System.CommandLine;
using System.Globalization;
using AdherencePipeline.Archive;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Storage;
using Microsoft.Extensions.Configuration;

namespace AdherencePipeline.Service.Commands;

/// <summary>
/// <c>adherence rescore</c>: the raw archive through the pipeline again with another activity model;
/// activity, bouts, sessions and adherence are written under the new model's version tag, and the
/// earlier versions' points stay queryable.
/// </summary>
internal static class RescoreCommand
{
    public enum Exit
    {
        Ok = 0,
        BadInput = 1,
        StorageUnavailable = 2,
        ArchiveDamaged = 3,
    }

    public static Command Create()
    {
        var modelOption = new Option<string>("--model") { Description = "The activity model to score with (its card must be beside it).", Required = true };
        var participantOption = new Option<string?>("--participant") { Description = "Re-score one participant." };
        var allOption = new Option<bool>("--all") { Description = "Re-score every participant in the archive." };
        var fromOption = new Option<DateTimeOffset?>("--from") { Description = "First local day to re-score (ISO 8601 date).", CustomParser = CommonOptions.ParseTime };
        var toOption = new Option<DateTimeOffset?>("--to") { Description = "Re-score up to, not including, this local day.", CustomParser = CommonOptions.ParseTime };
        var archiveOption = ArchiveOption();
        var registryOption = new Option<FileInfo?>("--registry") { Description = "Participant registry: prescription, time zone and heart-rate reserve, for sessions in the target zone and adherence." };
        var urlOption = CommonOptions.InfluxUrl();
        var databaseOption = CommonOptions.InfluxDatabase();
        var createOption = CommonOptions.CreateDatabase();
        var command = new Command("rescore", "Run the raw archive through the pipeline with another model; results are stored under its version, earlier versions stay.")
        {
            modelOption, participantOption, allOption, fromOption, toOption, archiveOption, registryOption, urlOption, databaseOption, createOption,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(participantOption) is null) == !result.GetValue(allOption))
            {
                result.AddError("Give either --participant ID or --all.");
            }
        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            RescoreRequest request;
            try
            {
                var configuration = CommonOptions.Build(parseResult);
                var writer = new InfluxWriterOptions();
                configuration.GetSection(InfluxWriterOptions.SectionName).Bind(writer);
                var root = ArchiveDirectory(parseResult, archiveOption, configuration);
                var registry = parseResult.GetValue(registryOption) is { } file ? Adherence.ParticipantRegistryLoader.Load(file.FullName) : null;
                var participants = parseResult.GetValue(participantOption) is { } one ? [one] : ParticipantArchive.Participants(root);
                if (participants.Count == 0)
                {
                    throw new ArgumentException($"The archive {root} holds no participant's data.");
                }

                var model = Path.GetFullPath(parseResult.GetValue(modelOption)!);
                request = new RescoreRequest(
                    root,
                    [.. participants.Select(p => (p, registry?.Find(p)))],
                    Activity.ActivityModel.Load(model),
                    parseResult.GetValue(fromOption) is { } from ? DateOnly.FromDateTime(from.UtcDateTime) : null,
                    parseResult.GetValue(toOption) is { } to ? DateOnly.FromDateTime(to.UtcDateTime).AddDays(-1) : null,
                    CommonOptions.Connection(parseResult, configuration, urlOption, databaseOption, createOption),
                    writer);
            }
            catch (Exception ex) when (ex is ConfigurationException or ArgumentException or InvalidOperationException or IOException
                or Activity.ActivityModelException or Adherence.RegistryValidationException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return (int)Exit.BadInput;
            }

            return (int)await RunAsync(request, parseResult.InvocationConfiguration.Output, error, cancellationToken);
        });
        return command;
    }

    /// <summary><c>--archive DIR</c>: the raw archive's root folder, overriding <c>Archive:Directory</c>.</summary>
    public static Option<string?> ArchiveOption() => new("--archive") { Description = "Root folder of the raw archive (default: Archive:Directory, else 'archive')." };

    /// <summary>The archive root: the option, else <c>Archive:Directory</c>, else <c>archive</c> in the working directory.</summary>
    public static string ArchiveDirectory(ParseResult parseResult, Option<string?> option, IConfiguration configuration)
    {
        var path = parseResult.GetValue(option) ?? configuration["Archive:Directory"];
        return Path.GetFullPath(string.IsNullOrWhiteSpace(path) ? "archive" : path);
    }

    public sealed record RescoreRequest(
        string ArchiveRoot,
        IReadOnlyList<(string Code, Adherence.Participant? Registration)> Participants,
        Activity.ActivityModel Model,
        DateOnly? From,
        DateOnly? To,
        InfluxConnectionOptions Connection,
        InfluxWriterOptions Writer);

    public static async Task<Exit> RunAsync(RescoreRequest request, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using var http = InfluxHttpClient.Create(request.Connection);
        try
        {
            await new InfluxQueryClient(http, request.Connection).PingAsync(cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"error: InfluxDB at {request.Connection.Url} is unreachable: {ex.Message}");
            return Exit.StorageUnavailable;
        }

        var c = CultureInfo.InvariantCulture;
        await output.WriteLineAsync($"Re-scoring {request.Participants.Count} participant(s) from {request.ArchiveRoot} with model {request.Model.Version}, into {request.Connection.Url} db={request.Connection.Database}");
        var damaged = false;
        await using (var writer = new InfluxLineWriter(new InfluxV1WriteEndpoint(http, request.Connection), request.Writer))
        {
            foreach (var (code, registration) in request.Participants)
            {
                if (ParticipantArchive.Days(request.ArchiveRoot, code, request.From, request.To).Count == 0)
                {
                    await error.WriteLineAsync($"warning: {code}: no archived days in the range under {request.ArchiveRoot}");
                    continue;
                }

                var options = new RescoreOptions { Participant = code, Model = request.Model, Registration = registration, From = request.From, To = request.To };
                RescoreSummary summary;
                try
                {
                    summary = await ArchiveRescore.RunAsync(request.ArchiveRoot, options, events => events.Store(writer),
                        issue => error.WriteLine($"warning: archive damage: {issue}"), cancellationToken);
                }
                catch (IOException ex)
                {
                    await error.WriteLineAsync($"error: {code}: the archive could not be read: {ex.Message}");
                    return Exit.BadInput;
                }

                damaged |= summary.Issues > 0;
                await output.WriteLineAsync(string.Create(c,
                    $"  {code}: {summary.AccelerometerSamples:N0} samples, {summary.Classified:N0} windows classified, {summary.Bouts:N0} bouts, {summary.Sessions:N0} sessions, {summary.Points:N0} points; {summary.WallTime.TotalSeconds:0.00} s, {summary.SamplesPerSecond:N0} samples/s"));
            }

            await writer.FlushAsync(cancellationToken);
            var written = writer.GetStatistics();
            await output.WriteLineAsync(string.Create(c, $"Stored under model_version={request.Model.Version}: {written.LinesAccepted:N0} points accepted by InfluxDB, {written.LinesDeadLettered:N0} dead-lettered"));
        }

        return damaged ? Exit.ArchiveDamaged : Exit.Ok;
    }
}
