using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AdherencePipeline.Service.Web;

/// <summary>
/// Hashing and checking of the two kinds of secret. Researcher tokens are long random strings, so one
/// SHA-256 is enough; participant access codes are short and typed on a phone, so they get a salted,
/// slow PBKDF2. Every comparison takes the same time whatever matches.
/// </summary>
public static class WebSecrets
{
    private const string CodePrefix = "pbkdf2-sha256";
    private const int CodeIterations = 210_000, SaltBytes = 16, HashBytes = 32;

    /// <summary>The SHA-256 of a researcher token as 64 lower-case hex digits.</summary>
    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Whether <paramref name="hash"/> looks like a <see cref="HashToken"/> result.</summary>
    public static bool IsTokenHash(string? hash) => hash is { Length: 64 } && hash.All(Uri.IsHexDigit);

    /// <summary>True when the token's hash equals one of <paramref name="hashes"/>; looks at every hash, in constant time each.</summary>
    public static bool TokenMatches(string token, IEnumerable<string> hashes) => MatchingTokenHash(token, hashes) is not null;

    /// <summary>The configured hash that <paramref name="token"/> matches, or null; looks at every hash, in constant time each.</summary>
    public static string? MatchingTokenHash(string token, IEnumerable<string> hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        string? found = null;
        foreach (var hash in hashes)
        {
            if (IsTokenHash(hash) && CryptographicOperations.FixedTimeEquals(presented, Convert.FromHexString(hash)))
            {
                found = hash;
            }
        }

        return found;
    }

    /// <summary>
    /// A short fingerprint of a stored hash, carried in the sign-in cookie: when the hash is removed or
    /// replaced (a token revoked, an access code changed), sign-ins made with it stop being accepted.
    /// </summary>
    public static string Fingerprint(string storedHash) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(storedHash)))[..16];

    /// <summary>A salted PBKDF2-SHA256 hash of an access code: <c>pbkdf2-sha256$iterations$salt$hash</c> (base64).</summary>
    public static string HashCode(string code)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(code), salt, CodeIterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{CodePrefix}${CodeIterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>Whether <paramref name="hash"/> is in the <see cref="HashCode"/> form.</summary>
    public static bool IsCodeHash(string? hash) => TryParseCodeHash(hash, out _, out _, out _);

    /// <summary>True when <paramref name="code"/> hashes to <paramref name="hash"/>; false for a malformed hash.</summary>
    public static bool CodeMatches(string code, string? hash)
    {
        if (!TryParseCodeHash(hash, out var iterations, out var salt, out var expected))
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(code), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static bool TryParseCodeHash(string? text, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = hash = [];
        var parts = text?.Split('$');
        if (parts is not { Length: 4 } || parts[0] != CodePrefix || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations < 10_000)
        {
            return false;
        }

        try
        {
            salt = Convert.FromBase64String(parts[2]);
            hash = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }

        return salt.Length >= 8 && hash.Length >= 16;
    }
}
