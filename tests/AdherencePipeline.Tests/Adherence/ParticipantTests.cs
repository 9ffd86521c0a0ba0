using AdherencePipeline.Adherence;

namespace AdherencePipeline.Tests.Adherence;

public sealed class ParticipantTests
{
    private static readonly Participant P001 = TestRegistry.Example.Get("P001");
    private static readonly Participant P002 = TestRegistry.Example.Get("P002");
    private static readonly Participant P003 = TestRegistry.Example.Get("P003");

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    private static DateOnly Date(string text) => DateOnly.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("2026-03-29T00:59:00Z", "Europe/Oslo", "2026-03-29T01:59:00+01:00")]
    [InlineData("2026-03-29T01:00:00Z", "Europe/Oslo", "2026-03-29T03:00:00+02:00")]
    [InlineData("2026-04-19T21:59:00Z", "Europe/Oslo", "2026-04-19T23:59:00+02:00")]
    [InlineData("2026-04-19T22:00:00Z", "Europe/Oslo", "2026-04-20T00:00:00+02:00")]
    [InlineData("2026-04-20T03:59:00Z", "Europe/Oslo", "2026-04-20T05:59:00+02:00")]
    [InlineData("2026-04-20T04:00:00Z", "America/New_York", "2026-04-20T00:00:00-04:00")]
    [InlineData("2026-11-01T05:59:00Z", "America/New_York", "2026-11-01T01:59:00-04:00")]
    [InlineData("2026-11-01T06:00:00Z", "America/New_York", "2026-11-01T01:00:00-05:00")]
    public void TimeZoneAt_AcrossDstAndMove_GivesZoneAndLocalTime(string instant, string zone, string local)
    {
        Assert.Equal(zone, P001.TimeZoneAt(Utc(instant)).Id);
        var actual = P001.LocalTime(Utc(instant));
        Assert.Equal(Utc(local), actual);
        Assert.Equal(Utc(local).Offset, actual.Offset);
    }

    [Theory]
    [InlineData("2026-03-29", "2026-03-28T23:00:00Z", 23)]
    [InlineData("2026-04-20", "2026-04-19T22:00:00Z", 30)]
    [InlineData("2026-04-21", "2026-04-21T04:00:00Z", 24)]
    [InlineData("2026-11-01", "2026-11-01T04:00:00Z", 25)]
    public void StartOfDay_DstAndMoveDays_HaveTheirTrueLength(string date, string start, int hours)
    {
        var d = Date(date);

        Assert.Equal(Utc(start), P001.StartOfDay(d));
        Assert.Equal(TimeSpan.FromHours(hours), P001.StartOfDay(d.AddDays(1)) - P001.StartOfDay(d));
    }

    [Fact]
    public void LocalDate_EveryQuarterHourOfEnrolment_LiesInItsDayAndNeverGoesBack()
    {
        var previous = P001.EnrolmentStart;
        for (var t = P001.StartOfDay(P001.EnrolmentStart); t < P001.StartOfDay(P001.EnrolmentEnd!.Value.AddDays(1)); t = t.AddMinutes(15))
        {
            var date = P001.LocalDate(t);
            Assert.True(P001.StartOfDay(date) <= t && t < P001.StartOfDay(date.AddDays(1)), $"{t:O} has local date {date} outside its day");
            Assert.True(date == previous || date == previous.AddDays(1), $"{t:O}: local date went from {previous} to {date}");
            previous = date;
        }

        Assert.Equal(P001.EnrolmentEnd, previous);
    }

    [Theory]
    [InlineData("2026-02-15", null)]
    [InlineData("2026-02-16", 30)]
    [InlineData("2026-04-05", 30)]
    [InlineData("2026-04-06", 40)]
    [InlineData("2026-11-29", 40)]
    public void PrescriptionOn_AroundTheChange_GivesThePrescriptionInForce(string date, int? minutes)
    {
        Assert.Equal(minutes, P001.PrescriptionOn(Date(date))?.MinutesPerSession);
    }

    [Fact]
    public void PrescriptionOn_AfterTheChange_CountsTheAddedClassesButNeverRest()
    {
        var before = P001.PrescriptionOn(Date("2026-04-05"))!;
        var after = P001.PrescriptionOn(Date("2026-04-06"))!;

        Assert.False(before.Counts("stairs"));
        Assert.True(after.Counts("stairs"));
        Assert.False(after.Counts(ExerciseClasses.Rest));
        Assert.Equal(IntensityZone.Moderate, after.TargetZone);
    }

    [Fact]
    public void PrescriptionOn_ArmWithoutPrescription_IsNull() =>
        Assert.Null(P003.PrescriptionOn(Date("2026-06-01")));

    [Fact]
    public void MaxHeartRate_FromAge_IsTanaka()
    {
        Assert.Equal(MaxHeartRateSource.Tanaka, P001.MaxHeartRateSource);
        Assert.Equal(208 - 0.7 * 54, P001.MaxHeartRateBpm, 10);
        Assert.Equal(new AdherencePipeline.Signal.HeartRateReserve(64, 208 - 0.7 * 54), P001.HeartRateReserve);
    }

    [Fact]
    public void MaxHeartRate_MeasuredAndAgeGiven_MeasuredWins()
    {
        Assert.Equal(61, P002.AgeYears);
        Assert.Equal(MaxHeartRateSource.Measured, P002.MaxHeartRateSource);
        Assert.Equal(158, P002.MaxHeartRateBpm);
        Assert.Equal(50, P002.HeartRateReserve.PercentOf(71 + 0.5 * (158 - 71)), 10);
    }

    [Fact]
    public void IntensityZones_BandsInBpm_FollowHeartRateReserve()
    {
        var (from, below) = IntensityZones.BandBpm(IntensityZone.Moderate, P002.HeartRateReserve);

        Assert.Equal(71 + 0.4 * 87, from!.Value, 10);
        Assert.Equal(71 + 0.6 * 87, below!.Value, 10);
        Assert.Equal(IntensityZone.Light, IntensityZones.Of(39.99));
        Assert.Equal(IntensityZone.Moderate, IntensityZones.Of(40));
        Assert.Equal(IntensityZone.Vigorous, IntensityZones.Of(60));
    }

    [Theory]
    [InlineData("a0:9e:1a:00:00:02", "2026-05-31T21:59:00Z", "P002")] // 23:59 in Oslo on P002's last day
    [InlineData("A0:9E:1A:00:00:02", "2026-05-31T22:00:00Z", "P003")] // midnight: the strap has moved on
    [InlineData("A0:9E:1A:00:00:02", "2026-03-01T12:00:00Z", null)] // before P002's enrolment
    [InlineData("A0:9E:1A:00:00:03", "2026-06-01T08:00:00Z", "P002")]
    [InlineData("A0:9E:1A:00:00:01", "2026-06-01T08:00:00Z", "P001")]
    [InlineData("A0:9E:1A:00:00:01", "2026-11-30T05:00:00Z", null)] // after P001's enrolment (00:00 in New York)
    public void FindByDevice_AtAnInstant_GivesTheWearer(string address, string instant, string? participant)
    {
        Assert.Equal(participant, TestRegistry.Example.FindByDevice(address, Utc(instant))?.Participant.Id);
    }

    [Fact]
    public void Find_UnknownId_IsNullAndGetNamesTheRegistry()
    {
        Assert.Null(TestRegistry.Example.Find("P999"));
        var ex = Assert.Throws<KeyNotFoundException>(() => TestRegistry.Example.Get("P999"));
        Assert.Contains("participants.example.json", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("P001", true)]
    [InlineData("OSL-017", true)]
    [InlineData("kari@example.org", false)]
    [InlineData("+47 912 34 567", false)]
    [InlineData("91234567", false)]
    [InlineData("Kari", false)]
    [InlineData("KARI", false)]
    [InlineData("P0000001", false)]
    [InlineData("", false)]
    public void ParticipantCode_Candidates_AcceptOnlyPseudonymousCodes(string code, bool valid)
    {
        Assert.Equal(valid, ParticipantCode.IsValid(code, out var problem));
        Assert.Equal(valid, problem is null);
    }
}
