using System.CommandLine;
using System.Globalization;
using AdherencePipeline.Adherence;
using AdherencePipeline.Outcomes;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Service.Commands;

/// <summary><c>adherence analysis export|summary</c>: tidy tables for R and pandas, and the per-arm summary with charts.</summary>
internal static class AnalysisCommand
{
    /// <summary>The configuration key for the drop-out threshold in days.</summary>
    public const string DropoutDaysKey = "Analysis:DropoutDays";

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static Command Create() => new("analysis", "Data for researchers: tidy tables and the per-arm summary.") { Export(), Summary() };

    private static Command Export()
    {
        var (from, to) = RangeOptions();
        var outOption = new Option<DirectoryInfo>("--out") { Description = "Folder to write the tables and the data dictionary into.", Required = true };
        var format = new Option<string>("--format") { Description = "csv (default) or parquet.", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "parquet");
        var registryOption = ParticipantRegistryFile.Option();
        var instrumentsOption = OutcomeInstruments.DirectoryOption();
        var url = CommonOptions.InfluxUrl();
        var database = CommonOptions.InfluxDatabase();
        var command = new Command("export", "Write participant_weeks and participant_outcomes (one row per participant-week, per participant and time point) with a data dictionary.")
        {
            from, to, outOption, format, registryOption, instrumentsOption, url, database,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var loaded = await LoadAsync(parseResult, from, to, registryOption, instrumentsOption, url, database, error, cancellationToken);
            using var http = loaded.Http;
            if (loaded.Exit != 0)
            {
                return loaded.Exit;
            }

            var directory = parseResult.GetValue(outOption)!;
            Directory.CreateDirectory(directory.FullName);
            TidyTable[] tables = [StudyTables.ParticipantWeeks(loaded.Dataset!), StudyTables.Outcomes(loaded.Dataset!)];
            var parquet = parseResult.GetValue(format) == "parquet";
            foreach (var table in tables)
            {
                var path = Path.Combine(directory.FullName, table.Name + (parquet ? ".parquet" : ".csv"));
                if (parquet)
                {
                    await ParquetExport.WriteAsync(table, path, cancellationToken);
                }
                else
                {
                    await File.WriteAllTextAsync(path, table.ToCsv(), cancellationToken);
                }

                await output.WriteLineAsync(string.Create(C, $"{path}: {table.Rows.Count} rows, {table.Columns.Count} columns ({table.Description})"));
            }

            var dictionary = Path.Combine(directory.FullName, StudyTables.DictionaryName + ".csv");
            await File.WriteAllTextAsync(dictionary, StudyTables.DictionaryCsv(tables), cancellationToken);
            await output.WriteLineAsync($"{dictionary}: the columns' types, units and meaning");
            return 0;
        });
        return command;
    }

    private static Command Summary()
    {
        var (from, to) = RangeOptions();
        var plot = new Option<DirectoryInfo?>("--plot") { Description = "Also write the charts (SVG) into this folder." };
        var dropoutDays = new Option<int?>("--dropout-days") { Description = $"Days without valid wear after which a participant is flagged (default: {DropoutDaysKey}, else {OutcomeSummary.DefaultDropoutDays})." };
        var registryOption = ParticipantRegistryFile.Option();
        var instrumentsOption = OutcomeInstruments.DirectoryOption();
        var url = CommonOptions.InfluxUrl();
        var database = CommonOptions.InfluxDatabase();
        var command = new Command("summary", "Per arm: n, mean change from baseline with 95 % CI, responders, possible drop-outs; optionally the charts.")
        {
            from, to, plot, dropoutDays, registryOption, instrumentsOption, url, database,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            int days;
            try
            {
                var configured = CommonOptions.Build(parseResult)[DropoutDaysKey];
                days = parseResult.GetValue(dropoutDays)
                    ?? (string.IsNullOrWhiteSpace(configured) ? OutcomeSummary.DefaultDropoutDays
                        : int.TryParse(configured, NumberStyles.None, C, out var d) ? d : throw new ArgumentException($"{DropoutDaysKey}: expected a whole number of days, found '{configured}'"));
                if (days < 1)
                {
                    throw new ArgumentException(string.Create(C, $"--dropout-days: expected at least 1, found {days}"));
                }
            }
            catch (Exception ex) when (ex is ConfigurationException or ArgumentException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }

            var loaded = await LoadAsync(parseResult, from, to, registryOption, instrumentsOption, url, database, error, cancellationToken);
            using var http = loaded.Http;
            if (loaded.Exit != 0)
            {
                return loaded.Exit;
            }

            var (registry, dataset) = (loaded.Registry!, loaded.Dataset!);
            // Drop-out is judged at the end of the range (or now, if earlier), so an old export reads the same tomorrow.
            var asOfDate = loaded.To.AddDays(1).ToDateTime(TimeOnly.MinValue);
            var asOf = new DateTimeOffset(asOfDate, TimeSpan.Zero) < DateTimeOffset.UtcNow ? new DateTimeOffset(asOfDate, TimeSpan.Zero) : DateTimeOffset.UtcNow;
            IReadOnlyDictionary<string, DateTimeOffset> lastWear;
            try
            {
                lastWear = await loaded.Reader!.LastValidWearAsync(asOf, cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return 2;
            }

            var changes = OutcomeSummary.Changes(registry, dataset);
            var dropouts = OutcomeSummary.Dropouts(registry, lastWear, asOf, days);
            await output.WriteAsync(OutcomeSummary.ToText(registry, dataset, changes, dropouts, days));
            if (parseResult.GetValue(plot) is { } directory)
            {
                Directory.CreateDirectory(directory.FullName);
                var charts = new List<(string Name, string Svg)>
                {
                    ("weekly-adherence.svg", OutcomeSummary.WeeklyAdherenceSvg(registry, dataset)),
                    ("minutes-by-class-and-zone.svg", OutcomeSummary.MinutesSvg(registry, dataset)),
                };
                charts.AddRange(dataset.Instruments.Select(i => ($"dose-response-{i.Id}.svg", OutcomeSummary.DoseResponseSvg(registry, dataset, i))));
                foreach (var (name, svg) in charts)
                {
                    await File.WriteAllTextAsync(Path.Combine(directory.FullName, name), svg, cancellationToken);
                }

                await output.WriteLineAsync($"Charts written to {directory.FullName}: {string.Join(", ", charts.Select(c => c.Name))}");
            }

            return 0;
        });
        return command;
    }

    private static (Option<string?> From, Option<string?> To) RangeOptions() =>
        (new Option<string?>("--from") { Description = "First local date, YYYY-MM-DD (default: the earliest enrolment start)." },
         new Option<string?>("--to") { Description = "Last local date, YYYY-MM-DD (default: today, UTC)." });

    private static async Task<(int Exit, ParticipantRegistry? Registry, StudyDataset? Dataset, StudyDataReader? Reader, DateOnly To, HttpClient? Http)> LoadAsync(ParseResult parseResult,
        Option<string?> fromOption, Option<string?> toOption, Option<FileInfo?> registryOption, Option<DirectoryInfo?> instrumentsOption, Option<Uri?> url, Option<string?> database,
        TextWriter error, CancellationToken cancellationToken)
    {
        ParticipantRegistry registry;
        IReadOnlyList<Instrument> instruments;
        InfluxConnectionOptions connection;
        DateOnly from, to;
        try
        {
            connection = CommonOptions.Connection(parseResult, CommonOptions.Build(parseResult), url, database);
            registry = ParticipantRegistryLoader.Load(ParticipantRegistryFile.Resolve(parseResult, registryOption));
            instruments = OutcomeInstruments.Load(parseResult, instrumentsOption);
            OutcomeInstruments.CheckSchedules(registry, instruments);
            from = Date(parseResult.GetValue(fromOption), "--from") ?? (registry.Participants.Count == 0 ? DateOnly.FromDateTime(DateTime.UtcNow) : registry.Participants.Min(p => p.EnrolmentStart));
            to = Date(parseResult.GetValue(toOption), "--to") ?? DateOnly.FromDateTime(DateTime.UtcNow);
            if (to < from)
            {
                throw new ArgumentException(string.Create(C, $"--to {to:yyyy-MM-dd} is before --from {from:yyyy-MM-dd}."));
            }
        }
        catch (Exception ex) when (ex is ConfigurationException or ArgumentException or InvalidOperationException or RegistryValidationException or InstrumentValidationException or IOException)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return (1, null, null, null, default, null);
        }

        // The caller disposes the client, which the returned reader keeps using.
        var http = InfluxHttpClient.Create(connection);
        var reader = new StudyDataReader(new InfluxQueryClient(http, connection));
        try
        {
            return (0, registry, await StudyDataset.LoadAsync(reader, registry, instruments, from, to, cancellationToken), reader, to, http);
        }
        catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException or FormatException)
        {
            http.Dispose();
            await error.WriteLineAsync($"error: {InfluxHttpClient.Describe(ex)}");
            return (2, null, null, null, default, null);
        }
    }

    private static DateOnly? Date(string? text, string option) =>
        text is null ? null
        : DateOnly.TryParseExact(text, "yyyy-MM-dd", C, DateTimeStyles.None, out var d) ? d
        : throw new ArgumentException($"{option} '{text}' is not a date YYYY-MM-DD.");
}
