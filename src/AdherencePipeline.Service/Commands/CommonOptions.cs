using System.CommandLine;
using Microsoft.Extensions.Configuration;

namespace AdherencePipeline.Service.Commands;

/// <summary>Options every verb understands, and the configuration they lead to.</summary>
internal static class CommonOptions
{
    /// <summary>An extra JSON configuration file, layered over <c>appsettings.json</c>.</summary>
    public static readonly Option<FileInfo?> Config = new("--config")
    {
        Description = "A JSON configuration file layered over appsettings.json (environment variables ADHERENCE_* override both).",
        Recursive = true,
    };

    /// <summary>
    /// Options someone might try for a secret. No verb takes a secret on its command line, where other
    /// users (<c>ps</c>, <c>/proc</c>) and the shell history would see it; these hidden options exist only to
    /// refuse one with directions to the environment variable or file that takes it instead.
    /// </summary>
    public static IReadOnlyList<Option> RefusedSecretOptions()
    {
        (string Name, string Instead)[] refused =
        [
            ("--password", "ADHERENCE_Influx__Password or Influx:PasswordFile"),
            ("--influx-password", "ADHERENCE_Influx__Password or Influx:PasswordFile"),
            ("--token", "ADHERENCE_Influx__Token or Influx:TokenFile (for the web's researcher tokens: 'adherence web hash-token' and Web:SecretsFile)"),
            ("--influx-token", "ADHERENCE_Influx__Token or Influx:TokenFile"),
            ("--secret", "an ADHERENCE_… environment variable or a *File setting (docs/security.md)"),
            ("--code", "'adherence web hash-code', which reads the access code from standard input, and Web:SecretsFile"),
        ];
        return [.. refused.Select(r =>
        {
            var option = new Option<string?>(r.Name) { Hidden = true, Recursive = true };
            option.Validators.Add(result => result.AddError(
                $"{r.Name}: secrets are not taken on the command line, where other users and the shell history can see them; use {r.Instead}."));
            return (Option)option;
        })];
    }

    /// <summary><c>--url</c>: the InfluxDB base URL, overriding <c>Influx:Url</c>.</summary>
    public static Option<Uri?> InfluxUrl() => new("--url")
    {
        Description = "InfluxDB base URL (default: Influx:Url, http://127.0.0.1:8086).",
        CustomParser = ParseUri,
    };

    /// <summary><c>--database</c>, overriding <c>Influx:Database</c>.</summary>
    public static Option<string?> InfluxDatabase() => new("--database") { Description = "Database (default: Influx:Database, adherence)." };

    /// <summary><c>--create-database</c>.</summary>
    public static Option<bool> CreateDatabase() => new("--create-database") { Description = "Create the database if it does not exist." };

    /// <summary>
    /// The InfluxDB connection: <c>Influx</c> from configuration, then the command's options; validated,
    /// so a wrong value fails here with the key or option named.
    /// </summary>
    public static AdherencePipeline.Storage.InfluxConnectionOptions Connection(ParseResult parseResult, IConfiguration configuration, Option<Uri?> url, Option<string?> database, Option<bool>? create = null)
    {
        var options = InfluxCommand.BindConnection(configuration);
        options.Url = parseResult.GetValue(url) ?? options.Url;
        options.Database = parseResult.GetValue(database) ?? options.Database;
        options.CreateDatabase |= create is not null && parseResult.GetValue(create);
        options.Validate();
        return options;
    }

    /// <summary><c>--model-version</c>: which model's derived points a reader shows.</summary>
    public static Option<string?> ModelVersion() => new("--model-version")
    {
        Description = "Read the activity, bouts, sessions and adherence of this model version, or 'all' (default: the configured model's, plus points stored before results carried a version).",
    };

    /// <summary>
    /// The model version readers select (see <see cref="AdherencePipeline.Storage.ModelVersions"/>): the
    /// option, else the card of the configured model (<c>Activity:ModelPath</c>, else
    /// <c>models/activity.zip</c> beside the executable); null, meaning every version, when there is no card.
    /// </summary>
    public static string? ReadModelVersion(ParseResult parseResult, IConfiguration configuration, Option<string?> option)
    {
        if (parseResult.GetValue(option) is { } chosen)
        {
            return chosen;
        }

        var path = configuration["Activity:ModelPath"];
        var model = string.IsNullOrWhiteSpace(path) ? Path.Combine(AppContext.BaseDirectory, "models", "activity.zip") : Path.GetFullPath(path);
        var card = AdherencePipeline.Activity.ActivityModelCard.PathFor(model);
        return File.Exists(card) ? AdherencePipeline.Activity.ActivityModelCard.FromJson(File.ReadAllText(card), card).ModelVersion : null;
    }

    /// <summary>Parses an ISO 8601 date or time option (UTC when no offset is given), reporting a clear error instead of throwing.</summary>
    public static DateTimeOffset? ParseTime(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var time))
        {
            return time;
        }

        result.AddError($"'{text}' is not an ISO 8601 date or time such as 2026-03-02 or 2026-03-02T08:00:00Z.");
        return null;
    }

    /// <summary>Parses an absolute URL option, reporting a clear error instead of throwing.</summary>
    public static Uri? ParseUri(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            return uri;
        }

        result.AddError($"'{text}' is not an absolute URL, e.g. http://127.0.0.1:8086.");
        return null;
    }

    /// <summary>
    /// Configuration from, in rising precedence: <c>appsettings.json</c> beside the executable,
    /// <c>--config FILE</c>, and environment variables prefixed <c>ADHERENCE_</c>
    /// (<c>ADHERENCE_Influx__Url</c> sets <c>Influx:Url</c>). Throws naming the file when it is missing or not JSON.
    /// </summary>
    public static IConfigurationRoot Build(ParseResult parseResult)
    {
        var builder = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true);
        if (parseResult.GetValue(Config) is { } file)
        {
            if (!file.Exists)
            {
                throw new ConfigurationException($"Configuration file '{file.FullName}' does not exist.");
            }

            builder.AddJsonFile(file.FullName, optional: false);
        }

        builder.AddEnvironmentVariables("ADHERENCE_");
        try
        {
            return builder.Build();
        }
        catch (InvalidDataException ex)
        {
            throw new ConfigurationException($"Configuration is not valid JSON: {ex.Message}", ex);
        }
    }
}

/// <summary>Configuration is missing or wrong; the message names the file or key.</summary>
internal sealed class ConfigurationException : Exception
{
    public ConfigurationException(string message)
        : base(message)
    {
    }

    public ConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ConfigurationException()
    {
    }
}
