namespace AdherencePipeline.Storage;

/// <summary>
/// Reads a secret (a password, a token, a list of hashes) from a file named in configuration, so the
/// secret never appears on a command line or in a configuration file that many can read. A file that
/// every user of the machine may read is refused, as ssh refuses such a private key: a secret that
/// anyone can read is no longer one, and saying so at start is better than finding out later.
/// </summary>
public static class SecretFile
{
    /// <summary>
    /// The file's text without its trailing line break(s). Throws <see cref="ArgumentException"/> naming
    /// <paramref name="key"/> when the file is missing, readable by every user (Unix mode <c>o+r</c>),
    /// empty, or holds more than one line.
    /// </summary>
    public static string ReadLine(string path, string key)
    {
        var text = ReadAll(path, key).TrimEnd('\r', '\n');
        if (text.Length == 0)
        {
            throw new ArgumentException($"{key}: the file '{path}' is empty.");
        }

        if (text.Contains('\n', StringComparison.Ordinal) || text.Contains('\r', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{key}: the file '{path}' has more than one line; expected the secret alone on one line.");
        }

        return text;
    }

    /// <summary>The whole file, after the same existence and permission checks as <see cref="ReadLine"/>.</summary>
    public static string ReadAll(string path, string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new ArgumentException($"{key}: the file '{path}' does not exist.");
        }

        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & UnixFileMode.OtherRead) != 0)
            {
                throw new ArgumentException(
                    $"{key}: the file '{path}' is readable by every user (mode {Octal(mode)}); make it readable by the service account only, e.g. 'chmod 600' or 'chmod 640' with the service's group.");
            }
        }

        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{key}: the file '{path}' cannot be read: {ex.Message}", ex);
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
}
