using AdherencePipeline.Adherence;

namespace AdherencePipeline.Tests.Adherence;

public sealed class SessionAndAdherenceTests
{
    private const long Second = 1_000_000_000L;
    private const long Hop = 2_500_000_000L;

    /// <summary>Consecutive 5-s windows every 2.5 s from <paramref name="start"/>, one per entry of <paramref name="activities"/>.</summary>
    private static IEnumerable<ClassifiedWindow> Windows(DateTimeOffset start, IEnumerable<(string Activity, IntensityZone? Zone, int Count)> runs)
    {
        var t = (start.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        foreach (var (activity, zone, count) in runs)
        {
            for (var i = 0; i < count; i++, t += Hop)
            {
                yield return new ClassifiedWindow(t, t + 2 * Hop, activity, zone, zone is null ? null : 120, zone is null ? null : 50, true);
            }
        }
    }

    private static int PerMinute(double minutes) => (int)Math.Round(minutes * 24);

    private static (List<Bout> Bouts, List<Session> Sessions) Build(SessionBuilder builder, IEnumerable<ClassifiedWindow> windows)
    {
        var bouts = new List<Bout>();
        var sessions = new List<Session>();
        foreach (var w in windows)
        {
            builder.Add(w, bouts, sessions);
        }

        builder.Complete(bouts, sessions);
        return (bouts, sessions);
    }

    [Fact]
    public void Bouts_ShortPauseInsideAWalk_IsToleratedAndTheBoutKeepsItsLength()
    {
        var start = new DateTimeOffset(2026, 3, 3, 17, 0, 0, TimeSpan.Zero);
        var windows = Windows(start, [("rest", null, PerMinute(2)), ("walking", IntensityZone.Moderate, PerMinute(3)), ("rest", null, PerMinute(0.5)), ("walking", IntensityZone.Moderate, PerMinute(3)), ("rest", null, PerMinute(5))]);

        var (bouts, sessions) = Build(new SessionBuilder("P001"), windows);

        var bout = Assert.Single(bouts).Summary;
        Assert.Equal(6 * 60 * Second, bout.ExerciseNs);
        Assert.Equal(6.5 * 60 * Second, bout.EndNs - bout.StartNs, tolerance: Hop);
        Assert.Equal(6 * 60 * Second, bout.ZoneNs(IntensityZone.Moderate));
        var session = Assert.Single(sessions);
        Assert.Equal(1, session.Bouts);
        Assert.Equal(SessionQuality.None, session.Quality);
    }

    [Fact]
    public void Bouts_IncidentalMovementShorterThanTheMinimum_IsNoBout()
    {
        var windows = Windows(new DateTimeOffset(2026, 3, 3, 9, 0, 0, TimeSpan.Zero), [("walking", IntensityZone.Light, PerMinute(1)), ("rest", null, PerMinute(10)), ("stairs", IntensityZone.Moderate, PerMinute(0.5))]);

        var (bouts, sessions) = Build(new SessionBuilder("P001"), windows);

        Assert.Empty(bouts);
        Assert.Empty(sessions);
    }

    [Fact]
    public void Sessions_BoutsCloseTogetherJoinAndFarApartSplit()
    {
        var windows = Windows(new DateTimeOffset(2026, 3, 3, 8, 0, 0, TimeSpan.Zero),
        [
            ("walking", IntensityZone.Moderate, PerMinute(10)), ("rest", null, PerMinute(4)), ("cycling", IntensityZone.Vigorous, PerMinute(10)),
            ("rest", null, PerMinute(30)), ("walking", IntensityZone.Light, PerMinute(5)),
        ]);

        var (bouts, sessions) = Build(new SessionBuilder("P001"), windows);

        Assert.Equal(3, bouts.Count);
        Assert.Equal(2, sessions.Count);
        Assert.Equal(2, sessions[0].Bouts);
        Assert.Equal(10 * 60 * Second, sessions[0].Summary.ExerciseNsByClass["cycling"]);
        Assert.Equal(20 * 60 * Second, sessions[0].Summary.TargetNs);
        Assert.Equal(0, sessions[1].Summary.TargetNs);
    }

    [Fact]
    public void Sessions_StreamEndsMidBout_ClosesItFlagged()
    {
        var windows = Windows(new DateTimeOffset(2026, 3, 3, 8, 0, 0, TimeSpan.Zero), [("walking", IntensityZone.Moderate, PerMinute(5))]);

        var (_, sessions) = Build(new SessionBuilder("P001"), windows);

        Assert.True(Assert.Single(sessions).Quality.HasFlag(SessionQuality.ClosedAtShutdown));
    }

    [Fact]
    public void Sessions_WithoutHeartRate_AreFlaggedAndLowCoverageToo()
    {
        var start = (new DateTimeOffset(2026, 3, 3, 8, 0, 0, TimeSpan.Zero).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        var windows = Enumerable.Range(0, PerMinute(6)).Select(i => new ClassifiedWindow(start + i * Hop, start + i * Hop + 2 * Hop, "walking", IntensityZone.Moderate, null, null, i % 2 == 0));

        var (_, sessions) = Build(new SessionBuilder("P001"), windows);

        var quality = Assert.Single(sessions).Quality;
        Assert.True(quality.HasFlag(SessionQuality.NoHeartRate));
        Assert.True(quality.HasFlag(SessionQuality.LowCoverage));
    }

    [Fact]
    public void Target_OnlyPrescribedClassesAtOrAboveTheZoneCount()
    {
        var participant = TestRegistry.Example.Get("P001");
        var windows = Windows(new DateTimeOffset(2026, 3, 3, 16, 0, 0, TimeSpan.Zero),
            [("running", IntensityZone.Vigorous, PerMinute(10)), ("walking", IntensityZone.Light, PerMinute(10)), ("walking", IntensityZone.Vigorous, PerMinute(10))]);

        var (_, sessions) = Build(new SessionBuilder(participant), windows);

        // P001 counts walking and cycling in moderate or above: running and light walking do not count.
        var session = Assert.Single(sessions);
        Assert.Equal(30 * 60 * Second, session.Summary.ExerciseNs);
        Assert.Equal(10 * 60 * Second, session.Summary.TargetNs);
    }

    [Fact]
    public void Week_ThreeSessionsAsPrescribed_IsFullAdherenceAndTwoShortOnesArePartial()
    {
        var participant = TestRegistry.Example.Get("P001");
        var sessions = new List<Session>();
        foreach (var (day, minutes) in new[] { (2, 30.0), (4, 30.0), (6, 35.0), (10, 20.0), (12, 20.0) })
        {
            var windows = Windows(new DateTimeOffset(2026, 3, day, 17, 0, 0, TimeSpan.Zero), [("walking", IntensityZone.Moderate, PerMinute(minutes)), ("rest", null, PerMinute(20))]);
            sessions.AddRange(Build(new SessionBuilder(participant), windows).Sessions);
        }

        var full = AdherenceCalculator.Week(participant, new DateOnly(2026, 3, 4), sessions);
        var partial = AdherenceCalculator.Week(participant, new DateOnly(2026, 3, 11), sessions);

        Assert.Equal("2026-W10", full.Label);
        Assert.Equal(3, full.SessionsDone);
        Assert.Equal(3, full.SessionsPrescribed, tolerance: 1e-9);
        Assert.Equal(90, full.PrescribedMinutes, tolerance: 1e-9);
        Assert.Equal(100, full.AdherencePercent);
        Assert.Equal(2, partial.SessionsDone);
        Assert.Equal(40.0 / 90 * 100, partial.AdherencePercent!.Value, tolerance: 1e-6);
        Assert.Equal(2.0 / 3, partial.SessionAdherence!.Value, tolerance: 1e-9);
    }

    [Fact]
    public void Week_EnrolmentStartsMidweek_PrescribesProRata()
    {
        var json = TestRegistry.ExampleJson();
        var p002 = TestRegistry.Participant(json, 1);
        p002["enrolment"]!["start"] = "2026-03-05";
        p002["timeZones"]![0]!["from"] = "2026-03-05";
        p002["prescriptions"]![0]!["from"] = "2026-03-05";
        var registry = ParticipantRegistryLoader.TryParse(json.ToJsonString(), "registry.json", out var errors);
        Assert.Empty(errors);
        var participant = registry!.Get("P002");

        var week = AdherenceCalculator.Week(participant, new DateOnly(2026, 3, 5), []);

        // Thursday to Sunday: 4 of 7 days of 2 × 45 min.
        Assert.Equal(4, week.PrescribedDays);
        Assert.Equal(90.0 * 4 / 7, week.PrescribedMinutes, tolerance: 1e-9);
        Assert.Equal(0, week.AdherencePercent);
    }

    [Fact]
    public void Week_NoPrescription_HasNoAdherenceFigure()
    {
        var week = AdherenceCalculator.Week(TestRegistry.Example.Get("P003"), new DateOnly(2026, 3, 11), []);

        Assert.Null(week.AdherencePercent);
        Assert.Equal(0, week.PrescribedDays);
    }
}

public sealed class AdherencePointsTests
{
    [Fact]
    public void Session_Point_CarriesMinutesPerClassZoneAndHeartRate()
    {
        var participant = TestRegistry.Example.Get("P001");
        var start = (new DateTimeOffset(2026, 3, 3, 17, 0, 0, TimeSpan.Zero).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        var builder = new SessionBuilder(participant);
        var bouts = new List<Bout>();
        var sessions = new List<Session>();
        for (var i = 0; i < 24 * 4; i++)
        {
            builder.Add(new ClassifiedWindow(start + i * 2_500_000_000L, start + i * 2_500_000_000L + 5_000_000_000L, "walking", IntensityZone.Moderate, 120, 50, true), bouts, sessions);
        }

        builder.Complete(bouts, sessions);

        var line = AdherencePoints.Session(Assert.Single(sessions), participant).ToString();
        Assert.StartsWith("session,arm=exercise,participant=P001,site=oslo bouts=1i,quality=\"closed_at_shutdown\",local_date=\"2026-03-03\",min_walking=4,", line, StringComparison.Ordinal);
        Assert.Contains(",exercise_min=4,target_min=4,light_min=0,moderate_min=4,vigorous_min=0,coverage=1,hr_mean_bpm=120,hr_peak_bpm=120,hrr_mean_pct=50 ", line, StringComparison.Ordinal);
        Assert.EndsWith($" {start + 1_250_000_000L}", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Adherence_Point_IsStampedAtTheLocalStartOfTheWeek()
    {
        var participant = TestRegistry.Example.Get("P001");
        var week = AdherenceCalculator.Week(participant, new DateOnly(2026, 3, 4), []);

        var line = AdherencePoints.Adherence(week, participant, week: true).ToString();

        // Monday 2026-03-02 00:00 in Oslo is 2026-03-01T23:00Z.
        var expected = (new DateTimeOffset(2026, 3, 1, 23, 0, 0, TimeSpan.Zero).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        Assert.Equal($"adherence,arm=exercise,participant=P001,period=week,site=oslo label=\"2026-W10\",prescribed_days=7i,sessions_done=0i,sessions_prescribed=3,target_min=0,prescribed_min=90,exercise_min=0,adherence_pct=0,session_adherence=0 {expected}", line);
    }

    [Fact]
    public void Adherence_PointOfAModel_IsTaggedWithItsVersion()
    {
        var participant = TestRegistry.Example.Get("P001");
        var week = AdherenceCalculator.Week(participant, new DateOnly(2026, 3, 4), []);

        var line = AdherencePoints.Adherence(week, participant, week: true, modelVersion: "d5e3ccae36ef").ToString();

        Assert.StartsWith("adherence,arm=exercise,model_version=d5e3ccae36ef,participant=P001,period=week,site=oslo label=", line, StringComparison.Ordinal);
    }
}

public sealed class PainSessionLinkTests
{
    private const long Minute = 60_000_000_000L;
    private static readonly DateTimeOffset Noon = new(2026, 3, 4, 12, 0, 0, TimeSpan.Zero);
    private static readonly long NoonNs = (Noon.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    private static readonly (long, long)[] Sessions = [(NoonNs - 200 * Minute, NoonNs - 160 * Minute), (NoonNs - 60 * Minute, NoonNs - 20 * Minute), (NoonNs + 30 * Minute, NoonNs + 70 * Minute)];

    [Fact]
    public void Find_PostReport_LinksTheLastSessionThatEndedWithinTwoHours()
    {
        Assert.Equal(NoonNs - 60 * Minute, PainSessionLink.Find(PainContext.Post, Noon, Sessions));
    }

    [Fact]
    public void Find_PreReport_LinksTheNextSessionStartingWithinTwoHours()
    {
        Assert.Equal(NoonNs + 30 * Minute, PainSessionLink.Find(PainContext.Pre, Noon, Sessions));
    }

    [Fact]
    public void Find_TooFarOrDaily_LinksNothing()
    {
        Assert.Null(PainSessionLink.Find(PainContext.Pre, Noon.AddHours(3), Sessions));
        Assert.Null(PainSessionLink.Find(PainContext.Post, Noon.AddHours(-3.5), Sessions));
        Assert.Null(PainSessionLink.Find(PainContext.Daily, Noon, Sessions));
    }
}
