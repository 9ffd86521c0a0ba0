using System.CommandLine;
using System.Globalization;
using AdherencePipeline.Adherence;
using AdherencePipeline.Outcomes;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Service.Commands;

/// <summary><c>adherence outcomes due|add|list</c>: scheduled questionnaires, staff entry, and what is stored.</summary>
internal static class OutcomesCommand
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static Command Create() => new("outcomes", "Outcome questionnaires: what is due, staff entry, what is stored.") { Due(), Add(), List() };

    private static Command Due()
    {
        var date = new Option<string?>("--date") { Description = "Judge on this local date, YYYY-MM-DD (default: each participant's today)." };
        var registryOption = ParticipantRegistryFile.Option();
        var instrumentsOption = OutcomeInstruments.DirectoryOption();
        var url = CommonOptions.InfluxUrl();
        var database = CommonOptions.InfluxDatabase();
        var command = new Command("due", "List the participants whose questionnaires are due or overdue.") { date, registryOption, instrumentsOption, url, database };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            ParticipantRegistry registry;
            IReadOnlyList<Instrument> instruments;
            InfluxConnectionOptions connection;
            DateOnly? on = null;
            try
            {
                connection = CommonOptions.Connection(parseResult, CommonOptions.Build(parseResult), url, database);
                registry = ParticipantRegistryLoader.Load(ParticipantRegistryFile.Resolve(parseResult, registryOption));
                instruments = OutcomeInstruments.Load(parseResult, instrumentsOption);
                OutcomeInstruments.CheckSchedules(registry, instruments);
                if (parseResult.GetValue(date) is { } text)
                {
                    on = DateOnly.TryParseExact(text, "yyyy-MM-dd", C, DateTimeStyles.None, out var d) ? d : throw new ArgumentException($"--date '{text}' is not a date YYYY-MM-DD.");
                }
            }
            catch (Exception ex) when (ex is ConfigurationException or ArgumentException or InvalidOperationException or RegistryValidationException or InstrumentValidationException or IOException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }

            using var http = InfluxHttpClient.Create(connection);
            IReadOnlyList<OutcomeRecord> stored;
            try
            {
                stored = await new StudyDataReader(new InfluxQueryClient(http, connection)).OutcomesAsync(instruments, null, cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException or FormatException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return 2;
            }

            var now = DateTimeOffset.UtcNow;
            var pending = OutcomeDue.Pending(registry, p => on ?? p.LocalDate(now), p => OutcomeDue.Answered(stored, p.Id));
            if (pending.Count == 0)
            {
                await output.WriteLineAsync("no questionnaires due or overdue");
                return 0;
            }

            foreach (var a in pending)
            {
                await output.WriteLineAsync(string.Create(C,
                    $"{a.Participant,-8} {a.Arm,-12} {a.TimePoint.Id,-10} {(a.Status == AssessmentStatus.Due ? "due" : "overdue"),-8} target {a.TargetDate:yyyy-MM-dd}, window {a.WindowStart:yyyy-MM-dd} to {a.WindowEnd:yyyy-MM-dd}, missing {string.Join(", ", a.Missing)}"));
            }

            return 0;
        });
        return command;
    }

    private static Command Add()
    {
        var participant = new Option<string>("--participant") { Description = "The participant's code.", Required = true };
        var instrument = new Option<string>("--instrument") { Description = "The instrument id, e.g. peg-3.", Required = true };
        var timePoint = new Option<string>("--time-point") { Description = "The time point of the arm's outcome schedule, e.g. baseline.", Required = true };
        var answers = new Option<string>("--answers") { Description = "Answers as item=value,item=value; an empty value or - for an unanswered item.", Required = true };
        var at = new Option<DateTimeOffset?>("--at") { Description = "When it was answered, ISO 8601 (default: now; without an offset, UTC).", CustomParser = CommonOptions.ParseTime };
        var registryOption = ParticipantRegistryFile.Option();
        var instrumentsOption = OutcomeInstruments.DirectoryOption();
        var url = CommonOptions.InfluxUrl();
        var database = CommonOptions.InfluxDatabase();
        var create = CommonOptions.CreateDatabase();
        var command = new Command("add", "Validate one questionnaire item by item, score it and store it (measurement outcome).")
        {
            participant, instrument, timePoint, answers, at, registryOption, instrumentsOption, url, database, create,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            OutcomeRecord record;
            Participant who;
            InfluxConnectionOptions connection;
            try
            {
                connection = CommonOptions.Connection(parseResult, CommonOptions.Build(parseResult), url, database, create);
                var registry = ParticipantRegistryLoader.Load(ParticipantRegistryFile.Resolve(parseResult, registryOption));
                var instruments = OutcomeInstruments.Load(parseResult, instrumentsOption);
                var code = parseResult.GetValue(participant)!;
                who = registry.Find(code) ?? throw new ArgumentException($"Participant '{code}' is not in the registry.");
                var id = parseResult.GetValue(instrument)!;
                var chosen = instruments.FirstOrDefault(i => i.Id == id)
                    ?? throw new ArgumentException($"Instrument '{id}' is not one of {string.Join(", ", instruments.Select(i => i.Id))}.");
                var parsed = InstrumentAnswers.TryParse(chosen, parseResult.GetValue(answers), out var problems);
                if (parsed is null)
                {
                    foreach (var p in problems)
                    {
                        await error.WriteLineAsync($"error: {p}");
                    }

                    await error.WriteLineAsync("nothing was stored");
                    return 1;
                }

                var time = parseResult.GetValue(at) ?? DateTimeOffset.UtcNow;
                if (time > DateTimeOffset.UtcNow.AddMinutes(5))
                {
                    throw new ArgumentException(string.Create(C, $"--at {time:yyyy-MM-ddTHH:mm:ssZ} is in the future."));
                }

                record = OutcomeRecord.Create(registry, who, parseResult.GetValue(timePoint)!, parsed, time);
                var point = registry.OutcomeSchedule(who.Arm).First(t => t.Id == record.TimePoint);
                if (record.LocalDate < point.WindowStart(who.EnrolmentStart) || record.LocalDate > point.WindowEnd(who.EnrolmentStart))
                {
                    await output.WriteLineAsync(string.Create(C,
                        $"note: answered on {record.LocalDate:yyyy-MM-dd}, outside the {point.Id} window {point.WindowStart(who.EnrolmentStart):yyyy-MM-dd} to {point.WindowEnd(who.EnrolmentStart):yyyy-MM-dd}"));
                }
            }
            catch (Exception ex) when (ex is ConfigurationException or ArgumentException or InvalidOperationException or RegistryValidationException or InstrumentValidationException or IOException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                await error.WriteLineAsync("nothing was stored");
                return 1;
            }

            using var http = InfluxHttpClient.Create(connection);
            var outcome = await OutcomeWriter.WriteAsync(http, connection, record, cancellationToken);
            if (outcome.Kind != WriteOutcomeKind.Accepted)
            {
                await error.WriteLineAsync($"error: InfluxDB at {connection.Url}, database '{connection.Database}' did not store the questionnaire ({outcome.Kind}: {outcome.Message}); nothing was stored");
                return 2;
            }

            await output.WriteLineAsync($"stored in InfluxDB at {connection.Url}, database '{connection.Database}':");
            await output.WriteLineAsync(Describe(record));
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var participant = new Option<string?>("--participant") { Description = "Only this participant." };
        var instrumentsOption = OutcomeInstruments.DirectoryOption();
        var url = CommonOptions.InfluxUrl();
        var database = CommonOptions.InfluxDatabase();
        var command = new Command("list", "List stored questionnaires with their scores (re-scored with the current instrument files).") { participant, instrumentsOption, url, database };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            IReadOnlyList<Instrument> instruments;
            InfluxConnectionOptions connection;
            try
            {
                connection = CommonOptions.Connection(parseResult, CommonOptions.Build(parseResult), url, database);
                instruments = OutcomeInstruments.Load(parseResult, instrumentsOption);
            }
            catch (Exception ex) when (ex is ConfigurationException or ArgumentException or InvalidOperationException or InstrumentValidationException or IOException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }

            using var http = InfluxHttpClient.Create(connection);
            try
            {
                var records = await new StudyDataReader(new InfluxQueryClient(http, connection)).OutcomesAsync(instruments, parseResult.GetValue(participant), cancellationToken);
                await output.WriteAsync(records.Count == 0 ? "no questionnaires stored\n" : string.Concat(records.Select(r => Describe(r) + "\n")));
            }
            catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException or FormatException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return 2;
            }

            return 0;
        });
        return command;
    }

    private static string Describe(OutcomeRecord r)
    {
        var scores = string.Join(", ", r.Scores.Select(s => s.Value is { } v
            ? string.Create(C, $"{s.Id} {v:0.##}{(s.Transformed is { } t ? string.Create(C, $" ({t:0.##} on 0–100)") : "")}")
            : $"{s.Id} missing ({s.Answered} answered)"));
        return string.Create(C, $"  {r.Participant} ({r.Arm}, {r.Site}) {r.Instrument} at {r.TimePoint}, {r.LocalDate:yyyy-MM-dd}: {scores}");
    }
}
