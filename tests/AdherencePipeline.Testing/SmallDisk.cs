using System.Diagnostics;

namespace AdherencePipeline.Testing;

/// <summary>
/// A real, tiny file system (a tmpfs of a fixed size) mounted on a temporary folder, that a test can
/// fill up, make read-only and give space back to, so disk-full and read-only faults are the kernel's
/// own rather than imitations. Mounting needs root, as the test script runs; anything else is an
/// error that says so, never a skip.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private bool _mounted;

    private SmallDisk(string path) => Path = path;

    /// <summary>The mount point.</summary>
    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="bytes"/> bytes on a new temporary folder.</summary>
    public static SmallDisk Mount(long bytes)
    {
        var path = Directory.CreateTempSubdirectory("adherence-small-disk-").FullName;
        var disk = new SmallDisk(path);
        try
        {
            Run("mount", "-t", "tmpfs", "-o", $"size={bytes},mode=0755", "tmpfs", path);
            disk._mounted = true;
        }
        catch
        {
            Directory.Delete(path);
            throw;
        }

        return disk;
    }

    /// <summary>Makes the file system read-only; open files can no longer be written.</summary>
    public void MakeReadOnly() => Run("mount", "-o", "remount,ro", Path);

    /// <summary>Makes it writable again with <paramref name="bytes"/> bytes of room in all.</summary>
    public void MakeWritable(long bytes) => Run("mount", "-o", $"remount,rw,size={bytes}", Path);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_mounted)
        {
            _mounted = false;
            Run("umount", "-l", Path);
        }

        Directory.Delete(Path, recursive: true);
    }

    private static void Run(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"Could not start {program}.");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{program} {string.Join(' ', arguments)}' failed ({process.ExitCode}): {error.Trim()}. " +
                "The disk-fault tests mount a small tmpfs and need root: run them through scripts/test.sh as root.");
        }
    }
}
