using System.CommandLine;
using AdherencePipeline.Adherence;

namespace AdherencePipeline.Service.Commands;

/// <summary>Where the participant registry is, for every verb that needs it.</summary>
internal static class ParticipantRegistryFile
{
    /// <summary>The configuration key that names the file.</summary>
    public const string RegistryKey = "Participants:Registry";

    /// <summary><c>--registry</c>, overriding <c>Participants:Registry</c>.</summary>
    public static Option<FileInfo?> Option() => new("--registry")
    {
        Description = $"The participant registry (default: {RegistryKey}, else {ParticipantRegistryLoader.DefaultFileName} in the current folder).",
    };

    /// <summary>Resolves the file: the option, then configuration, then <c>participants.json</c> in the current folder.</summary>
    public static string Resolve(ParseResult parseResult, Option<FileInfo?> option)
    {
        if (parseResult.GetValue(option) is { } file)
        {
            return file.FullName;
        }

        var configured = CommonOptions.Build(parseResult)[RegistryKey];
        return Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? ParticipantRegistryLoader.DefaultFileName : configured);
    }
}
