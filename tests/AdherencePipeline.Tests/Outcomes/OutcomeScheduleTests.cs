using System.Text.Json.Nodes;
using AdherencePipeline.Adherence;
using AdherencePipeline.Outcomes;
using AdherencePipeline.Tests.Adherence;

namespace AdherencePipeline.Tests.Outcomes;

public sealed class OutcomeScheduleTests
{
    private static readonly HashSet<(string TimePoint, string Instrument)> NoneAnswered = [];

    [Fact]
    public void Registry_Example_HasSchedulesPerArm()
    {
        var schedule = TestRegistry.Example.OutcomeSchedule("exercise");

        Assert.Equal(["baseline", "week4", "week8", "week12", "followup"], schedule.Select(t => t.Id));
        Assert.Equal(["peg-3", "psfs", "who-5"], schedule[0].Instruments);
        Assert.Equal(3, TestRegistry.Example.OutcomeSchedule("usual_care").Count);
    }

    [Fact]
    public void Registry_WithoutSchedules_StillLoads()
    {
        Assert.Empty(TestRegistry.ErrorsAfter(r => r.Remove("outcomeSchedules")));
    }

    [Fact]
    public void Registry_ScheduleNamesAnUnknownInstrument_IsRejectedWithTimePointAndPath()
    {
        var json = TestRegistry.ExampleJson();
        json["outcomeSchedules"]!["exercise"]![1]!["instruments"]![2] = "eq-5d";

        var registry = ParticipantRegistryLoader.TryParse(json.ToJsonString(), "registry.json", out var errors, knownInstrumentIds: ["peg-3", "psfs", "who-5"]);

        Assert.Null(registry);
        Assert.Equal(
            [new RegistryError("registry.json", "exercise/week4", "$.outcomeSchedules.exercise[1].instruments[2]", "expected an instrument of the instruments folder (peg-3, psfs, who-5), found 'eq-5d'")],
            errors);
    }

