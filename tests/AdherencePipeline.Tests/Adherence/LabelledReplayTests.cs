using AdherencePipeline.Adherence;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Recordings;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;
using AdherencePipeline.Tests.Activity;
using AdherencePipeline.Tests.Recordings;
using AdherencePipeline.Tests.Sensors;

namespace AdherencePipeline.Tests.Adherence;

/// <summary>
/// A labelled recording of a subject the model never saw, replayed for a participant with a
/// prescription into a real InfluxDB: the session's exercise minutes against the labels.
/// </summary>
[Collection(ActivityData.Name)]
public sealed class LabelledReplayTests : IClassFixture<InfluxServerFixture>, IDisposable
{
    private readonly ActivityFixture _activity;
    private readonly InfluxServer _server;
    private readonly string _spool = Directory.CreateTempSubdirectory("labelled-replay-").FullName;
    private readonly HttpClient _http = new();

    public LabelledReplayTests(ActivityFixture activity, InfluxServerFixture influx)
    {
        _activity = activity;
        _server = influx.Server;
    }

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_spool, recursive: true);
    }

    /// <summary>Subject 3's blocks joined into one afternoon: sitting, treadmill walking flat and inclined, sitting.</summary>
    private static Recording Afternoon()
    {
        var blocks = RecordingReader.Open(SharedData.File("daily-sports-torso", "subject3.csv.gz"));
        int[] order = [0, 9, 10, 0]; // activity ids 1 (sitting), 10 (treadmill 4 km/h), 11 (the same, 15° incline), 1
        var t = new List<long>();
        var x = new List<float>();
        var y = new List<float>();
        var z = new List<float>();
        var labels = new List<int>();
        var offset = 0L;
        foreach (var index in order)
        {
            var acc = blocks[index].Accelerometer;
            for (var i = 0; i < acc.Count; i++)
            {
                t.Add(offset + acc.TimestampNs.Span[i]);
                x.Add(acc.XG.Span[i]);
                y.Add(acc.YG.Span[i]);
                z.Add(acc.ZG.Span[i]);
                labels.Add(acc.Labels.Span[i]);
            }

            offset = t[^1] + 40_000_000;
        }

        return new Recording("subject3", "daily-sports-torso", new AccelSeries([.. t], [.. x], [.. y], [.. z], [.. labels]), 25, AccelScale.Calibrated);
    }

    [Fact]
    public async Task Replay_LabelledAfternoon_SessionMinutesMatchTheLabelsWithinTenPercent()
    {
        var participant = TestRegistry.Example.Get("P001");
        var recording = Afternoon();
        var labelledExerciseMinutes = recording.Accelerometer.Labels.ToArray().Count(l => l is 10 or 11) / 25.0 / 60;
        var connection = new InfluxConnectionOptions { Url = _server.Url, Database = InfluxServer.NewDatabaseName("labelled"), CreateDatabase = true };
        var replay = new RecordingReplay(recording, new ReplayOptions
        {
            Participant = participant.Id,
            Profile = TestProfiles.Load("polar-h10"),
            Start = new DateTimeOffset(2026, 3, 4, 15, 0, 0, TimeSpan.Zero),
            Model = _activity.Model,
            Registration = participant,
        });

        ReplaySummary summary;
        await using (var writer = new InfluxLineWriter(new InfluxV1WriteEndpoint(_http, connection), new InfluxWriterOptions { SpoolDirectory = _spool }))
        {
            summary = await replay.RunAsync(events => events.Store(writer));
            await writer.FlushAsync();
        }

        var session = Assert.Single(summary.Sessions);
        var minutes = session.Summary.ExerciseNs / 60e9;
        Assert.Equal(10, labelledExerciseMinutes, tolerance: 0.01);
        Assert.True(Math.Abs(minutes - labelledExerciseMinutes) <= 0.1 * labelledExerciseMinutes, $"session {minutes:0.00} min against {labelledExerciseMinutes:0.00} labelled: {string.Join(", ", session.Summary.ExerciseNsByClass.Select(kv => $"{kv.Key} {kv.Value / 60e9:0.00}"))}; {summary.Classified} classified, {summary.Bouts} bouts");

        // By hand from the labels and the raw samples: P001 is prescribed 3 × 30 = 90 min a week of
        // walking or cycling at moderate or above. There is no heart rate in this data set, so
        // intensity is ENMO against the moderate cut-point: every 5-s window of labelled walking,
        // every 2.5 s, whose mean ENMO of the raw 25 Hz samples reaches it counts 2.5 s.
        var acc = recording.Accelerometer;
        var handTargetSeconds = 0.0;
        for (var start = 0; start + 125 <= acc.Count; start += 62)
        {
            var walking = true;
            var enmo = 0.0;
            for (var i = start; i < start + 125; i++)
            {
                walking &= acc.Labels.Span[i] is 10 or 11;
                var (x, y, z) = (acc.XG.Span[i], acc.YG.Span[i], acc.ZG.Span[i]);
                enmo += Math.Max(0, Math.Sqrt(x * x + y * y + z * z) - 1) * 1000;
            }

            handTargetSeconds += walking && enmo / 125 >= AdherencePipeline.Activity.ActivityIntensity.ModerateEnmoMg ? 2.5 : 0;
        }

        var handAdherence = 100 * handTargetSeconds / 60 / 90;
        var week = Assert.Single(summary.Adherence, p => p.Label == "2026-W10");
        Assert.True(Math.Abs(week.AdherencePercent!.Value - handAdherence) <= 0.1 * handAdherence,
            $"adherence {week.AdherencePercent:0.00} % against {handAdherence:0.00} % by hand (target {week.TargetMinutes:0.00} min, by hand {handTargetSeconds / 60:0.00})");
        Assert.Equal(1, week.SessionsDone);
        Assert.Equal(90, week.PrescribedMinutes, tolerance: 1e-9);
        Assert.Equal(session.Summary.TargetNs / 60e9, week.TargetMinutes, tolerance: 1e-9);
        Assert.Equal(Math.Min(1, week.TargetMinutes / 90) * 100, week.AdherencePercent!.Value, tolerance: 1e-9);

        var query = new InfluxQueryClient(_http, connection);
        var stored = Assert.Single(Assert.Single(await query.QueryAsync("SELECT \"exercise_min\" FROM \"session\"")).Rows);
        Assert.Equal(minutes, stored.GetDouble("exercise_min"), tolerance: 1e-9);
        var adherence = Assert.Single(Assert.Single(await query.QueryAsync("SELECT \"adherence_pct\" FROM \"adherence\" WHERE \"period\" = 'week'")).Rows);
        Assert.Equal(week.AdherencePercent!.Value, adherence.GetDouble("adherence_pct"), tolerance: 1e-9);
    }
}
