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
