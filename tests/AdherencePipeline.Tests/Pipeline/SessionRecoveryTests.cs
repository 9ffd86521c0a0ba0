using System.Reactive.Linq;
using AdherencePipeline.Activity;
using AdherencePipeline.Adherence;
using AdherencePipeline.Pipeline;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Tests.Pipeline;

/// <summary>The session stage with a journal: a stream that dies mid-session is rebuilt at the next start.</summary>
public sealed class SessionRecoveryTests : IDisposable
{
    private const long Hop = 2_500_000_000L;
    private static readonly long Start = Point.ToTimestampNs(new DateTimeOffset(2026, 3, 4, 17, 0, 0, TimeSpan.Zero));
    private readonly string _folder = Directory.CreateTempSubdirectory("journal-").FullName;

    private string JournalPath => Path.Combine(_folder, "session-P001.journal");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Sessions_StreamDiesMidSessionAndResumesWithinTheGap_ContinuesAsOneRecoveredSessionEqualToAnUninterruptedOne()
    {
        // 3 min walking, 2 min rest (closes the first bout), 3 min walking: the process dies here.
        var before = Windows(Start, ("walking", 72), ("rest", 48), ("walking", 72));
        // It is back 20 s later; the walk goes on for 3 min, then rest.
        var after = Windows(Start + (192 + 8) * Hop, ("walking", 72), ("rest", 8));

        var first = RunUntilKilled(before);
        var second = RunToCompletion(after);
        var reference = Run(null, null, before.Concat(after), complete: true);

        // The first run stored the closed bout and no session; the second wrote that bout again, identically.
        var firstBout = Assert.Single(first.OfType<BoutEvent>());
        Assert.Empty(first.OfType<SessionEvent>());
        var secondBouts = second.OfType<BoutEvent>().ToList();
        Assert.Equal(2, secondBouts.Count);
        Assert.Equal(Line(firstBout), Line(secondBouts[0]));
        // Bouts and session equal those of the same windows without the crash, but for the recovered flag.
        Assert.Equal(reference.OfType<BoutEvent>().Select(Line), secondBouts.Select(Line));
        var session = Assert.Single(second.OfType<SessionEvent>()).Session;
        var expected = Assert.Single(reference.OfType<SessionEvent>()).Session;
        Assert.Equal(expected.Quality | SessionQuality.Recovered, session.Quality);
        Assert.Equal((expected.Summary.StartNs, expected.Summary.EndNs, expected.Summary.ExerciseNs, expected.Summary.TargetNs, expected.Bouts),
            (session.Summary.StartNs, session.Summary.EndNs, session.Summary.ExerciseNs, session.Summary.TargetNs, session.Bouts));
        var point = LineOf(AdherencePoints.Session(session, null, "v1"));
        Assert.Contains("recovered=true", point, StringComparison.Ordinal);
        Assert.Contains("recovered", AdherencePoints.QualityText(session.Quality), StringComparison.Ordinal);
    }

    [Fact]
    public void Sessions_RestartLaterThanTheSessionGap_ClosesTheRestoredSessionAtOnceFromTheJournal()
    {
        var before = Windows(Start, ("walking", 72), ("rest", 48), ("walking", 72));
        RunUntilKilled(before);
        var restartedAt = Start + 192 * Hop + TimeSpan.FromMinutes(15).Ticks * 100;

        // Nothing arrives after the restart; what the journal held is closed as the subscription starts.
        var second = RunUntilKilled([], restartedAt);

        Assert.Equal(2, second.OfType<BoutEvent>().Count());
        var session = Assert.Single(second.OfType<SessionEvent>()).Session;
        Assert.Equal(SessionQuality.Recovered, session.Quality & (SessionQuality.Recovered | SessionQuality.ClosedAtShutdown));
        Assert.Equal(2, session.Bouts);
        Assert.Equal(Start + Hop / 2, session.Summary.StartNs);
        // A third start finds the closed session kept (its point may not have been spooled) and closes it to the same values.
        var third = RunUntilKilled([], restartedAt + Hop);
        var again = Assert.Single(third.OfType<SessionEvent>()).Session;
        Assert.Equal(LineOf(AdherencePoints.Session(session, null, "v1")), LineOf(AdherencePoints.Session(again, null, "v1")));
    }

