using System.Reactive.Linq;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Signal;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;
using AdherencePipeline.Tests.Recordings;
using AdherencePipeline.Tests.Sensors;

namespace AdherencePipeline.Tests.Pipeline;

public sealed class RecordingReplayTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    /// <summary>A walk: 1.8 Hz steps at 64 Hz with heart rate climbing from 90 bpm, one value a second.</summary>
    internal static Recording Walk(double seconds)
    {
        var n = (int)(seconds * 64);
        var t = new long[n];
        var x = new float[n];
        var y = new float[n];
        var z = new float[n];
        for (var i = 0; i < n; i++)
        {
            var s = i / 64.0;
            t[i] = (long)Math.Round(s * 1e9);
            x[i] = (float)(0.1 * Math.Sin(2 * Math.PI * 0.9 * s));
            y[i] = (float)(-1 + 0.3 * Math.Sin(2 * Math.PI * 1.8 * s));
            z[i] = 0.05f;
        }

        var hrTimes = Enumerable.Range(0, (int)seconds).Select(k => k * 1_000_000_000L).ToArray();
        var bpm = hrTimes.Select(k => Math.Round(90 + k / 1e9 * 0.5)).ToArray();
        return new Recording("walk", "synthetic", new AccelSeries(t, x, y, z), 64, AccelScale.Calibrated, heartRate: new HeartRateSeries(hrTimes, bpm));
    }

    private static async Task<(ReplaySummary Summary, List<string> Lines)> Replay(Recording recording, double? speed)
    {
        var lines = new List<string>();
        var replay = new RecordingReplay(recording, new ReplayOptions
        {
            Participant = "P010",
            Profile = TestProfiles.Load("polar-h10"),
            Start = Start,
            Speed = speed,
        });
        var summary = await replay.RunAsync(events => events.Do(e =>
        {
            if (PipelinePoints.ToPoint(e) is { } point)
            {
                lines.Add(point.ToString());
            }
        }));
        return (summary, lines);
    }

    [Fact]
    public async Task Replay_MaxSpeedAndPacedSpeed_WriteIdenticalPoints()
    {
        var recording = Walk(30);

        var fast = await Replay(recording, speed: null);
        var paced = await Replay(recording, speed: 60);

        Assert.Equal(fast.Lines, paced.Lines);
        Assert.True(paced.Summary.WallTime >= TimeSpan.FromMilliseconds(400), $"paced replay took {paced.Summary.WallTime}");
        Assert.Equal(30 * 50, fast.Summary.AccelerometerSamples, tolerance: 36);
    }

    [Fact]
    public async Task Replay_SyntheticWalk_StoresHeartRateAndMotionEverySecond()
    {
        var (summary, lines) = await Replay(Walk(60), speed: null);

        // Like a real strap, the wearable reports heart rate once a second from the first second on,
        // to the end of the recording (the last report holds the last value).
        Assert.Equal(60, summary.HeartRateMeasurements);
        Assert.Equal(0, summary.Faults);
        Assert.Equal(0, summary.Gaps);
        Assert.Equal(60, lines.Count(l => l.StartsWith("heart_rate,", StringComparison.Ordinal)));
        Assert.InRange(lines.Count(l => l.StartsWith("motion,", StringComparison.Ordinal)), 59, 60);
        var first = Point.ToTimestampNs(Start.AddSeconds(1));
        var firstSecond = Assert.Single(lines, l => l.StartsWith("heart_rate,", StringComparison.Ordinal) && l.EndsWith($" {first}", StringComparison.Ordinal));
        Assert.StartsWith("heart_rate,device_model=polar-h10,participant=P010 valid=1i,rejected=0i,", firstSecond, StringComparison.Ordinal);
        Assert.Contains(",hr_bpm=90", firstSecond, StringComparison.Ordinal);
        Assert.True(summary.CompleteWindows >= 20);
    }
}

/// <summary>A whole real subject through bytes, pipeline and a real InfluxDB.</summary>
public sealed class ReplayIntoInfluxTests : IClassFixture<InfluxServerFixture>, IDisposable
{
    private readonly InfluxServer _server;
    private readonly string _spool = Directory.CreateTempSubdirectory("replay-test-").FullName;
    private readonly HttpClient _http = new();

    public ReplayIntoInfluxTests(InfluxServerFixture fixture) => _server = fixture.Server;

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_spool, recursive: true);
    }

    [Fact]
    public async Task Replay_WholeHexoskinSubject_PerSecondHeartRateMatchesTheSource()
    {
        var recording = RecordingReader.Open(SharedData.Folder("chest-hr-hexoskin") + "/subject006").Single();
        var connection = new InfluxConnectionOptions { Url = _server.Url, Database = InfluxServer.NewDatabaseName("replay"), CreateDatabase = true };
        var start = recording.StartUtc!.Value;
        var replay = new RecordingReplay(recording, new ReplayOptions { Participant = "S006", Profile = TestProfiles.Load("polar-h10"), Start = start });
        await using (var writer = new InfluxLineWriter(new InfluxV1WriteEndpoint(_http, connection), new InfluxWriterOptions { SpoolDirectory = _spool }))
        {
            var summary = await replay.RunAsync(events => events.Store(writer));
            await writer.FlushAsync();
            Assert.Equal(0, summary.Faults);
            Assert.Equal(recording.HeartRate!.Count, summary.HeartRateMeasurements);
        }

        var stored = (await new InfluxQueryClient(_http, connection).QueryAsync("SELECT \"hr_bpm\", \"valid\", \"rejected\" FROM \"heart_rate\" WHERE \"participant\" = 'S006'"))
            .Single().Rows.ToDictionary(r => r.TimestampNs);

        // What the artefact rules make of the source is what InfluxDB must hold, second by second.
        var filter = new HeartRateArtefactFilter();
        var source = recording.HeartRate!;
        var startNs = Point.ToTimestampNs(start);
        int same = 0, gaps = 0;
        // The wearable's first report comes after one second, carrying the value of that second.
        for (var i = 1; i < source.Count; i++)
        {
            var second = startNs + source.TimestampNs.Span[i];
            var bpm = source.HeartRateBpm.Span[i];
            Assert.True(stored.TryGetValue(second, out var row), $"no heart_rate point at {Point.FromTimestampNs(second):O}");
            if (filter.CheckHeartRate(bpm) == HeartRateRejection.None)
            {
                Assert.Equal(bpm, row.GetDouble("hr_bpm"));
                same++;
            }
            else
            {
                Assert.True(row.IsNull("hr_bpm"), $"an artefact at {Point.FromTimestampNs(second):O} was stored as {row}");
                Assert.Equal(1, row.GetInt64("rejected"));
                gaps++;
            }
        }

        // One report per source second from the second on, and one at the end holding the last value.
        Assert.Equal(source.Count, stored.Count);
        Assert.True(same > 0.9 * source.Count, $"{same} of {source.Count} seconds valid");
    }
}
