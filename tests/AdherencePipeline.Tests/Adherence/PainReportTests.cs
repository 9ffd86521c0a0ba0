using System.Globalization;
using AdherencePipeline.Adherence;
using AdherencePipeline.Storage;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AdherencePipeline.Tests.Adherence;

public sealed class PainReportTests
{
    private static readonly Participant P001 = TestRegistry.Example.Get("P001");
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset InEnrolment = new(2026, 3, 20, 7, 30, 0, TimeSpan.Zero);

    [Property(MaxTest = 500)]
    public void Create_AnyNrs_AcceptedExactlyWhenFromZeroToTen(int nrs)
    {
        if (nrs is >= 0 and <= 10)
        {
            Assert.Equal(nrs, PainReport.Create(P001, nrs, null, PainContext.Daily, InEnrolment).Nrs);
            return;
        }

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => PainReport.Create(P001, nrs, null, PainContext.Daily, InEnrolment));
        Assert.Contains("nrs: expected an integer from 0 to 10", ex.Message, StringComparison.Ordinal);
    }

    [Property(MaxTest = 500)]
    public void Peg3_AnyItems_AcceptedExactlyWhenEachFromZeroToTen(int pain, int enjoyment, int activity)
    {
        var firstBad = (pain, enjoyment, activity) switch
        {
            ( < 0 or > 10, _, _) => "peg_pain",
            (_, < 0 or > 10, _) => "peg_enjoyment",
            (_, _, < 0 or > 10) => "peg_activity",
            _ => null,
        };
        if (firstBad is null)
        {
            var peg = new Peg3(pain, enjoyment, activity);
            Assert.Equal((pain + enjoyment + activity) / 3.0, peg.Score, 12);
            return;
        }

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Peg3(pain, enjoyment, activity));
        Assert.Contains($"{firstBad}: expected an integer from 0 to 10", ex.Message, StringComparison.Ordinal);
    }

    [Property(MaxTest = 300)]
    public void TryParse_AnyNrsText_AcceptedExactlyWhenAnIntegerFromZeroToTen(NonNull<string> text)
    {
        var input = text.Get;
        var inRange = int.TryParse(input.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n is >= 0 and <= 10;

        var report = PainReport.TryParse(TestRegistry.Example, "P001", input, null, null, "2026-03-20T07:30:00Z", Now, out var errors);

        Assert.Equal(inRange, report is not null);
        if (!inRange)
        {
            var error = Assert.Single(errors);
            Assert.Equal("nrs", error.Field);
            Assert.StartsWith("nrs: expected an integer from 0 to 10, found", error.Message, StringComparison.Ordinal);
        }
    }

    [Property(MaxTest = 300, Arbitrary = [typeof(PainReportArbitrary)])]
    public void ToPoint_AnyValidReport_RoundTripsThroughLineProtocol(PainReport report)
    {
        var line = LineProtocol.Format(report.ToPoint());

        var (tags, fields, timestampNs) = ParseLine(line);
        var back = PainReport.FromStored(tags, fields, timestampNs);

        Assert.Equal(report, back);
    }

    [Fact]
    public void ToPoint_ReportWithPeg_WritesTheDocumentedLine()
    {
        var report = PainReport.Create(P001, 4, new Peg3(5, 6, 8), PainContext.Post, new DateTimeOffset(2026, 4, 20, 3, 30, 0, TimeSpan.Zero));

        Assert.Equal(
            "pain_report,arm=exercise,context=post,participant=P001,site=oslo nrs=4i,peg_pain=5i,peg_enjoyment=6i,peg_activity=8i,peg_score=6.333333333333333,local_date=\"2026-04-20\" 1776655800000000000",
            report.ToPoint().ToString());
    }

    [Fact]
    public void Create_NearMidnightAfterMoveWest_LocalDateIsTheParticipants()
    {
        // 02:00 UTC on 20 April is 04:00 in Oslo (still in force) but 22:00 on the 19th in New York.
        var report = PainReport.Create(P001, 3, null, PainContext.Daily, new DateTimeOffset(2026, 4, 20, 2, 0, 0, TimeSpan.Zero));

        Assert.Equal(new DateOnly(2026, 4, 20), report.LocalDate);
    }

    [Fact]
    public void TryParse_EveryFieldWrong_ReportsEachWithItsRange()
    {
        var report = PainReport.TryParse(TestRegistry.Example, "P001", "11", "1,2,x", "later", "yesterday", Now, out var errors);

        Assert.Null(report);
        Assert.Equal(["nrs", "peg_activity", "context", "at"], errors.Select(e => e.Field));
        Assert.Contains("from 0 to 10", errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("pre, post, daily", errors[2].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("P999", "not in it")]
    [InlineData("kari@example.org", "e-mail")]
    public void TryParse_ParticipantNotUsable_NamesTheField(string participant, string phrase)
    {
        PainReport.TryParse(TestRegistry.Example, participant, "3", null, null, null, InEnrolment, out var errors);

        var error = Assert.Single(errors);
        Assert.Equal("participant", error.Field);
        Assert.Contains(phrase, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-03-20T08:30", "2026-03-20T07:30:00Z")] // Oslo, winter time
    [InlineData("2026-05-04T08:30", "2026-05-04T12:30:00Z")] // New York after the move, summer time
    [InlineData("2026-05-04T08:30:00+02:00", "2026-05-04T06:30:00Z")]
    public void TryParse_TimeWithoutOffset_IsTheParticipantsLocalTime(string at, string expected)
    {
        var report = PainReport.TryParse(TestRegistry.Example, "P001", "3", null, "pre", at, Now, out var errors);

        Assert.Empty(errors);
        Assert.Equal(DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture), report!.Time);
    }

    [Theory]
    [InlineData("2026-03-29T02:30", "does not exist")]
    [InlineData("2026-11-01T01:30", "happens twice")]
    [InlineData("2026-01-10T10:00:00Z", "within the enrolment")]
    [InlineData("2026-12-24T10:00:00Z", "no later than now")]
    public void TryParse_TimeNotUsable_SaysWhy(string at, string phrase)
    {
        PainReport.TryParse(TestRegistry.Example, "P001", "3", null, null, at, Now, out var errors);

        var error = Assert.Single(errors);
        Assert.Equal("at", error.Field);
        Assert.Contains(phrase, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_PegWithTwoValues_NamesPegAndItsShape()
    {
        PainReport.TryParse(TestRegistry.Example, "P001", "3", "4,5", null, null, InEnrolment, out var errors);

        var error = Assert.Single(errors);
        Assert.Equal("peg", error.Field);
        Assert.Contains("three integers from 0 to 10", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Splits a line written by <see cref="LineProtocol"/> whose names and values need no escaping.</summary>
    internal static (Dictionary<string, string> Tags, Dictionary<string, FieldValue> Fields, long TimestampNs) ParseLine(string line)
    {
        Assert.DoesNotContain("\\", line, StringComparison.Ordinal);
        var parts = line.Split(' ');
        Assert.Equal(3, parts.Length);
        var series = parts[0].Split(',');
        Assert.Equal(PainReport.Measurement, series[0]);
        var tags = series.Skip(1).Select(t => t.Split('=')).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
        var fields = parts[1].Split(',').Select(f => f.Split('=')).ToDictionary(kv => kv[0], kv => Field(kv[1]), StringComparer.Ordinal);
        return (tags, fields, long.Parse(parts[2], CultureInfo.InvariantCulture));

        static FieldValue Field(string text) =>
            text.StartsWith('"') ? FieldValue.String(text[1..^1])
            : text.EndsWith('i') ? FieldValue.Integer(long.Parse(text[..^1], CultureInfo.InvariantCulture))
            : FieldValue.Float(double.Parse(text, CultureInfo.InvariantCulture));
    }
}

/// <summary>Valid pain reports of the example participants at any instant of their enrolment.</summary>
public static class PainReportArbitrary
{
    public static Arbitrary<PainReport> Reports() =>
        (from participant in Gen.Elements(TestRegistry.Example.Participants.ToArray())
         from nrs in Gen.Choose(0, 10)
         from hasPeg in ArbMap.Default.GeneratorFor<bool>()
         from p in Gen.Choose(0, 10)
         from e in Gen.Choose(0, 10)
         from g in Gen.Choose(0, 10)
         from context in Gen.Elements(PainContext.Pre, PainContext.Post, PainContext.Daily)
         from seconds in Gen.Choose(0, EnrolledSeconds(participant) - 1)
         from ticks in Gen.Choose(0, 9_999_999)
         select PainReport.Create(participant, nrs, hasPeg ? new Peg3(p, e, g) : null, context,
             participant.StartOfDay(participant.EnrolmentStart).AddSeconds(seconds).AddTicks(ticks)))
        .ToArbitrary();

    private static int EnrolledSeconds(Participant p) =>
        (int)((p.EnrolmentEnd is { } end ? p.StartOfDay(end.AddDays(1)) : p.StartOfDay(p.EnrolmentStart.AddDays(200))) - p.StartOfDay(p.EnrolmentStart)).TotalSeconds;
}
