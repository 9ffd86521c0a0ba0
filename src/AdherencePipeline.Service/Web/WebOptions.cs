using System.ComponentModel.DataAnnotations;

namespace AdherencePipeline.Service.Web;

/// <summary>
/// The <c>Web</c> configuration section: who may read and write through the API and pages. Secrets
/// are never stored, only their hashes (<c>adherence web hash-token</c>, <c>adherence web hash-code</c>).
/// </summary>
public sealed class WebOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Web";

    /// <summary>SHA-256 hashes (64 hex digits) of the researcher API tokens.</summary>
    public IList<string> ResearcherTokens { get; } = [];

    /// <summary>Participant code → PBKDF2 hash of that participant's access code.</summary>
    public IDictionary<string, string> ParticipantCodes { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// A JSON file <c>{ "ResearcherTokens": [ … ], "ParticipantCodes": { "P001": "…" } }</c> whose hashes are
    /// added to those above; like every secret file it must not be readable by every user. Keeping the
    /// hashes there, not in the main configuration, keeps short access codes' hashes away from offline guessing.
    /// </summary>
    public string? SecretsFile { get; set; }

    /// <summary>Sign-in attempts (access code or token) allowed per client address and minute.</summary>
    [Range(1, 10_000)]
    public int SignInAttemptsPerMinute { get; set; } = 10;

    /// <summary>How long a sign-in lasts.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan SignInLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Whether the sign-in cookie is sent only over HTTPS; turn off only for plain-HTTP loopback use.</summary>
    public bool SecureCookies { get; set; } = true;

    /// <summary>Reads <see cref="SecretsFile"/> (once), then throws naming the key when a stored hash is not in the expected form.</summary>
    public void Validate()
    {
        ReadSecretsFile();
        for (var i = 0; i < ResearcherTokens.Count; i++)
        {
            if (!WebSecrets.IsTokenHash(ResearcherTokens[i]))
            {
                throw new InvalidOperationException($"{Section}:ResearcherTokens:{i}: expected a SHA-256 hash of 64 hex digits from 'adherence web hash-token'.");
            }
        }

        foreach (var (participant, hash) in ParticipantCodes)
        {
            if (!WebSecrets.IsCodeHash(hash))
            {
                throw new InvalidOperationException($"{Section}:ParticipantCodes:{participant}: expected a hash from 'adherence web hash-code' (pbkdf2-sha256$iterations$salt$hash).");
            }
        }
    }

    private bool _secretsFileRead;

    private void ReadSecretsFile()
    {
        if (_secretsFileRead || string.IsNullOrWhiteSpace(SecretsFile))
        {
            return;
        }

        const string Key = Section + ":SecretsFile";
        string text;
        try
        {
            text = AdherencePipeline.Storage.SecretFile.ReadAll(SecretsFile, Key);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }

        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                throw new InvalidOperationException($"{Key}: '{SecretsFile}' must hold a JSON object with ResearcherTokens and/or ParticipantCodes.");
            }

            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case nameof(ResearcherTokens) when property.Value.ValueKind == System.Text.Json.JsonValueKind.Array:
                        foreach (var token in property.Value.EnumerateArray())
                        {
                            ResearcherTokens.Add(token.ValueKind == System.Text.Json.JsonValueKind.String ? token.GetString()! : token.GetRawText());
                        }

                        break;
                    case nameof(ParticipantCodes) when property.Value.ValueKind == System.Text.Json.JsonValueKind.Object:
                        foreach (var code in property.Value.EnumerateObject())
                        {
                            if (ParticipantCodes.ContainsKey(code.Name))
                            {
                                throw new InvalidOperationException($"{Key}: participant {code.Name} has an access-code hash both in '{SecretsFile}' and in {Section}:ParticipantCodes; keep one.");
                            }

                            ParticipantCodes[code.Name] = code.Value.ValueKind == System.Text.Json.JsonValueKind.String ? code.Value.GetString()! : code.Value.GetRawText();
                        }

                        break;
                    default:
                        throw new InvalidOperationException($"{Key}: '{SecretsFile}' has '{property.Name}'; expected only ResearcherTokens (an array) and ParticipantCodes (an object).");
                }
            }
        }
        catch (System.Text.Json.JsonException ex)
        {
            // The parser's message gives the line and position, never the file's content.
            throw new InvalidOperationException($"{Key}: '{SecretsFile}' is not valid JSON: {ex.Message}", ex);
        }

        _secretsFileRead = true;
    }
}
