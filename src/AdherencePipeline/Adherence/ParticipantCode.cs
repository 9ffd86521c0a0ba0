using System.Diagnostics.CodeAnalysis;

namespace AdherencePipeline.Adherence;

/// <summary>
/// Pseudonymous participant codes such as <c>P001</c> or <c>OSL-017</c>: an upper-case letter, then
/// upper-case letters, digits, <c>-</c> or <c>_</c>, 2–32 characters, at least one digit and at most six
/// digits in a row. The rules exist to keep names, e-mail addresses and phone numbers out of the data.
/// </summary>
public static class ParticipantCode
{
    /// <summary>The longest code accepted.</summary>
    public const int MaxLength = 32;

    /// <summary>Returns whether <paramref name="code"/> is a valid code; otherwise says why, in words a coordinator understands.</summary>
    public static bool IsValid([NotNullWhen(true)] string? code, [NotNullWhen(false)] out string? problem)
    {
        const string Hint = "use a pseudonymous code such as P001 (upper-case letters, digits, '-' or '_')";
        if (string.IsNullOrEmpty(code))
        {
            problem = $"expected a participant code, found nothing; {Hint}";
            return false;
        }

        if (code.Contains('@', StringComparison.Ordinal))
        {
            problem = $"'{code}' looks like an e-mail address, which must not be stored; {Hint}";
            return false;
        }

        if (LongestDigitRun(code, ignorePhoneSeparators: true) >= 7)
        {
            problem = $"'{code}' looks like a phone number, which must not be stored; {Hint}";
            return false;
        }

        if (code.Any(char.IsWhiteSpace) || code.Any(char.IsLower))
        {
            problem = $"'{code}' looks like a name, which must not be stored; {Hint}";
            return false;
        }

        if (code.Length is < 2 or > MaxLength || !char.IsAsciiLetterUpper(code[0])
            || !code.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c is '-' or '_'))
        {
            problem = $"'{code}' is not a participant code: expected 2 to {MaxLength} characters starting with an upper-case letter; {Hint}";
            return false;
        }

        if (!code.Any(char.IsAsciiDigit))
        {
            problem = $"'{code}' has no digit and could be a name; {Hint}";
            return false;
        }

        if (LongestDigitRun(code, ignorePhoneSeparators: false) > 6)
        {
            problem = $"'{code}' has more than six digits in a row; {Hint}";
            return false;
        }

        problem = null;
        return true;
    }

    private static int LongestDigitRun(string text, bool ignorePhoneSeparators)
    {
        int longest = 0, run = 0;
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c))
            {
                longest = Math.Max(longest, ++run);
            }
            else if (!(ignorePhoneSeparators && c is ' ' or '-' or '.' or '(' or ')' or '+' or '/'))
            {
                run = 0;
            }
        }

        return longest;
    }
}
