using AdherencePipeline.Nats;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Sensors;
using AdherencePipeline.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AdherencePipeline.Service.Tests.Commands;

/// <summary><c>adherence gateway --replay</c> against a real three-node NATS cluster.</summary>
public sealed class GatewayCommandTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gateway-cli-").FullName;
    private NatsCluster? _cluster;

    private static string Repository { get; } = RepositoryRoot.Path;

    private static string DemoRecording => Path.Combine(Repository, "data", "demo", "hexoskin-subject001-excerpt.acc.csv.gz");

    public async Task InitializeAsync() => _cluster = await NatsCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Gateway_ReplayingTheDemoRecording_PublishesTheVirtualWearablesExactBytesInOrder()
    {
        var config = Path.Combine(_folder, "gateway.json");
        File.WriteAllText(config, $$"""
            { "Nats": { "Url": "{{_cluster!.Url}}", "Publisher": { "Site": "oslo", "SpoolDirectory": "{{Path.Combine(_folder, "spool")}}" } } }
            """);

        var (exit, output, error) = await RunUntilJetStreamServesAsync("gateway", "--config", config, "--provision-stream",
            "--replay", DemoRecording, "--participant", "P002", "--start", "2026-03-04T17:00:00Z");

        Assert.True(exit == 0, error + output);
        var recording = RecordingReader.Open(DemoRecording)[0];
        var (calibrated, _) = RecordingCalibration.Calibrate(recording);
        var profile = FirmwareProfileLoader.Load(Path.Combine(AppContext.BaseDirectory, "firmware-profiles", "polar-h10.json"));
        var plan = new VirtualWearable(profile, RecordingReplay.ToSensorRecording(calibrated)).Notifications;
        Assert.Contains($"{plan.Count:N0} stored by JetStream", output, StringComparison.Ordinal);

        await using var connection = new NatsConnection(new NatsClientOptions { Url = _cluster.Url }.ToNatsOpts());
        var consumer = await ParticipantFrameConsumer.CreateAsync(new NatsJSContext(connection), "ADHERENCE_FRAMES", "oslo", "P002");
        using var decoder = new DeviceDecoder(profile, "virtual:polar-h10");
        var decoded = new List<DeviceData>();
        var received = 0;
        var start = new DateTimeOffset(2026, 3, 4, 17, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1_000_000;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await foreach (var frame in consumer.ReadAsync(cancellationToken: cancel.Token))
        {
            var expected = plan[received];
            Assert.Equal(expected.Payload.ToArray(), frame.Frame.Payload.ToArray());
            Assert.Equal(expected.Characteristic, frame.Frame.Characteristic);
            Assert.Equal(start + expected.Offset.Ticks * 100, frame.Frame.ReceivedUnixNs);
            decoder.Decode(frame.Frame, decoded);
            await frame.AckAsync();
            if (++received == plan.Count)
            {
                break;
            }
        }

        Assert.Equal(0, decoder.Faults);
        Assert.True(decoder.AccelerometerSamples > 0 && decoder.HeartRateMeasurements > 0);
    }

    [Theory]
    [InlineData("Site", "--site", "os.lo")]
    [InlineData("Nats:Url", "--site", "oslo", "--nats-url", "http://127.0.0.1:4222")]
    public async Task Gateway_BadSetting_FailsAtOnceNamingIt(string named, params string[] options)
    {
        var (exit, _, error) = await CliRunner.RunAsync(["gateway", .. options, "--replay", DemoRecording, "--participant", "P002"]);

        Assert.Equal(1, exit);
        Assert.Contains(named, error, StringComparison.Ordinal);
    }

    // Just after start the cluster may not have elected its JetStream leader: provisioning then fails
    // with exit code 2, and an operator would run the command again.
    private static async Task<(int ExitCode, string Output, string Error)> RunUntilJetStreamServesAsync(params string[] args)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var result = await CliRunner.RunAsync(args);
            if (result.ExitCode != 2 || deadline.IsCancellationRequested)
            {
                return result;
            }

            await Task.Delay(200, deadline.Token);
        }
    }
}