    [Fact]
    public void Sessions_CleanCompletion_EmptiesTheJournalSoTheNextStartRestoresNothing()
    {
        RunToCompletion(Windows(Start, ("walking", 72), ("rest", 8)));

        using var journal = SessionJournal.Open(JournalPath);

        Assert.Empty(journal.Recovered);
        Assert.Equal(0, new FileInfo(JournalPath).Length);
    }

    [Fact]
    public void Sessions_LongRestWithoutExercise_JournalsNothing()
    {
        RunUntilKilled(Windows(Start, ("rest", 400)));

        using var journal = SessionJournal.Open(JournalPath);

        Assert.Empty(journal.Recovered);
    }

    [Fact]
    public void SessionJournal_LineCutShortByACrash_IsDroppedAndTheCompleteLinesKept()
    {
        RunUntilKilled(Windows(Start, ("walking", 10)));
        File.AppendAllText(JournalPath, "1772643625000000000\t1772643630000000000\twalk");

        using var journal = SessionJournal.Open(JournalPath);

        Assert.Equal(10, journal.Recovered.Count);
        Assert.Equal(1, journal.TornLines);
        Assert.All(journal.Recovered, e => Assert.Equal(("walking", "polar-h10", "v1"), (e.Window.Activity, e.DeviceModel, e.ModelVersion)));
        Assert.Equal(Start, journal.Recovered[0].Window.StartNs);
    }

    private List<PipelineEvent> RunUntilKilled(IEnumerable<ActivityEvent> windows, long? resumedAtNs = null)
    {
        using var journal = SessionJournal.Open(JournalPath);
        return Run(journal, resumedAtNs, windows, complete: false);
    }

    private List<PipelineEvent> RunToCompletion(IEnumerable<ActivityEvent> windows)
    {
        using var journal = SessionJournal.Open(JournalPath);
        return Run(journal, null, windows, complete: true);
    }

    private static List<PipelineEvent> Run(SessionJournal? journal, long? resumedAtNs, IEnumerable<ActivityEvent> windows, bool complete)
    {
        var output = new List<PipelineEvent>();
        // Without completion the stream just stops, as when the process is killed.
        var source = Observable.Create<PipelineEvent>(observer =>
        {
            foreach (var w in windows)
            {
                observer.OnNext(w);
            }

            if (complete)
            {
                observer.OnCompleted();
            }

            return () => { };
        });
        var options = new BoutOptions();
        using (source.Sessions(null, "P001", options, null, journal, resumedAtNs).Subscribe(output.Add))
        {
        }

        return [.. output.Where(e => e is BoutEvent or SessionEvent)];
    }

    private static List<ActivityEvent> Windows(long start, params (string Activity, int Count)[] runs)
    {
        var list = new List<ActivityEvent>();
        var t = start;
        foreach (var (activity, count) in runs)
        {
            var cls = activity == "walking" ? ActivityClass.Walking : ActivityClass.Rest;
            for (var i = 0; i < count; i++, t += Hop)
            {
                var p = new float[ActivityTaxonomy.Count];
                p[(int)cls] = 1;
                list.Add(new ActivityEvent("P001", "polar-h10", t, t + 2 * Hop, cls, p, cls,
                    cls == ActivityClass.Rest ? null : new WindowIntensity(IntensityZone.Moderate, IntensitySource.Enmo, 120), "v1"));
            }
        }

        return list;
    }

    private static string Line(BoutEvent b) => LineOf(AdherencePoints.Bout(b.Bout, null, b.ModelVersion));

    private static string LineOf(Point point)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        LineProtocol.Write(point, buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
