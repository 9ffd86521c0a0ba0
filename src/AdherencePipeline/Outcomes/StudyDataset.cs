using AdherencePipeline.Adherence;

namespace AdherencePipeline.Outcomes;

/// <summary>One participant-week of the analysis: dose prescribed and done, minutes by class and zone, valid wear, pain.</summary>
/// <param name="Participant">The participant's code.</param>
/// <param name="Arm">Arm.</param>
/// <param name="Site">Site.</param>
/// <param name="Week">ISO week label, in the participant's time zone.</param>
/// <param name="WeekStart">Monday of the week.</param>
/// <param name="WeekOfStudy">1 for the week holding the enrolment start, 2 for the next, …</param>
/// <param name="Stored">The stored weekly adherence point, when there is one.</param>
/// <param name="MinutesByClass">Exercise minutes per activity class, from the week's sessions.</param>
/// <param name="MinutesByZone">Exercise minutes per intensity zone, from the week's sessions.</param>
/// <param name="WearMin">Minutes with a valid heart rate.</param>
/// <param name="PainReports">Pain reports in the week.</param>
/// <param name="PainNrsMean">Mean NRS of those reports.</param>
/// <param name="PegMean">Mean PEG score of the reports with PEG-3.</param>
public sealed record ParticipantWeek(string Participant, string Arm, string Site, string Week, DateOnly WeekStart, int WeekOfStudy, StoredWeek? Stored,
    IReadOnlyDictionary<string, double> MinutesByClass, IReadOnlyDictionary<string, double> MinutesByZone, double WearMin, int PainReports, double? PainNrsMean, double? PegMean);

/// <summary>One instrument's result at a time point, with the change from the participant's baseline.</summary>
/// <param name="Instrument">The instrument.</param>
/// <param name="Record">The stored questionnaire, when answered.</param>
/// <param name="Score">The total score on the instrument's primary scale (0–100 when it defines a transform).</param>
/// <param name="Change">Score minus the baseline score.</param>
/// <param name="Responder">Whether the change reaches the instrument's responder threshold; <c>null</c> when it cannot be judged.</param>
public sealed record InstrumentResult(Instrument Instrument, OutcomeRecord? Record, double? Score, double? Change, bool? Responder);

/// <summary>One participant at one scheduled outcome time point.</summary>
/// <param name="Participant">The participant's code.</param>
/// <param name="Arm">Arm.</param>
/// <param name="Site">Site.</param>
/// <param name="TimePoint">The scheduled time point.</param>
/// <param name="TargetDate">Its target date for this participant.</param>
/// <param name="AdherencePctMean">Mean weekly adherence from enrolment to the target date (weeks with a prescription); <c>null</c> at baseline or without.</param>
/// <param name="Results">One result per instrument of the analysis, in instrument order.</param>
public sealed record OutcomeTimePointRow(string Participant, string Arm, string Site, OutcomeTimePoint TimePoint, DateOnly TargetDate, double? AdherencePctMean,
    IReadOnlyList<InstrumentResult> Results);

/// <summary>
/// The study's data for researchers, cut per participant-week and per participant and outcome time
/// point, in each participant's own days and ISO weeks. <see cref="Build"/> is pure, so the tables
/// can be checked against hand-computed values; <see cref="LoadAsync"/> reads what it needs from InfluxDB.
/// </summary>
public sealed class StudyDataset
{
    private StudyDataset(IReadOnlyList<Instrument> instruments, IReadOnlyList<ParticipantWeek> weeks, IReadOnlyList<OutcomeTimePointRow> outcomes)
    {
        Instruments = instruments;
        Weeks = weeks;
        Outcomes = outcomes;
    }

    /// <summary>The instruments analysed, in order.</summary>
    public IReadOnlyList<Instrument> Instruments { get; }

    /// <summary>Participant-weeks in order of participant (registry order) and week.</summary>
    public IReadOnlyList<ParticipantWeek> Weeks { get; }

