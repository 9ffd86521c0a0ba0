using System.IO.Compression;
using System.Text;

namespace AdherencePipeline.Tests.Recordings;

/// <summary>A temporary folder for hand-made recording files, deleted after the test.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("recordings-test-").FullName;

    /// <summary>Writes <paramref name="lines"/> (LF-terminated) to <paramref name="relativePath"/>; gzip when the name ends in .gz.</summary>
    public string Write(string relativePath, params string[] lines)
    {
        var path = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var bytes = Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n")));
        if (path.EndsWith(".gz", StringComparison.Ordinal))
        {
            using var file = File.Create(path);
            using var gzip = new GZipStream(file, CompressionLevel.Fastest);
            gzip.Write(bytes);
        }
        else
        {
            File.WriteAllBytes(path, bytes);
        }

        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Finds the shared real recordings: <c>&lt;repo&gt;/../shared/data</c>, by walking up from the test assembly.</summary>
public static class SharedData
{
    private static readonly Lazy<string> Root = new(Find);

    public static string Folder(string dataSet) => System.IO.Path.Combine(Root.Value, dataSet);

    public static string File(string dataSet, string name) => System.IO.Path.Combine(Root.Value, dataSet, name);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"The shared recordings were not found: no folder 'shared/data' above {AppContext.BaseDirectory}. " +
            "Check out the shared data beside the repository root (<repo>/../shared/data); these tests need the real files.");
    }
}
