using System.Text.Json;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Tests.Storage;

/// <summary>Secrets for InfluxDB: read from files with a permission check, never shown in dumps.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class InfluxSecretsTests : IDisposable
{
    private const string Secret = "s3cret-Pa55word with spaces";
    private readonly string _directory = Directory.CreateTempSubdirectory("influx-secrets-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string WriteSecret(string name, string text, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Theory]
    [InlineData(Secret + "\n")]
    [InlineData(Secret + "\r\n")]
    [InlineData(Secret)]
    public void SecretFile_OneLine_IsReadWithoutTheLineBreak(string text)
    {
        Assert.Equal(Secret, SecretFile.ReadLine(WriteSecret("password", text), "Influx:PasswordFile"));
    }

    [Fact]
    public void SecretFile_GroupReadable_IsAccepted()
    {
        var path = WriteSecret("password", Secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        Assert.Equal(Secret, SecretFile.ReadLine(path, "Influx:PasswordFile"));
    }

    [Fact]
    public void SecretFile_WorldReadable_IsRefusedNamingTheKeyAndMode()
    {
        var path = WriteSecret("password", Secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var error = Assert.Throws<ArgumentException>(() => SecretFile.ReadLine(path, "Influx:PasswordFile"));

        Assert.Contains("Influx:PasswordFile", error.Message, StringComparison.Ordinal);
        Assert.Contains("readable by every user (mode 0644)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("\n", "is empty")]
    [InlineData("first\nsecond\n", "more than one line")]
    public void SecretFile_EmptyOrSeveralLines_IsRefused(string text, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => SecretFile.ReadLine(WriteSecret("password", text), "Influx:TokenFile"));

        Assert.Contains("Influx:TokenFile", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SecretFile_Missing_IsRefusedNamingTheKey()
    {
        var error = Assert.Throws<ArgumentException>(() => SecretFile.ReadLine(Path.Combine(_directory, "nope"), "Influx:PasswordFile"));

        Assert.Contains("Influx:PasswordFile: the file", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PasswordFileAndTokenFile_AreReadOnce()
    {
        var options = new InfluxConnectionOptions
        {
            Username = "writer",
            PasswordFile = WriteSecret("password", Secret + "\n"),
            TokenFile = WriteSecret("token", "tok-" + Secret + "\n"),
        };

        options.Validate();
        File.Delete(options.PasswordFile);
        options.Validate();

        Assert.Equal(Secret, options.Password);
        Assert.Equal("tok-" + Secret, options.Token);
    }

    [Fact]
    public void Validate_PasswordAndPasswordFileBoth_IsRefused()
    {
        var options = new InfluxConnectionOptions { Username = "writer", Password = "other", PasswordFile = WriteSecret("password", Secret) };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal("Influx:Password and Influx:PasswordFile are both set; set one of them.", error.Message);
    }

    [Fact]
    public void Validate_UrlWithCredentials_IsRefusedWithoutEchoingThem()
    {
        var options = new InfluxConnectionOptions { Url = new Uri($"http://admin:{Uri.EscapeDataString(Secret)}@127.0.0.1:8086") };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Influx:Url must not carry a user name or password", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(Secret), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("admin", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToStringAndJson_LeaveThePasswordAndTokenOut()
    {
        var options = new InfluxConnectionOptions { Username = "writer", Password = Secret, Token = "tok-" + Secret };

        var text = options.ToString();
        var json = JsonSerializer.Serialize(options);

        Assert.Contains("Username = writer", text, StringComparison.Ordinal);
        Assert.Contains("Password = (set)", text, StringComparison.Ordinal);
        Assert.Contains("Token = (set)", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, json, StringComparison.Ordinal);
        Assert.Contains("\"Username\":\"writer\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_CaCertificateFileWithTheV2Api_IsRefusedAsUnsupported()
    {
        var options = new InfluxConnectionOptions
        {
            Url = new Uri("https://127.0.0.1:8086"),
            Api = InfluxApi.V2,
            Organization = "org",
            Bucket = "b",
            Token = "t",
            CaCertificateFile = WriteSecret("ca.pem", "x"),
        };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.StartsWith("Influx:CaCertificateFile applies to the v1 API only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_CaCertificateFileWithoutCertificate_IsRefusedNamingTheKey()
    {
        var options = new InfluxConnectionOptions { Url = new Uri("https://127.0.0.1:8086"), CaCertificateFile = WriteSecret("ca.pem", "not a certificate\n") };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.StartsWith("Influx:CaCertificateFile: ", error.Message, StringComparison.Ordinal);
    }
}
