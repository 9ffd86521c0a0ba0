using System.CommandLine;
using AdherencePipeline.Sensors;

namespace AdherencePipeline.Service.Commands;

/// <summary><c>adherence profiles list|validate</c>: inspect and check firmware profiles.</summary>
internal static class ProfilesCommand
{
    /// <summary>Exit codes: 0 all valid, 1 a profile is invalid or the folder is missing.</summary>
    public const int Invalid = 1;

    public static Command Create()
    {
        var listDirectory = SensorProfiles.DirectoryOption();
        var list = new Command("list", "List the firmware profiles: id, name, and the decoder of each characteristic.") { listDirectory };
        list.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            string directory;
            try
            {
                directory = SensorProfiles.ResolveDirectory(parseResult, listDirectory);
            }
            catch (ConfigurationException ex)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return Invalid;
            }

            var profiles = FirmwareProfileLoader.LoadDirectory(directory, out var errors);
            foreach (var profile in profiles)
            {
                await output.WriteLineAsync($"{profile.Id}\t{profile.DisplayName}");
                foreach (var c in profile.Characteristics)
                {
                    await output.WriteLineAsync($"  {c.Name,-12} {GattUuid.Format(c.Uuid)}  {c.Subscribe.ToString().ToLowerInvariant(),-8} {c.Decoder.Kind}");
                }
            }

            foreach (var e in errors)
            {
                await error.WriteLineAsync(e.ToString());
            }

            return errors.Count == 0 ? 0 : Invalid;
        });

        var validateDirectory = SensorProfiles.DirectoryOption();
        var files = new Argument<FileInfo[]>("FILE") { Description = "Profile files to check (default: every profile in the folder).", Arity = ArgumentArity.ZeroOrMore };
        var validate = new Command("validate", "Check profiles; each problem is printed as FILE: JSON-PATH: what was expected.") { validateDirectory, files };
        validate.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var given = parseResult.GetValue(files) ?? [];
            var allErrors = new List<ProfileError>();
            var valid = 0;
            if (given.Length == 0)
            {
                string directory;
                try
                {
                    directory = SensorProfiles.ResolveDirectory(parseResult, validateDirectory);
                }
                catch (ConfigurationException ex)
                {
                    await error.WriteLineAsync($"error: {ex.Message}");
                    return Invalid;
                }

                valid = FirmwareProfileLoader.LoadDirectory(directory, out var errors).Count;
                allErrors.AddRange(errors);
            }
            else
            {
                foreach (var file in given)
                {
                    if (FirmwareProfileLoader.TryLoad(file.FullName, out var errors) is not null)
                    {
                        valid++;
                    }

                    allErrors.AddRange(errors);
                }
            }

            foreach (var e in allErrors)
            {
                await error.WriteLineAsync(e.ToString());
            }

            await output.WriteLineAsync($"{valid} valid profile(s), {allErrors.Count} problem(s)");
            return allErrors.Count == 0 ? 0 : Invalid;
        });

        return new Command("profiles", "List and validate firmware profiles.") { list, validate };
    }
}