    /// <summary>Participant time points in order of participant and week.</summary>
    public IReadOnlyList<OutcomeTimePointRow> Outcomes { get; }

    /// <summary>Reads weeks, sessions, pain, valid wear and questionnaires for local dates from <paramref name="from"/> to <paramref name="to"/> (inclusive) and builds the dataset.</summary>
    public static async Task<StudyDataset> LoadAsync(StudyDataReader reader, ParticipantRegistry registry, IReadOnlyList<Instrument> instruments, DateOnly from, DateOnly to,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(registry);
        // Local dates span UTC ±14 h; a day either side catches every zone. Adherence is read from the
        // earliest enrolment so the mean adherence up to a time point sees every week.
        var earliest = registry.Participants.Count == 0 ? from : registry.Participants.Min(p => p.EnrolmentStart);
        var fromUtc = new DateTimeOffset(from.AddDays(-1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var toUtc = new DateTimeOffset(to.AddDays(2).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var weeksFrom = new DateTimeOffset((earliest < from ? earliest : from).AddDays(-8).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var weeks = await reader.WeeksAsync(weeksFrom, toUtc, cancellationToken).ConfigureAwait(false);
        var sessions = await reader.SessionsAsync(fromUtc.AddDays(-7), toUtc, cancellationToken).ConfigureAwait(false);
        var pain = await reader.PainAsync(fromUtc.AddDays(-7), toUtc, cancellationToken).ConfigureAwait(false);
        var wear = await reader.ValidWearSlotsAsync(fromUtc.AddDays(-7), toUtc, cancellationToken).ConfigureAwait(false);
        var outcomes = await reader.OutcomesAsync(instruments, null, cancellationToken).ConfigureAwait(false);
        return Build(registry, instruments, from, to, weeks, sessions, pain, wear, outcomes);
    }

    /// <summary>Builds the dataset from stored data. Weeks are the ISO weeks that overlap both enrolment and [from, to].</summary>
    public static StudyDataset Build(ParticipantRegistry registry, IReadOnlyList<Instrument> instruments, DateOnly from, DateOnly to,
        IReadOnlyList<StoredWeek> storedWeeks, IReadOnlyList<StoredSession> sessions, IReadOnlyList<StoredPain> pain,
        IReadOnlyList<(string Participant, DateTimeOffset SlotStart, long Seconds)> wearSlots, IReadOnlyList<OutcomeRecord> outcomes)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(instruments);
        ArgumentNullException.ThrowIfNull(storedWeeks);
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(pain);
        ArgumentNullException.ThrowIfNull(wearSlots);
        ArgumentNullException.ThrowIfNull(outcomes);
        var weeks = new List<ParticipantWeek>();
        var rows = new List<OutcomeTimePointRow>();
        foreach (var p in registry.Participants)
        {
            var stored = storedWeeks.Where(w => w.Participant == p.Id).GroupBy(w => w.Week).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
            var first = Monday(Max(from, p.EnrolmentStart));
            var last = p.EnrolmentEnd is { } end && end < to ? end : to;
            var enrolmentMonday = Monday(p.EnrolmentStart);
            for (var monday = first; monday <= last; monday = monday.AddDays(7))
            {
                var sunday = monday.AddDays(6);
                bool InWeek(DateOnly d) => d >= monday && d <= sunday;
                var weekSessions = sessions.Where(s => s.Participant == p.Id && InWeek(s.LocalDate)).ToList();
                var byClass = ExerciseClasses.All.Where(c => c != "rest")
                    .ToDictionary(c => c, c => weekSessions.Sum(s => s.MinutesByClass.GetValueOrDefault(c)), StringComparer.Ordinal);
                var byZone = StudyDataReader.Zones.ToDictionary(z => z, z => weekSessions.Sum(s => s.MinutesByZone.GetValueOrDefault(z)), StringComparer.Ordinal);
                var wearSeconds = wearSlots.Where(w => w.Participant == p.Id && InWeek(p.LocalDate(w.SlotStart))).Sum(w => w.Seconds);
                var reports = pain.Where(r => r.Participant == p.Id && InWeek(r.LocalDate)).ToList();
                var pegs = reports.Where(r => r.PegScore is not null).Select(r => r.PegScore!.Value).ToList();
                var label = AdherenceCalculator.WeekLabel(monday);
                weeks.Add(new ParticipantWeek(p.Id, p.Arm, p.Site, label, monday, (monday.DayNumber - enrolmentMonday.DayNumber) / 7 + 1, stored.GetValueOrDefault(label),
                    byClass, byZone, wearSeconds / 60.0, reports.Count, reports.Count == 0 ? null : reports.Average(r => (double)r.Nrs), pegs.Count == 0 ? null : pegs.Average()));
            }

            var records = outcomes.Where(o => o.Participant == p.Id).ToList();
            foreach (var point in registry.OutcomeSchedule(p.Arm))
            {
                var target = point.TargetDate(p.EnrolmentStart);
                if (target < from || target > to || (p.EnrolmentEnd is { } e && point.WindowStart(p.EnrolmentStart) > e))
                {
                    continue;
                }

                var results = instruments.Select(i => Result(i, records, point)).ToList();
                var prior = stored.Values.Where(w => w.AdherencePct is not null && WeekMonday(w.Week) < target && WeekMonday(w.Week) >= enrolmentMonday).ToList();
                double? adherence = point.Id == OutcomeTimePoint.BaselineId || prior.Count == 0 ? null : prior.Average(w => w.AdherencePct!.Value);
                rows.Add(new OutcomeTimePointRow(p.Id, p.Arm, p.Site, point, target, adherence, results));
            }
        }

        return new StudyDataset(instruments, weeks, rows);
    }

    /// <summary>The score on the instrument's primary scale: transformed to 0–100 when it defines a transform.</summary>
    public static double? PrimaryScore(OutcomeRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Total.Transformed ?? record.Total.Value;
    }

    /// <summary>Whether a change from <paramref name="baseline"/> to <paramref name="score"/> reaches the responder threshold; <c>null</c> without one or when a relative change from a zero baseline is asked for.</summary>
    public static bool? IsResponder(ResponderRule? rule, double baseline, double score)
    {
        if (rule is null)
        {
            return null;
        }

        var improvement = rule.Direction == ImprovementDirection.Decrease ? baseline - score : score - baseline;
        const double tolerance = 1e-9;
        if (rule.RelativeChange is { } relative)
        {
            return baseline <= 0 ? null : improvement / Math.Abs(baseline) >= relative - tolerance;
        }

        return improvement >= rule.AbsoluteChange!.Value - tolerance;
    }

    private static InstrumentResult Result(Instrument instrument, List<OutcomeRecord> records, OutcomeTimePoint point)
    {
        var record = records.FirstOrDefault(r => r.Instrument == instrument.Id && r.TimePoint == point.Id);
        var baseline = records.FirstOrDefault(r => r.Instrument == instrument.Id && r.TimePoint == OutcomeTimePoint.BaselineId);
        var score = record is null ? null : PrimaryScore(record);
        var baseScore = baseline is null ? null : PrimaryScore(baseline);
        double? change = score is { } s && baseScore is { } b ? s - b : null;
        var responder = point.Id != OutcomeTimePoint.BaselineId && score is { } s2 && baseScore is { } b2 ? IsResponder(instrument.Responder, b2, s2) : null;
        return new InstrumentResult(instrument, record, score, change, responder);
    }

    private static DateOnly Monday(DateOnly date) => date.AddDays(-(((int)date.DayOfWeek + 6) % 7));

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;

    private static DateOnly WeekMonday(string label) =>
        DateOnly.FromDateTime(System.Globalization.ISOWeek.ToDateTime(int.Parse(label[..4], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(label[6..], System.Globalization.CultureInfo.InvariantCulture), DayOfWeek.Monday));
}