    [Theory]
    [InlineData("unknown arm", "$.outcomeSchedules.walking", "expected one of the arms declared at $.arms")]
    [InlineData("weeks out of order", "$.outcomeSchedules.exercise[2].week", "expected weeks in increasing order")]
    [InlineData("repeated id", "$.outcomeSchedules.exercise[1].id", "expected each time point once; 'baseline' repeats")]
    [InlineData("negative window", "$.outcomeSchedules.exercise[0].windowBeforeDays", "expected an integer from 0 to 365")]
    [InlineData("no instruments", "$.outcomeSchedules.exercise[0].instruments", "expected at least one instrument id")]
    public void Registry_BadSchedule_IsRejectedWithThePath(string edit, string path, string message)
    {
        var errors = TestRegistry.ErrorsAfter(r =>
        {
            var schedules = r["outcomeSchedules"]!.AsObject();
            var exercise = schedules["exercise"]!.AsArray();
            switch (edit)
            {
                case "unknown arm":
                    schedules["walking"] = exercise.DeepClone();
                    break;
                case "weeks out of order":
                    exercise[2]!["week"] = 2;
                    break;
                case "repeated id":
                    exercise[1]!["id"] = "baseline";
                    break;
                case "negative window":
                    exercise[0]!["windowBeforeDays"] = -1;
                    break;
                default:
                    exercise[0]!["instruments"] = new JsonArray();
                    break;
            }
        });

        Assert.Contains(errors, e => e.JsonPath == path && e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Due_OnTheBaselineWindow_ListsEveryInstrument()
    {
        var p = TestRegistry.Example.Get("P002");

        // P002 enrolled 2026-03-02: baseline window 2026-02-23 to 2026-03-05.
        var baseline = OutcomeDue.ForParticipant(TestRegistry.Example, p, new DateOnly(2026, 3, 5), NoneAnswered)[0];

        Assert.Equal((AssessmentStatus.Due, new DateOnly(2026, 2, 23), new DateOnly(2026, 3, 5)), (baseline.Status, baseline.WindowStart, baseline.WindowEnd));
        Assert.Equal(["peg-3", "psfs", "who-5"], baseline.Missing);
    }

    [Fact]
    public void Due_AfterTheWindowWithOneMissing_IsOverdueForThatOne()
    {
        var p = TestRegistry.Example.Get("P002");
        HashSet<(string, string)> answered = [("baseline", "peg-3"), ("baseline", "who-5")];

        var assessments = OutcomeDue.ForParticipant(TestRegistry.Example, p, new DateOnly(2026, 3, 6), answered);

        Assert.Equal(AssessmentStatus.Overdue, assessments[0].Status);
        Assert.Equal(["psfs"], assessments[0].Missing);
        // week4: target 2026-03-30, window from 2026-03-27.
        Assert.Equal((AssessmentStatus.Upcoming, new DateOnly(2026, 3, 30)), (assessments[1].Status, assessments[1].TargetDate));
    }

    [Fact]
    public void Due_AllAnswered_IsCompleted()
    {
        var p = TestRegistry.Example.Get("P002");
        HashSet<(string, string)> answered = [("baseline", "peg-3"), ("baseline", "psfs"), ("baseline", "who-5")];

        Assert.Equal(AssessmentStatus.Completed, OutcomeDue.ForParticipant(TestRegistry.Example, p, new DateOnly(2026, 3, 4), answered)[0].Status);
    }

    [Fact]
    public void Due_TimePointAfterEnrolmentEnds_IsNotExpected()
    {
        // P002's enrolment ends 2026-08-30; follow-up at week 26 (2026-08-31, window from 2026-08-24) is still expected, nothing later exists.
        var p = TestRegistry.Example.Get("P002");

        var ids = OutcomeDue.ForParticipant(TestRegistry.Example, p, new DateOnly(2026, 9, 30), NoneAnswered).Select(a => a.TimePoint.Id);

        Assert.Equal(["baseline", "week4", "week8", "week12", "followup"], ids);
    }

    [Fact]
    public void Pending_ListsOnlyDueAndOverdue()
    {
        var pending = OutcomeDue.Pending(TestRegistry.Example, _ => new DateOnly(2026, 3, 10), _ => NoneAnswered);

        // P001 (enrolled 2026-02-16): baseline overdue, week4 (window from 2026-03-13) upcoming.
        // P002: baseline overdue. P003 (2026-03-09, usual care): baseline due.
        Assert.Equal(
            [("P001", "baseline", AssessmentStatus.Overdue), ("P002", "baseline", AssessmentStatus.Overdue), ("P003", "baseline", AssessmentStatus.Due)],
            pending.Select(a => (a.Participant, a.TimePoint.Id, a.Status)));
    }

    [Fact]
    public void Record_ToPoint_HasScoresAnswersAndTags()
    {
        var peg = TestInstruments.Load("peg-3");
        var answers = TestInstruments.Answers(peg, "pain=6,enjoyment=4,activity=8");
        var record = OutcomeRecord.Create(TestRegistry.Example, TestRegistry.Example.Get("P002"), "baseline", answers, new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));

        Assert.Equal(
            "outcome,arm=exercise,instrument=peg-3,participant=P002,site=bergen,time_point=baseline answered=3i,score=6,item_pain=6i,item_enjoyment=4i,item_activity=8i,local_date=\"2026-03-02\" 1772442000000000000",
            record.ToPoint().ToString());
    }

    [Fact]
    public void Record_TimePointNotInSchedule_IsRejected()
    {
        var answers = TestInstruments.Answers(TestInstruments.Load("peg-3"), "pain=6,enjoyment=4,activity=8");

        var ex = Assert.Throws<ArgumentException>(() => OutcomeRecord.Create(TestRegistry.Example, TestRegistry.Example.Get("P003"), "week4", answers, DateTimeOffset.UnixEpoch));

        Assert.Contains("time point 'week4' is not in the outcome schedule of arm 'usual_care' (baseline, week12, followup)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, 0.975, 4.302652729911275)]
    [InlineData(9, 0.975, 2.262157162740992)]
    [InlineData(30, 0.975, 2.042272456301238)]
    [InlineData(1, 0.95, 6.313751514675041)]
    public void StudentT_Quantile_MatchesTables(double df, double p, double expected)
    {
        Assert.Equal(expected, StudentT.Quantile(p, df), 9);
    }
}
