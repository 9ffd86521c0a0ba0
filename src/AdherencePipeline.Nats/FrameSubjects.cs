using System.Diagnostics.CodeAnalysis;

namespace AdherencePipeline.Nats;

/// <summary>
/// The subject names of raw frames: <c>adherence.frames.&lt;site&gt;.&lt;participant&gt;</c>. A site or
/// participant becomes one subject token, so it must be 1–32 ASCII letters, digits, <c>-</c> or
/// <c>_</c>: no dot (a token separator), no <c>*</c> or <c>&gt;</c> (wildcards), no white space.
/// Participant codes (<c>P001</c>, <c>OSL-017</c>) and site names (<c>oslo</c>) already are.
/// </summary>
public static class FrameSubjects
{
    /// <summary>The prefix every frame subject starts with.</summary>
    public const string Prefix = "adherence.frames";

    /// <summary>The longest site or participant token accepted.</summary>
    public const int MaxTokenLength = 32;

    /// <summary>Every frame subject: what the stream captures.</summary>
    public const string All = Prefix + ".>";

    /// <summary>The subject of a participant's frames.</summary>
    /// <exception cref="ArgumentException">The site or participant is not a valid token.</exception>
    public static string Frames(string site, string participant)
    {
        ThrowIfInvalidToken(site, nameof(site));
        ThrowIfInvalidToken(participant, nameof(participant));
        return $"{Prefix}.{site}.{participant}";
    }

    /// <summary>Every frame subject of a site: what a site's gateway may publish to.</summary>
    public static string Site(string site)
    {
        ThrowIfInvalidToken(site, nameof(site));
        return $"{Prefix}.{site}.>";
    }

    /// <summary>Returns whether <paramref name="token"/> can be a site or participant token; otherwise says why.</summary>
    public static bool IsValidToken([NotNullWhen(true)] string? token, [NotNullWhen(false)] out string? problem)
    {
        if (string.IsNullOrEmpty(token))
        {
            problem = "expected a token, found nothing";
            return false;
        }

        if (token.Length > MaxTokenLength)
        {
            problem = $"'{token}' is longer than {MaxTokenLength} characters";
            return false;
        }

        foreach (var c in token)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
            {
                problem = $"'{token}' contains '{c}'; a subject token holds only ASCII letters, digits, '-' and '_'";
                return false;
            }
        }

        problem = null;
        return true;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the parameter when <paramref name="token"/> is not valid.</summary>
    public static void ThrowIfInvalidToken(string? token, string parameterName)
    {
        if (!IsValidToken(token, out var problem))
        {
            throw new ArgumentException($"Not a subject token: {problem}.", parameterName);
        }
    }

    /// <summary>
    /// The durable consumer name of a participant's frames, e.g. <c>frames=oslo=P001</c>. Consumer names
    /// may not hold dots; <c>=</c> never occurs in a token, so two site/participant pairs never share a name.
    /// </summary>
    public static string ConsumerName(string site, string participant)
    {
        ThrowIfInvalidToken(site, nameof(site));
        ThrowIfInvalidToken(participant, nameof(participant));
        return $"frames={site}={participant}";
    }
}
