using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NATS.NKeys;

namespace AdherencePipeline.Nats.Tests;

/// <summary>
/// Decentralised NATS authentication made in the test, as <c>nsc</c> would make it: an operator, a system
/// account, the account <c>ADHERENCE</c> with JetStream, and users written as <c>.creds</c> files, each an
/// NKey with a JWT (v2) its issuer signed. <see cref="ServerConfig"/> is what every node needs.
/// </summary>
internal sealed class TestNatsOperator : IDisposable
{
    private readonly KeyPair _operator = KeyPair.CreatePair(PrefixByte.Operator);
    private readonly KeyPair _system = KeyPair.CreatePair(PrefixByte.Account);
    private readonly KeyPair _account = KeyPair.CreatePair(PrefixByte.Account);
    private readonly string _folder;

    public TestNatsOperator(string folder)
    {
        _folder = folder;
        var operatorJwt = Encode(_operator, _operator.GetPublicKey(), "test-operator", new JsonObject
        {
            ["type"] = "operator",
            ["version"] = 2,
            ["system_account"] = _system.GetPublicKey(),
        });
        var operatorFile = Path.Combine(folder, "operator.jwt");
        File.WriteAllText(operatorFile, operatorJwt);
        var systemJwt = Encode(_operator, _system.GetPublicKey(), "SYS", AccountClaims(jetStream: false));
        var accountJwt = Encode(_operator, _account.GetPublicKey(), "ADHERENCE", AccountClaims(jetStream: true));
        ServerConfig = $$"""
            operator: "{{operatorFile}}"
            system_account: {{_system.GetPublicKey()}}
            resolver: MEMORY
            resolver_preload: {
              {{_system.GetPublicKey()}}: "{{systemJwt}}"
              {{_account.GetPublicKey()}}: "{{accountJwt}}"
            }
            """;
    }

    /// <summary>The operator, system account and account block of every node's configuration.</summary>
    public string ServerConfig { get; }

    /// <summary>
    /// Makes a user of <c>ADHERENCE</c> allowed to publish to <paramref name="publish"/> and subscribe to
    /// <paramref name="subscribe"/> (both null: no limits) and writes its <c>.creds</c> file, mode 0600.
    /// </summary>
    public string WriteUser(string name, string[]? publish = null, string[]? subscribe = null)
    {
        using var user = KeyPair.CreatePair(PrefixByte.User);
        var claims = new JsonObject { ["type"] = "user", ["version"] = 2, ["subs"] = -1, ["data"] = -1, ["payload"] = -1 };
        if (publish is not null)
        {
            claims["pub"] = new JsonObject { ["allow"] = new JsonArray([.. publish.Select(s => JsonValue.Create(s))]) };
        }

        if (subscribe is not null)
        {
            claims["sub"] = new JsonObject { ["allow"] = new JsonArray([.. subscribe.Select(s => JsonValue.Create(s))]) };
        }

        var jwt = Encode(_account, user.GetPublicKey(), name, claims);
        return WriteCredentials(name, jwt, user.GetSeed());
    }

    /// <summary>Writes a <c>.creds</c> file in the format nsc writes, readable by its owner only.</summary>
    public string WriteCredentials(string name, string jwt, string seed)
    {
        var path = Path.Combine(_folder, name + ".creds");
        File.WriteAllText(path, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(path, $"""
            -----BEGIN NATS USER JWT-----
            {jwt}
            ------END NATS USER JWT------

            ************************* IMPORTANT *************************
            NKEY Seed printed below can be used to sign and prove identity.
            NKEYs are sensitive and should be treated as secrets.

            -----BEGIN USER NKEY SEED-----
            {seed}
            ------END USER NKEY SEED------

            *************************************************************

            """);
        return path;
    }

    public void Dispose()
    {
        _operator.Dispose();
        _system.Dispose();
        _account.Dispose();
    }

    // No limits; JetStream is enabled by storage limits other than zero (-1: unlimited).
    private static JsonObject AccountClaims(bool jetStream)
    {
        var limits = new JsonObject
        {
            ["subs"] = -1,
            ["data"] = -1,
            ["payload"] = -1,
            ["imports"] = -1,
            ["exports"] = -1,
            ["wildcards"] = true,
            ["conn"] = -1,
            ["leaf"] = -1,
        };
        if (jetStream)
        {
            limits["mem_storage"] = -1;
            limits["disk_storage"] = -1;
            limits["streams"] = -1;
            limits["consumer"] = -1;
        }

        return new JsonObject { ["type"] = "account", ["version"] = 2, ["limits"] = limits };
    }

    // header.claims.signature, base64url without padding; the signature is the issuer's ed25519 over
    // "header.claims". jti is a hash of the claims without it: nsc uses SHA-512/256, which .NET lacks;
    // the servers read jti as an id and do not recompute it.
    private static string Encode(KeyPair issuer, string subject, string name, JsonObject nats)
    {
        var claims = new JsonObject
        {
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["iss"] = issuer.GetPublicKey(),
            ["name"] = name,
            ["sub"] = subject,
            ["nats"] = nats,
        };
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var jti = new char[Base32.GetEncodedLength(hash)];
        Base32.ToBase32(hash, jti);
        claims["jti"] = new string(jti).TrimEnd('=');

        var signed = Base64Url.EncodeToString("""{"typ":"JWT","alg":"ed25519-nkey"}"""u8) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = new byte[64];
        issuer.Sign(Encoding.ASCII.GetBytes(signed), signature);
        return signed + "." + Base64Url.EncodeToString(signature);
    }
}
