using System.CommandLine;
using AdherencePipeline.Service.Commands;

namespace AdherencePipeline.Service.Tests.Commands;

public sealed class SensorCommandsTests
{
    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand { CommonOptions.Config };
        root.Subcommands.Add(DecodeCommand.Create());
        root.Subcommands.Add(ProfilesCommand.Create());
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Decode_HeartRateWithEnergyAndRr_PrintsOneJsonObject()
    {
        // flags 0x19: uint16 HR 0x008C = 140, energy 0x010A = 266 kJ, RR 0x03E8 = 1000/1024 s.
        var (exit, output, _) = await RunAsync("decode", "--profile", "generic-hrs", "--characteristic", "2A37", "--hex", "19 8C 00 0A 01 E8 03");

        Assert.Equal(0, exit);
        Assert.Equal("{\"hr_bpm\":140,\"contact\":null,\"energy_kj\":266,\"rr_ms\":[976.5625]}", output.Trim());
    }

    [Fact]
    public async Task Decode_H10AccelerometerFrame_PrintsOneLinePerSample()
    {
        // The worked PMD example is a 200 Hz stream; the shipped profile streams at 50 Hz.
        var (exit, output, _) = await RunAsync(
            "decode", "--profile", "polar-h10", "--characteristic", "fb005c82-02e7-f387-1cad-8acd2d8df0c8", "--sample-rate", "200",
            "--hex", "02 00 F0 7F 8C 34 4D 95 0A 01 0C 00 D8 FF EB 03 F9 FF 19 00 E6 03 00 00 FF FF E9 03");

        Assert.Equal(0, exit);
        Assert.Equal(
            [
                "{\"t_ns\":762600599990000000,\"x_mg\":12,\"y_mg\":-40,\"z_mg\":1003}",
                "{\"t_ns\":762600599995000000,\"x_mg\":-7,\"y_mg\":25,\"z_mg\":998}",
                "{\"t_ns\":762600600000000000,\"x_mg\":0,\"y_mg\":-1,\"z_mg\":1001}",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Decode_SampleRateOverride_SpacesTimestampsByNewRate()
    {
        var (_, output, _) = await RunAsync(
            "decode", "--profile", "polar-h10", "--characteristic", "pmd-data", "--sample-rate", "100",
            "--hex", "02 00 F0 7F 8C 34 4D 95 0A 01 0C 00 D8 FF EB 03 F9 FF 19 00 E6 03");

        Assert.StartsWith("{\"t_ns\":762600599990000000,", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decode_TruncatedFrame_PrintsFaultAndExitsNonZero()
    {
        var (exit, output, error) = await RunAsync("decode", "--profile", "generic-hrs", "--characteristic", "2A37", "--hex", "11 48");

        Assert.Equal((int)DecodeCommand.Exit.Fault, exit);
        Assert.Empty(output);
        Assert.Contains("heart-rate truncated at offset 1: need 2 byte(s), have 1", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nope", "2A37", "00 48", "no profile 'nope'")]
    [InlineData("generic-hrs", "2A38", "00 48", "has no characteristic '2A38'")]
    [InlineData("generic-hrs", "2A37", "0G", "is not whole bytes of hex digits")]
    public async Task Decode_BadRequest_ExplainsAndExitsOne(string profile, string characteristic, string hex, string message)
    {
        var (exit, _, error) = await RunAsync("decode", "--profile", profile, "--characteristic", characteristic, "--hex", hex);

        Assert.Equal((int)DecodeCommand.Exit.BadInput, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProfilesList_ShippedFolder_ListsEveryProfile()
    {
        var (exit, output, _) = await RunAsync("profiles", "list");

        Assert.Equal(0, exit);
        foreach (var id in new[] { "generic-hrs", "polar-h10", "polar-verity-sense", "lab-imu-declarative" })
        {
            Assert.Contains(id + "\t", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ProfilesValidate_BrokenFile_ReportsFilePathAndExpectation()
    {
        var directory = Directory.CreateTempSubdirectory("profiles-");
        try
        {
            var file = Path.Combine(directory.FullName, "broken.json");
            var shipped = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "firmware-profiles", "generic-hrs.json"));
            await File.WriteAllTextAsync(file, shipped.Replace("\"generic-hrs\"", "\"broken\"", StringComparison.Ordinal).Replace("hrs-measurement", "hrs-v9", StringComparison.Ordinal));

            var (exit, output, error) = await RunAsync("profiles", "validate", file);

            Assert.Equal(ProfilesCommand.Invalid, exit);
            Assert.Contains($"{file}: $.characteristics[0].decoder.kind: expected one of \"none\", \"hrs-measurement\"", error, StringComparison.Ordinal);
            Assert.Contains("found \"hrs-v9\"", error, StringComparison.Ordinal);
            Assert.Contains("0 valid profile(s), 1 problem(s)", output, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ProfilesValidate_ConfiguredDirectory_IsUsed()
    {
        var directory = Directory.CreateTempSubdirectory("profiles-");
        try
        {
            var config = Path.Combine(directory.FullName, "config.settings");
            await File.WriteAllTextAsync(config, $$"""{ "Sensors": { "ProfilesDirectory": "{{directory.FullName.Replace("\\", "\\\\", StringComparison.Ordinal)}}" } }""");
            File.Copy(Path.Combine(AppContext.BaseDirectory, "firmware-profiles", "polar-h10.json"), Path.Combine(directory.FullName, "polar-h10.json"));

            var (exit, output, _) = await RunAsync("profiles", "validate", "--config", config);

            Assert.Equal(0, exit);
            Assert.Contains("1 valid profile(s), 0 problem(s)", output, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
