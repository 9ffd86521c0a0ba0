using AdherencePipeline.Service.Worker;
using AdherencePipeline.Testing;
using Microsoft.Extensions.Configuration;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary><c>adherence run</c>'s start-up checks with <c>Worker:Source=Nats</c>: no bound device needed, every NATS key checked.</summary>
public sealed class NatsWorkerSetupTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("nats-setup-").FullName;

    [Fact]
    public void Check_SourceBle_NoDeviceBoundToday_IsAProblem()
    {
        var setup = WorkerSetup.Check(Configuration(("Worker:Source", "Ble")), DateTimeOffset.UtcNow, out var problems);

        Assert.Null(setup);
        Assert.Contains(problems, p => p.Contains("no device is bound", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_SourceNats_NeedsNoBoundDeviceAndTakesTheRegistrysParticipants()
    {
        var setup = WorkerSetup.Check(Configuration(("Worker:Source", "nats")), DateTimeOffset.UtcNow, out var problems);

        Assert.Empty(problems);
        Assert.NotNull(setup?.Nats);
        Assert.Empty(setup.Devices);
        Assert.Equal(["P001"], setup.Nats.Eligible(setup.Registry).Select(p => p.Id));
        Assert.Equal(TimeSpan.FromMinutes(10), setup.Nats.Worker.IdleClose);
    }

    [Fact]
    public void Check_SourceNats_BadSettings_AreNamedByKey()
    {
        var setup = WorkerSetup.Check(Configuration(("Worker:Source", "Nats"), ("Nats:Worker:IdleClose", "00:00:00"), ("Nats:Url", "http://x"), ("Nats:Worker:Sites:0", "bergen")), DateTimeOffset.UtcNow, out var problems);

        Assert.Null(setup);
        Assert.Contains(problems, p => p.StartsWith("Nats:Url:", StringComparison.Ordinal));
        Assert.Contains("Nats:Worker:IdleClose must be at least 1 s.", problems);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private IConfiguration Configuration(params (string Key, string Value)[] overrides)
    {
        var registry = Path.Combine(_folder, "participants.json");
        // The strap's binding starts next year: nothing is bound today.
        File.WriteAllText(registry, """
            {
              "arms": ["exercise"], "sites": ["oslo"],
              "participants": [
                { "id": "P001", "arm": "exercise", "site": "oslo", "enrolment": { "start": "2026-01-01" },
                  "timeZones": [ { "from": "2026-01-01", "zone": "Europe/Oslo" } ],
                  "devices": [ { "address": "A0:9E:1A:00:00:01", "profile": "polar-h10", "from": "2099-01-01" } ],
                  "ageYears": 61, "maxHeartRateBpm": 158, "restingHeartRateBpm": 71,
                  "prescriptions": [ { "from": "2026-01-01", "sessionsPerWeek": 2, "minutesPerSession": 45, "targetZone": "moderate",
                    "countingClasses": ["walking"] } ] }
              ]
            }
            """);
        var settings = new Dictionary<string, string?>
        {
            ["Participants:Registry"] = registry,
            ["Sensors:ProfilesDirectory"] = RepositoryRoot.Combine("firmware-profiles"),
            ["Activity:ModelPath"] = RepositoryRoot.Combine("data", "models", "activity.zip"),
            ["Archive:Directory"] = Path.Combine(_folder, "archive"),
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }
}
