using AdherencePipeline.Outcomes;
using AdherencePipeline.Tests.Adherence;

namespace AdherencePipeline.Tests.Outcomes;

public sealed class OutcomeSummaryTests
{
    [Fact]
    public void ConfidenceInterval_ThreeValues_UsesStudentT()
    {
        // Mean 2, SD 1, t(0.975, 2) = 4.302653: half-width 4.302653 / √3 = 2.484138.
        var (mean, low, high) = OutcomeSummary.MeanWithConfidenceInterval([1.0, 2.0, 3.0]);

        Assert.Equal(2.0, mean);
        Assert.Equal(2 - 2.484138, low!.Value, 5);
        Assert.Equal(2 + 2.484138, high!.Value, 5);
    }

    [Fact]
    public void ConfidenceInterval_OneValue_HasNoInterval()
    {
        Assert.Equal((5.0, null, null), OutcomeSummary.MeanWithConfidenceInterval([5.0]));
    }

    [Fact]
    public void Dropouts_NoWearForTheThreshold_AreFlaggedOthersNot()
    {
        // 2026-04-01 12:00 UTC. P001 last wore the strap 14.5 days before, P002 13.5 days before;
        // P003 (enrolled 2026-03-09, Oslo) never: since 2026-03-08T23:00Z, 23 days.
        var asOf = new DateTimeOffset(2026, 4, 1, 12, 0, 0, TimeSpan.Zero);
        var lastWear = new Dictionary<string, DateTimeOffset> { ["P001"] = asOf.AddDays(-14.5), ["P002"] = asOf.AddDays(-13.5) };

        var flags = OutcomeSummary.Dropouts(TestRegistry.Example, lastWear, asOf);

        Assert.Equal([("P001", 14, true), ("P003", 23, false)], flags.Select(f => (f.Participant, f.DaysWithoutWear, f.LastValidWear is not null)));
    }

    [Fact]
    public void Dropouts_AfterEnrolmentEnded_AreNotFlagged()
    {
        // P002's enrolment ended 2026-08-30.
        var flags = OutcomeSummary.Dropouts(TestRegistry.Example, new Dictionary<string, DateTimeOffset>(), new DateTimeOffset(2026, 9, 20, 12, 0, 0, TimeSpan.Zero), days: 7);

        Assert.DoesNotContain(flags, f => f.Participant == "P002");
    }

    [Theory]
    [InlineData(ImprovementDirection.Decrease, 0.3, null, 6.0, 4.2, true)]
    [InlineData(ImprovementDirection.Decrease, 0.3, null, 6.0, 4.3, false)]
    [InlineData(ImprovementDirection.Decrease, 0.3, null, 0.0, 0.0, null)]
    [InlineData(ImprovementDirection.Increase, null, 10.0, 40.0, 50.0, true)]
    [InlineData(ImprovementDirection.Increase, null, 10.0, 40.0, 49.0, false)]
    public void Responder_Threshold_IsInclusive(ImprovementDirection direction, double? relative, double? absolute, double baseline, double score, bool? expected)
    {
        Assert.Equal(expected, StudyDataset.IsResponder(new ResponderRule(direction, relative, absolute, "test"), baseline, score));
    }

    [Fact]
    public void TidyTable_Csv_QuotesAndLeavesMissingEmpty()
    {
        var table = new TidyTable("t", "test", [new("name", ColumnType.String, "", ""), new("n", ColumnType.Integer, "", ""), new("x", ColumnType.Float, "", ""), new("d", ColumnType.Date, "", ""), new("ok", ColumnType.Boolean, "", "")]);
        table.Add("a, \"b\"", 3L, 0.1, new DateOnly(2026, 3, 2), true);
        table.Add("c", null, null, null, null);

        Assert.Equal("name,n,x,d,ok\n\"a, \"\"b\"\"\",3,0.1,2026-03-02,true\nc,,,,\n", table.ToCsv());
    }

    [Fact]
    public void TidyTable_ValueOfTheWrongType_IsRefused()
    {
        var table = new TidyTable("t", "test", [new("n", ColumnType.Integer, "", "")]);

        var ex = Assert.Throws<ArgumentException>(() => table.Add(1.5));

        Assert.Contains("t.n: expected Integer", ex.Message, StringComparison.Ordinal);
    }
}
