using System.Text.Json.Nodes;
using AdherencePipeline.Adherence;
using Json.Schema;

namespace AdherencePipeline.Tests.Adherence;

public sealed class ParticipantRegistryLoaderTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(TestRegistry.SchemaPath));

    private static EvaluationResults Evaluate(JsonNode? json) =>
        Schema.Evaluate(json, new EvaluationOptions { OutputFormat = OutputFormat.List });

    [Fact]
    public void Schema_ShippedExample_IsValid()
    {
        var results = Evaluate(TestRegistry.ExampleJson());

        var errors = results.Details.Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
        Assert.True(results.IsValid, string.Join("; ", errors));
    }

    [Fact]
    public void Schema_ParticipantWithNameField_IsInvalid()
    {
        var json = TestRegistry.ExampleJson();
        TestRegistry.Participant(json, 0)["name"] = "Kari Nordmann";

        Assert.False(Evaluate(json).IsValid);
    }

    [Fact]
    public void Schema_RestCountsTowardsPrescription_IsInvalid()
    {
        var json = TestRegistry.ExampleJson();
        TestRegistry.Participant(json, 0)["prescriptions"]![0]!["countingClasses"]!.AsArray().Add("rest");

        Assert.False(Evaluate(json).IsValid);
    }

    [Fact]
    public void Load_ShippedExample_HasThreeParticipantsInTwoArms()
    {
        var registry = TestRegistry.Example;

        Assert.Equal(["P001", "P002", "P003"], registry.Participants.Select(p => p.Id));
        Assert.Equal(2, registry.Participants.Select(p => p.Arm).Distinct().Count());
        Assert.Equal(2, registry.Participants[0].TimeZones.Count);
        Assert.Equal(2, registry.Participants[0].Prescriptions.Count);
    }

    public static TheoryData<string, string, string, string> BrokenRegistries() => new()
    {
        // edit, expected entry, expected JSON path, a phrase the message must contain
        { "id=e-mail", "participants[0]", "$.participants[0].id", "e-mail" },
        { "id=phone", "participants[0]", "$.participants[0].id", "phone number" },
        { "id=name", "participants[0]", "$.participants[0].id", "name" },
        { "id=duplicate", "P001", "$.participants[1].id", "unique" },
        { "field=name", "P001", "$.participants[0].name", "personal data" },
        { "field=unknown", "P001", "$.participants[0].favouriteColour", "not a known property" },
        { "arm=undeclared", "P001", "$.participants[0].arm", "exercise, usual_care" },
        { "zone=bad", "P001", "$.participants[0].timeZones[1].zone", "IANA" },
        { "zone=unordered", "P001", "$.participants[0].timeZones[1].from", "after" },
        { "zone=late", "P001", "$.participants[0].timeZones[0].from", "enrolment start" },
        { "enrolment=reversed", "P002", "$.participants[1].enrolment.end", "on or after start" },
        { "date=format", "P001", "$.participants[0].enrolment.start", "YYYY-MM-DD" },
        { "device=address", "P001", "$.participants[0].devices[0].address", "AA:BB:CC:DD:EE:FF" },
        { "device=overlap", "P003", "$.participants[2].devices[0].address", "P002" },
        { "hr=missing", "P001", "$.participants[0].ageYears", "both are missing" },
        { "hr=resting", "P001", "$.participants[0].restingHeartRateBpm", "30 to 120" },
        { "hr=reserve", "P002", "$.participants[1].maxHeartRateBpm", "at least 20 bpm" },
        { "age=fraction", "P001", "$.participants[0].ageYears", "integer from 10 to 110" },
        { "rx=sessions", "P001", "$.participants[0].prescriptions[1].sessionsPerWeek", "integer from 1 to 14" },
        { "rx=zone", "P001", "$.participants[0].prescriptions[0].targetZone", "moderate" },
        { "rx=rest", "P001", "$.participants[0].prescriptions[0].countingClasses[2]", "\"rest\" can never count" },
        { "rx=unknown-class", "P001", "$.participants[0].prescriptions[0].countingClasses[2]", "cross_trainer" },
        { "rx=overlap", "P001", "$.participants[0].prescriptions[1].from", "must not overlap" },
        { "rx=open-before-next", "P001", "$.participants[0].prescriptions[0].to", "expected an end date" },
        { "rx=after-enrolment", "P002", "$.participants[1].prescriptions[0].to", "within enrolment" },
    };

    [Theory]
    [MemberData(nameof(BrokenRegistries))]
    public void TryParse_BrokenEntry_NamesFileEntryAndField(string edit, string entry, string path, string phrase)
    {
        var errors = TestRegistry.ErrorsAfter(json => Apply(json, edit));

        var error = Assert.Single(errors, e => e.JsonPath == path);
        Assert.Equal("registry.json", error.File);
        Assert.Equal(entry, error.Entry);
        Assert.Contains(phrase, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"registry.json: {entry}: {path}: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_SeveralProblems_ReportsEveryOne()
    {
        var errors = TestRegistry.ErrorsAfter(json =>
        {
            Apply(json, "rx=sessions");
            Apply(json, "zone=bad");
            Apply(json, "device=overlap");
        });

        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void TryParse_DeviceReusedAfterPreviousBindingEnded_IsValid()
    {
        // The example hands P002's first strap to P003 the day after P002's binding ends.
        Assert.Equal("A0:9E:1A:00:00:02", TestRegistry.Example.Get("P003").Devices[0].Address);
        Assert.Empty(TestRegistry.ErrorsAfter(_ => { }));
    }

    [Fact]
    public void TryLoad_MissingFile_NamesTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.json");

        var registry = ParticipantRegistryLoader.TryLoad(path, out var errors);

        Assert.Null(registry);
        Assert.Equal(path, Assert.Single(errors).File);
    }

    [Fact]
    public void TryParse_UnknownFirmwareProfile_IsAnErrorWhenProfilesAreKnown()
    {
        var json = TestRegistry.ExampleJson().ToJsonString();

        ParticipantRegistryLoader.TryParse(json, "registry.json", out var errors, knownProfileIds: ["generic-hrs"]);

        Assert.Equal(4, errors.Count);
        Assert.All(errors, e => Assert.Contains("generic-hrs", e.Message, StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Entry == "P002" && e.JsonPath == "$.participants[1].devices[1].profile");
    }

    private static void Apply(JsonObject json, string edit)
    {
        var p1 = TestRegistry.Participant(json, 0);
        var p2 = TestRegistry.Participant(json, 1);
        var p3 = TestRegistry.Participant(json, 2);
        var rx = p1["prescriptions"]!.AsArray();
        switch (edit)
        {
            case "id=e-mail": p1["id"] = "kari@example.org"; break;
            case "id=phone": p1["id"] = "+47 912 34 567"; break;
            case "id=name": p1["id"] = "Kari Nordmann"; break;
            case "id=duplicate": p2["id"] = "P001"; break;
            case "field=name": p1["name"] = "Kari Nordmann"; break;
            case "field=unknown": p1["favouriteColour"] = "blue"; break;
            case "arm=undeclared": p1["arm"] = "exercize"; break;
            case "zone=bad": p1["timeZones"]![1]!["zone"] = "Mars/Olympus_Mons"; break;
            case "zone=unordered": p1["timeZones"]![1]!["from"] = "2026-02-01"; break;
            case "zone=late": p1["timeZones"]![0]!["from"] = "2026-02-17"; break;
            case "enrolment=reversed": p2["enrolment"]!["end"] = "2026-03-01"; break;
            case "date=format": p1["enrolment"]!["start"] = "16.02.2026"; break;
            case "device=address": p1["devices"]![0]!["address"] = "A0:9E:1A:00:00"; break;
            case "device=overlap": p3["devices"]![0]!["from"] = "2026-05-31"; break;
            case "hr=missing": p1.Remove("ageYears"); break;
            case "hr=resting": p1["restingHeartRateBpm"] = 20; break;
            case "hr=reserve": p2["maxHeartRateBpm"] = 100; p2["restingHeartRateBpm"] = 90; break;
            case "age=fraction": p1["ageYears"] = 54.5; break;
            case "rx=sessions": rx[1]!["sessionsPerWeek"] = 0; break;
            case "rx=zone": rx[0]!["targetZone"] = "hard"; break;
            case "rx=rest": rx[0]!["countingClasses"]!.AsArray().Add("rest"); break;
            case "rx=unknown-class": rx[0]!["countingClasses"]!.AsArray().Add("yoga"); break;
            case "rx=overlap": rx[1]!["from"] = "2026-04-05"; break;
            case "rx=open-before-next": rx[0]!.AsObject().Remove("to"); break;
            case "rx=after-enrolment": p2["prescriptions"]![0]!["to"] = "2026-09-30"; break;
            default: throw new ArgumentOutOfRangeException(nameof(edit), edit, null);
        }
    }
}
