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

    /// <summary>Sign-in attempts (access code or token) allowed per client address and minute.</summary>
    [Range(1, 10_000)]
    public int SignInAttemptsPerMinute { get; set; } = 10;

    /// <summary>How long a sign-in lasts.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan SignInLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Whether the sign-in cookie is sent only over HTTPS; turn off only for plain-HTTP loopback use.</summary>
    public bool SecureCookies { get; set; } = true;

    /// <summary>Throws naming the key when a stored hash is not in the expected form.</summary>
    public void Validate()
    {
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
}
