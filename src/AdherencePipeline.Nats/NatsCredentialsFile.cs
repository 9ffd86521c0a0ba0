using System.Buffers.Text;
using System.Text.Json;
using AdherencePipeline.Storage;
using NATS.NKeys;

namespace AdherencePipeline.Nats;

/// <summary>
/// Checks a NATS credentials file (<c>.creds</c>: a user JWT and the user's NKey seed, as <c>nsc</c> writes
/// it) when the options are validated. The NATS client reads the file only when it connects, and a
/// gateway that retries its connection would then report a broken file as an endless outage.
/// </summary>
internal static class NatsCredentialsFile
{
    private const string JwtBegin = "-----BEGIN NATS USER JWT-----";
    private const string SeedBegin = "-----BEGIN USER NKEY SEED-----";

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming <paramref name="key"/> when the file is missing,
    /// readable by every user, lacks the JWT or the seed, or holds a seed that is not the JWT's user's.
    /// Messages never contain the seed.
    /// </summary>
    public static void Check(string path, string key)
    {
        var lines = SecretFile.ReadAll(path, key).Split('\n', StringSplitOptions.TrimEntries);
        var jwt = LineAfter(lines, JwtBegin)
            ?? throw new ArgumentException($"{key}: '{path}' holds no user JWT (the line after {JwtBegin}); expected a .creds file as nsc writes it.");
        var seed = LineAfter(lines, SeedBegin)
            ?? throw new ArgumentException($"{key}: '{path}' holds no NKey seed (the line after {SeedBegin}); expected a .creds file as nsc writes it.");

        string publicKey;
        try
        {
            using var pair = KeyPair.FromSeed(seed);
            publicKey = pair.GetPublicKey();
        }
        catch (Exception ex) when (ex is NKeysException or FormatException or ArgumentException or IndexOutOfRangeException)
        {
            throw new ArgumentException($"{key}: the NKey seed in '{path}' is not valid ({ex.Message}); the file is damaged or was edited.", ex);
        }

        if (!publicKey.StartsWith('U'))
        {
            throw new ArgumentException($"{key}: the NKey seed in '{path}' is not a user's (its public key begins with '{publicKey[0]}', a user's with 'U').");
        }

        if (!string.Equals(JwtSubject(jwt), publicKey, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{key}: in '{path}' the NKey seed does not belong to the user the JWT names; the servers would refuse the connection.");
        }
    }

    private static string? LineAfter(string[] lines, string marker)
    {
        var index = Array.IndexOf(lines, marker);
        return index >= 0 && index + 1 < lines.Length && lines[index + 1].Length > 0 ? lines[index + 1] : null;
    }

    private static string? JwtSubject(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            return claims.RootElement.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String ? sub.GetString() : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }
}
