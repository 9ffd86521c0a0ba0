using System.Text.Json.Nodes;
using AdherencePipeline.Adherence;

namespace AdherencePipeline.Tests.Adherence;

/// <summary>The shipped example registry, and edited copies of it for the validation tests.</summary>
internal static class TestRegistry
{
    public static string DataDirectory { get; } = Find();

    public static string ExamplePath => Path.Combine(DataDirectory, "participants.example.json");

    public static string SchemaPath => Path.Combine(DataDirectory, "participants.schema.json");

    public static ParticipantRegistry Example { get; } = ParticipantRegistryLoader.Load(ExamplePath);

    public static JsonObject ExampleJson() => JsonNode.Parse(File.ReadAllText(ExamplePath))!.AsObject();

    /// <summary>Applies <paramref name="edit"/> to a copy of the example and validates it as <c>registry.json</c>.</summary>
    public static IReadOnlyList<RegistryError> ErrorsAfter(Action<JsonObject> edit)
    {
        var json = ExampleJson();
        edit(json);
        var registry = ParticipantRegistryLoader.TryParse(json.ToJsonString(), "registry.json", out var errors);
        Assert.True(registry is null == errors.Count > 0, "a registry is returned exactly when there are no errors");
        return errors;
    }

    public static JsonObject Participant(JsonObject registry, int index) => registry["participants"]![index]!.AsObject();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data");
            if (File.Exists(Path.Combine(candidate, "participants.schema.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("data/participants.schema.json not found above the test binaries.");
    }
}
