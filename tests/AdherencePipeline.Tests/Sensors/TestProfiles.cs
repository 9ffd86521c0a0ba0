using AdherencePipeline.Sensors;

namespace AdherencePipeline.Tests.Sensors;

/// <summary>The shipped profiles, read from the repository's firmware-profiles folder.</summary>
internal static class TestProfiles
{
    public static string Directory { get; } = Find();

    public static FirmwareProfile Load(string id) => FirmwareProfileLoader.Load(Path.Combine(Directory, id + ".json"));

    public static IReadOnlyList<string> ShippedIds { get; } = ["generic-hrs", "polar-h10", "polar-verity-sense", "lab-imu-declarative"];

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, FirmwareProfileLoader.DefaultDirectoryName);
            if (File.Exists(Path.Combine(candidate, FirmwareProfileLoader.SchemaFileName)))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("firmware-profiles/ not found above the test binaries.");
    }
}
