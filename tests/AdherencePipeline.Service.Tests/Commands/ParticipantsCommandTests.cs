namespace AdherencePipeline.Service.Tests.Commands;

public sealed class ParticipantsCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("participants-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>The shipped example registry, found above the test binaries.</summary>
    internal static string ExampleRegistry { get; } = FindExample();

    [Fact]
    public async Task List_Example_PrintsEveryParticipantWithArmAndZones()
    {
        var (exit, output, _) = await CliRunner.RunAsync("participants", "list", "--registry", ExampleRegistry);

        Assert.Equal(0, exit);
        Assert.Contains("P001\texercise\toslo\t2026-02-16 to 2026-11-29\tEurope/Oslo > America/New_York", output, StringComparison.Ordinal);
        Assert.Contains("P003\tusual_care\toslo\t2026-03-09 to open\tEurope/Oslo\tnone", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_Example_ExitsZero()
    {
        var (exit, output, error) = await CliRunner.RunAsync("participants", "validate", "--registry", ExampleRegistry);

        Assert.True(exit == 0, error);
        Assert.Contains("3 valid participant(s), 0 problem(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SeveralProblems_ExitsOneListingEachWithFileEntryAndField()
    {
        var json = File.ReadAllText(ExampleRegistry)
            .Replace("\"sessionsPerWeek\": 2,", "\"sessionsPerWeek\": 20,", StringComparison.Ordinal)
            .Replace("\"id\": \"P003\"", "\"id\": \"kari@example.org\"", StringComparison.Ordinal)
            .Replace("\"profile\": \"polar-h10\" }", "\"profile\": \"polar-h11\" }", StringComparison.Ordinal);
        var path = Path.Combine(_directory, "participants.json");
        File.WriteAllText(path, json);

        var (exit, output, error) = await CliRunner.RunAsync("participants", "validate", "--registry", path);

        Assert.Equal(1, exit);
        Assert.Contains("3 problem(s)", output, StringComparison.Ordinal);
        Assert.Contains($"{path}: P002: $.participants[1].prescriptions[0].sessionsPerWeek: expected an integer from 1 to 14", error, StringComparison.Ordinal);
        Assert.Contains($"{path}: participants[2]: $.participants[2].id: 'kari@example.org' looks like an e-mail address", error, StringComparison.Ordinal);
        Assert.Contains($"{path}: P001: $.participants[0].devices[0].profile: expected a known firmware profile id", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_ScheduleNamesAMissingInstrument_ExitsOneNamingFileEntryAndPath()
    {
        var json = File.ReadAllText(ExampleRegistry)
            .Replace("{ \"id\": \"week8\", \"week\": 8, \"windowBeforeDays\": 3, \"windowAfterDays\": 7, \"instruments\": [\"peg-3\", \"psfs\", \"who-5\"] }",
                "{ \"id\": \"week8\", \"week\": 8, \"windowBeforeDays\": 3, \"windowAfterDays\": 7, \"instruments\": [\"peg-3\", \"eq-5d\", \"who-5\"] }", StringComparison.Ordinal);
        var path = Path.Combine(_directory, "participants.json");
        File.WriteAllText(path, json);
        var instruments = Directory.CreateDirectory(Path.Combine(_directory, "instruments")).FullName;
        foreach (var id in new[] { "peg-3", "psfs" })
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, "instruments", id + ".json"), Path.Combine(instruments, id + ".json"));
        }

        var (exit, output, error) = await CliRunner.RunAsync("participants", "validate", "--registry", path, "--instruments-dir", instruments);

        Assert.Equal(1, exit);
        Assert.Contains($"{path}: exercise/week8: $.outcomeSchedules.exercise[2].instruments[1]: expected an instrument of the instruments folder (peg-3, psfs), found 'eq-5d'", error, StringComparison.Ordinal);
        // who-5 is missing from this folder, so every time point that asks for it is named too.
        Assert.Contains($"{path}: usual_care/followup: $.outcomeSchedules.usual_care[2].instruments[2]: expected an instrument of the instruments folder (peg-3, psfs), found 'who-5'", error, StringComparison.Ordinal);
        Assert.Contains("9 problem(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_RegistryFromConfiguration_IsUsedWithoutOption()
    {
        var config = Path.Combine(_directory, "config.json");
        File.WriteAllText(config, $$"""{ "Participants": { "Registry": "{{ExampleRegistry}}" } }""");

        var (exit, output, _) = await CliRunner.RunAsync("participants", "validate", "--config", config);

        Assert.Equal(0, exit);
        Assert.Contains(ExampleRegistry, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_MissingFile_ExitsOneNamingIt()
    {
        var path = Path.Combine(_directory, "nope.json");

        var (exit, _, error) = await CliRunner.RunAsync("participants", "validate", "--registry", path);

        Assert.Equal(1, exit);
        Assert.Contains(path, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_ParticipantWithAge_ShowsTanakaHrMaxAndTargetBand()
    {
        var (exit, output, _) = await CliRunner.RunAsync("participants", "show", "P001", "--registry", ExampleRegistry);

        Assert.Equal(0, exit);
        Assert.Contains("HRmax        170.2 bpm (208 - 0.7 x 54 (Tanaka))", output, StringComparison.Ordinal);
        Assert.Contains("from 2026-04-20  America/New_York", output, StringComparison.Ordinal);
        // Moderate = 40-60 %HRR of 64..170.2 bpm.
        Assert.Contains("2026-04-06 to open  3/week x 40 min moderate (106-128 bpm): walking, cycling, stairs, cross_trainer", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_UnknownParticipant_ExitsOne()
    {
        var (exit, _, error) = await CliRunner.RunAsync("participants", "show", "P999", "--registry", ExampleRegistry);

        Assert.Equal(1, exit);
        Assert.Contains("'P999' is not in", error, StringComparison.Ordinal);
    }

    private static string FindExample()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", "participants.example.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("data/participants.example.json not found above the test binaries.");
    }
}
