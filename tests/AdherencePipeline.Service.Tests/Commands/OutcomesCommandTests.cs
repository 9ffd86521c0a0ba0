namespace AdherencePipeline.Service.Tests.Commands;

/// <summary>Input the outcome verbs refuse before they touch InfluxDB.</summary>
public sealed class OutcomesCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("outcomes-input-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // Nothing listens on port 9 of the loopback; these runs must fail before they try.
    private static readonly string[] Unreachable = ["--url", "http://127.0.0.1:9", "--registry", ParticipantsCommandTests.ExampleRegistry];

    [Fact]
    public async Task Due_BadInstrumentFile_NamesFileItemAndField()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "instruments", "peg-3.json");
        File.Copy(shipped, Path.Combine(_folder, "peg-3.json"));
        var broken = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "instruments", "who-5.json"))
            .Replace("{ \"id\": \"calm\", \"text\": \"I have felt calm and relaxed\" }", "{ \"id\": \"calm\", \"text\": \"I have felt calm and relaxed\", \"response\": { \"min\": 0, \"max\": -5 } }", StringComparison.Ordinal);
        var path = Path.Combine(_folder, "who-5.json");
        File.WriteAllText(path, broken);

        var (exit, _, error) = await CliRunner.RunAsync(["outcomes", "due", "--instruments-dir", _folder, .. Unreachable]);

        Assert.Equal(1, exit);
        Assert.Contains($"{path}: calm: $.items[1].response.max: expected a value above min (0), found -5", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Due_ScheduleNamesAMissingInstrument_IsRefused()
    {
        File.Copy(Path.Combine(AppContext.BaseDirectory, "instruments", "peg-3.json"), Path.Combine(_folder, "peg-3.json"));

        var (exit, _, error) = await CliRunner.RunAsync(["outcomes", "due", "--instruments-dir", _folder, .. Unreachable]);

        Assert.Equal(1, exit);
        Assert.Contains("$.outcomeSchedules.exercise[0].instruments: 'psfs' is not one of the instruments (peg-3)", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("P003", "week4", "peg-3", "pain=1,enjoyment=2,activity=3", "time point 'week4' is not in the outcome schedule of arm 'usual_care' (baseline, week12, followup)")]
    [InlineData("P001", "baseline", "eq-5d", "mobility=1", "Instrument 'eq-5d' is not one of peg-3, psfs, who-5.")]
    [InlineData("P001", "baseline", "who-5", "cheerful=6,calm=2,active=2,rested=2,interest=2", "who-5.cheerful: expected an integer from 0 to 5, found 6")]
    [InlineData("P999", "baseline", "who-5", "cheerful=1", "Participant 'P999' is not in the registry.")]
    public async Task Add_InvalidEntry_IsRefusedAndNothingStored(string participant, string timePoint, string instrument, string answers, string message)
    {
        var (exit, output, error) = await CliRunner.RunAsync(["outcomes", "add", "--participant", participant, "--time-point", timePoint, "--instrument", instrument, "--answers", answers,
            "--at", "2026-03-02T09:00:00Z", .. Unreachable]);

        Assert.Equal(1, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Contains("nothing was stored", error, StringComparison.Ordinal);
        Assert.Equal("", output);
    }
}
