namespace AdherencePipeline.Testing;

/// <summary>The repository's root folder, found by walking up from the test assembly to <c>AdherencePipeline.sln</c>.</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(Find);

    /// <summary>The root folder's full path.</summary>
    public static string Path => Root.Value;

    /// <summary>A path inside the repository, e.g. <c>Combine("data", "demo")</c>.</summary>
    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "AdherencePipeline.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"The repository root (AdherencePipeline.sln) was not found above {AppContext.BaseDirectory}.");
    }
}
