using System.CommandLine;
using AdherencePipeline.Service.Web;

namespace AdherencePipeline.Service.Commands;

/// <summary>
/// <c>adherence web hash-token|hash-code</c>: turns a secret read from standard input into the hash
/// that goes into configuration, so the secret itself is never written to a file or a command line.
/// </summary>
internal static class WebCommand
{
    public static Command Create()
    {
        var hashToken = new Command("hash-token", "Read a researcher API token from stdin; print its SHA-256 for Web:ResearcherTokens.");
        hashToken.SetAction(async (parseResult, cancellationToken) => await HashAsync(parseResult, WebSecrets.HashToken, minimumLength: 24));
        var hashCode = new Command("hash-code", "Read a participant access code from stdin; print its PBKDF2 hash for Web:ParticipantCodes:<participant>.");
        hashCode.SetAction(async (parseResult, cancellationToken) => await HashAsync(parseResult, WebSecrets.HashCode, minimumLength: 6));
        return new Command("web", "Secrets for the web API and pages.") { hashToken, hashCode };
    }

    private static async Task<int> HashAsync(ParseResult parseResult, Func<string, string> hash, int minimumLength)
    {
        var secret = (await Console.In.ReadLineAsync())?.Trim();
        if (string.IsNullOrEmpty(secret) || secret.Length < minimumLength)
        {
            await parseResult.InvocationConfiguration.Error.WriteLineAsync($"error: stdin: expected a secret of at least {minimumLength} characters on the first line");
            return 1;
        }

        await parseResult.InvocationConfiguration.Output.WriteLineAsync(hash(secret));
        return 0;
    }
}
