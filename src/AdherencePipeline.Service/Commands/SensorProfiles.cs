using System.CommandLine;
using AdherencePipeline.Sensors;
using Microsoft.Extensions.Configuration;

namespace AdherencePipeline.Service.Commands;

/// <summary>Where the firmware profiles live, for every verb that needs them.</summary>
internal static class SensorProfiles
{
    /// <summary>The configuration key that overrides the folder.</summary>
    public const string DirectoryKey = "Sensors:ProfilesDirectory";

    /// <summary><c>--profiles-dir</c>, overriding <c>Sensors:ProfilesDirectory</c>.</summary>
    public static Option<DirectoryInfo?> DirectoryOption() => new("--profiles-dir")
    {
        Description = $"Folder of firmware profiles (default: {DirectoryKey}, else firmware-profiles/ beside the executable).",
    };

    /// <summary>Resolves the folder: the option, then configuration, then the copy beside the executable.</summary>
    public static string ResolveDirectory(ParseResult parseResult, Option<DirectoryInfo?> option)
    {
        if (parseResult.GetValue(option) is { } directory)
        {
            return directory.FullName;
        }

        var configured = CommonOptions.Build(parseResult)[DirectoryKey];
        return string.IsNullOrWhiteSpace(configured)
            ? Path.Combine(AppContext.BaseDirectory, FirmwareProfileLoader.DefaultDirectoryName)
            : Path.GetFullPath(configured);
    }
}
