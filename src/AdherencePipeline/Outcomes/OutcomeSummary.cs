using System.Globalization;
using System.Text;
using AdherencePipeline.Adherence;
using AdherencePipeline.Charts;

namespace AdherencePipeline.Outcomes;

/// <summary>Mean change from baseline of one instrument at one time point in one arm.</summary>
/// <param name="Arm">The arm.</param>
/// <param name="Instrument">The instrument.</param>
/// <param name="TimePoint">The time point (never baseline).</param>
/// <param name="N">Participants with a score at baseline and at this time point.</param>
/// <param name="MeanChange">Mean of score − baseline; <c>null</c> when n = 0.</param>
/// <param name="CiLow">Lower end of the t-based 95 % confidence interval; <c>null</c> when n &lt; 2.</param>
/// <param name="CiHigh">Upper end of that interval.</param>
/// <param name="Responders">Participants whose change reaches the responder threshold.</param>
/// <param name="Judged">Participants for whom the threshold could be judged (the denominator of the share).</param>
public sealed record ChangeSummary(string Arm, Instrument Instrument, string TimePoint, int N, double? MeanChange, double? CiLow, double? CiHigh, int Responders, int Judged)
{
    /// <summary>Responders ÷ judged, or <c>null</c> when none could be judged.</summary>
    public double? ResponderShare => Judged == 0 ? null : (double)Responders / Judged;
}

/// <summary>A participant with no valid wear for a while: possibly dropped out.</summary>
/// <param name="Participant">The participant's code.</param>
/// <param name="Arm">The arm.</param>
/// <param name="LastValidWear">The last second with a valid heart rate; <c>null</c> when there has never been one.</param>
/// <param name="DaysWithoutWear">Whole days since then (or since the enrolment start).</param>
public sealed record DropoutFlag(string Participant, string Arm, DateTimeOffset? LastValidWear, int DaysWithoutWear);

/// <summary>
/// The researchers' summary: per arm, change from baseline with t-based 95 % confidence intervals and
/// the share of responders, flags for possible drop-out, and the charts (dose–response, sustained
/// adherence, minutes per exercise class and intensity).
/// </summary>
public static class OutcomeSummary
{
    /// <summary>Days without valid wear after which a participant is flagged, unless configured otherwise.</summary>
    public const int DefaultDropoutDays = 14;

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Mean and t-based 95 % confidence interval of values; the interval is <c>null</c> below two values.</summary>
    public static (double? Mean, double? Low, double? High) MeanWithConfidenceInterval(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return (null, null, null);
        }

        var mean = values.Average();
        if (values.Count < 2)
        {
            return (mean, null, null);
        }

        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        var half = StudentT.Quantile(0.975, values.Count - 1) * sd / Math.Sqrt(values.Count);
        return (mean, mean - half, mean + half);
    }

    /// <summary>Change from baseline per arm, instrument and follow-up time point, in registry order of arms and schedule order of time points.</summary>
    public static IReadOnlyList<ChangeSummary> Changes(ParticipantRegistry registry, StudyDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(dataset);
        var list = new List<ChangeSummary>();
        foreach (var arm in registry.Arms)
        {
            foreach (var instrument in dataset.Instruments)
            {
                foreach (var point in registry.OutcomeSchedule(arm).Where(t => t.Id != OutcomeTimePoint.BaselineId && t.Instruments.Contains(instrument.Id)))
                {
                    var results = dataset.Outcomes.Where(r => r.Arm == arm && r.TimePoint.Id == point.Id)
                        .Select(r => r.Results.First(x => x.Instrument.Id == instrument.Id)).Where(x => x.Change is not null).ToList();
                    var (mean, low, high) = MeanWithConfidenceInterval([.. results.Select(r => r.Change!.Value)]);
                    list.Add(new ChangeSummary(arm, instrument, point.Id, results.Count, mean, low, high, results.Count(r => r.Responder == true), results.Count(r => r.Responder is not null)));
                }
            }
        }

        return list;
    }

    /// <summary>
    /// Participants enrolled on their local date at <paramref name="asOf"/> without a valid heart-rate
    /// second for at least <paramref name="days"/> days (counting from the enrolment start when there
    /// has never been one). For the summary and the researcher dashboard.
    /// </summary>
    public static IReadOnlyList<DropoutFlag> Dropouts(ParticipantRegistry registry, IReadOnlyDictionary<string, DateTimeOffset> lastValidWear, DateTimeOffset asOf, int days = DefaultDropoutDays)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(lastValidWear);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(days);
        var flags = new List<DropoutFlag>();
        foreach (var p in registry.Participants)
        {
            if (!p.IsEnrolledOn(p.LocalDate(asOf)))
            {
                continue;
            }

            DateTimeOffset? last = lastValidWear.TryGetValue(p.Id, out var t) ? t : null;
            var since = last ?? p.StartOfDay(p.EnrolmentStart);
            var without = (int)Math.Floor((asOf - since).TotalDays);
            if (without >= days)
            {
                flags.Add(new DropoutFlag(p.Id, p.Arm, last, without));
            }
        }

        return flags;
    }

    /// <summary>The summary as text: participants per arm, change tables, responders and drop-out flags.</summary>
    public static string ToText(ParticipantRegistry registry, StudyDataset dataset, IReadOnlyList<ChangeSummary> changes, IReadOnlyList<DropoutFlag> dropouts, int dropoutDays)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(dropouts);
        var text = new StringBuilder();
        foreach (var arm in registry.Arms)
        {
            var weeks = dataset.Weeks.Where(w => w.Arm == arm).ToList();
            var adherence = weeks.Where(w => w.Stored?.AdherencePct is not null).Select(w => w.Stored!.AdherencePct!.Value).ToList();
            text.Append(C, $"Arm {arm}: n = {registry.Participants.Count(p => p.Arm == arm)} participants, {weeks.Count} participant-weeks");
            text.Append(adherence.Count == 0 ? ", no weekly adherence stored\n" : string.Create(C, $", mean weekly adherence {adherence.Average():0.0} % over {adherence.Count} weeks with a prescription\n"));
            foreach (var c in changes.Where(c => c.Arm == arm))
            {
                var scale = c.Instrument.Total.Transform is null ? "" : " (0–100)";
                text.Append(C, $"  {c.Instrument.Id,-8} {c.TimePoint,-10} n = {c.N,-3} mean change{scale} ");
                text.Append(c.MeanChange is { } m ? string.Create(C, $"{m:+0.00;-0.00;0.00}") : "–");
                text.Append(c.CiLow is { } lo && c.CiHigh is { } hi ? string.Create(C, $" (95 % CI {lo:0.00} to {hi:0.00})") : " (95 % CI –)");
                text.Append(c.ResponderShare is { } share
                    ? string.Create(C, $", responders {c.Responders}/{c.Judged} = {share * 100:0} % ({StudyTables.Threshold(c.Instrument.Responder)})\n")
                    : "\n");
            }
        }

        text.Append(C, $"Possibly dropped out (no valid wear for {dropoutDays} days or more): ");
        text.Append(dropouts.Count == 0 ? "none\n" : string.Join(", ", dropouts.Select(d => string.Create(C, $"{d.Participant} ({d.Arm}, {d.DaysWithoutWear} days)"))) + "\n");
        return text.ToString();
    }

    /// <summary>Change from baseline against mean adherence up to that time point, one point per participant and follow-up, coloured by arm.</summary>
    public static string DoseResponseSvg(ParticipantRegistry registry, StudyDataset dataset, Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(instrument);
        var points = dataset.Outcomes
            .Select(r => (r.Arm, r.Participant, r.TimePoint.Id, X: r.AdherencePctMean, Y: r.Results.First(x => x.Instrument.Id == instrument.Id).Change))
            .Where(p => p.X is not null && p.Y is not null).ToList();
        const int width = 640, height = 360, left = 60, right = 20, top = 30, bottom = 50;
        var maxAbs = Math.Max(1, points.Count == 0 ? 1 : points.Max(p => Math.Abs(p.Y!.Value)));
        double X(double pct) => left + (width - left - right) * Math.Min(pct, 120) / 120;
        double Y(double change) => top + (height - top - bottom) * (1 - (change + maxAbs) / (2 * maxAbs));
        var chart = new SvgChart(width, height, $"Dose–response: change in {instrument.Name} against mean adherence");
        chart.Line(left, Y(0), width - right, Y(0), "#555555", dashed: true).Line(left, top, left, height - bottom, "#333333").Line(left, height - bottom, width - right, height - bottom, "#333333");
        foreach (var pct in new[] { 0, 40, 80, 120 })
        {
            chart.Text(X(pct), height - bottom + 16, string.Create(C, $"{pct} %"), "middle");
        }

        chart.Text(left - 6, Y(maxAbs) + 4, string.Create(C, $"{maxAbs:+0.#}"), "end").Text(left - 6, Y(-maxAbs) + 4, string.Create(C, $"{-maxAbs:0.#}"), "end").Text(left - 6, Y(0) + 4, "0", "end");
        chart.Text(width / 2, height - 12, "mean weekly adherence up to the time point (%)", "middle");
        chart.Text(left, top - 10, $"change from baseline, {instrument.Id}{(instrument.Total.Transform is null ? "" : " (0–100)")}");
        Legend(chart, registry.Arms, width - right);
        foreach (var p in points)
        {
            chart.Circle(X(p.X!.Value), Y(p.Y!.Value), 5, ArmColour(registry, p.Arm), string.Create(C, $"{p.Participant} {p.Id}: adherence {p.X:0} %, change {p.Y:+0.##;-0.##;0}"));
        }

        return chart.ToString();
    }

    /// <summary>Mean weekly adherence by week since enrolment, one line per arm: is adherence sustained?</summary>
    public static string WeeklyAdherenceSvg(ParticipantRegistry registry, StudyDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(dataset);
        const int width = 640, height = 320, left = 50, right = 20, top = 30, bottom = 50;
        var maxWeek = Math.Max(1, dataset.Weeks.Count == 0 ? 1 : dataset.Weeks.Max(w => w.WeekOfStudy));
        double X(double week) => left + (width - left - right) * (maxWeek == 1 ? 0.5 : (week - 1) / (maxWeek - 1));
        double Y(double pct) => top + (height - top - bottom) * (1 - Math.Min(pct, 120) / 120);
        var chart = new SvgChart(width, height, "Mean weekly adherence by week since enrolment, per arm");
        foreach (var (pct, name, dashed) in new[] { (100.0, "prescribed", false), (80.0, "80 %", true) })
        {
            chart.Line(left, Y(pct), width - right, Y(pct), "#555555", dashed).Text(left - 4, Y(pct) + 4, name, "end");
        }

        chart.Line(left, Y(0), width - right, Y(0), "#333333").Text(width / 2, height - 12, "week since enrolment", "middle");
        for (var week = 1; week <= maxWeek; week++)
        {
            chart.Text(X(week), height - bottom + 16, week.ToString(C), "middle");
        }

        Legend(chart, registry.Arms, width - right);
        foreach (var arm in registry.Arms)
        {
            var line = new List<(double, double)>();
            foreach (var g in dataset.Weeks.Where(w => w.Arm == arm && w.Stored?.AdherencePct is not null).GroupBy(w => w.WeekOfStudy).OrderBy(g => g.Key))
            {
                var mean = g.Average(w => w.Stored!.AdherencePct!.Value);
                line.Add((X(g.Key), Y(mean)));
                chart.Circle(X(g.Key), Y(mean), 4, ArmColour(registry, arm), string.Create(C, $"{arm}, week {g.Key}: mean {mean:0} % (n = {g.Count()})"));
            }

            chart.Polyline(line, ArmColour(registry, arm));
        }

        return chart.ToString();
    }

    /// <summary>Mean minutes per participant-week by exercise class and by intensity zone, bars grouped by arm.</summary>
    public static string MinutesSvg(ParticipantRegistry registry, StudyDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(dataset);
        var categories = ExerciseClasses.All.Where(c => c != "rest").Select(c => (Name: c, Zone: false))
            .Concat(StudyDataReader.Zones.Select(z => (Name: z, Zone: true))).ToList();
        var means = new Dictionary<(string Arm, string Category), double>();
        foreach (var arm in registry.Arms)
        {
            var weeks = dataset.Weeks.Where(w => w.Arm == arm).ToList();
            foreach (var (name, zone) in categories)
            {
                means[(arm, name)] = weeks.Count == 0 ? 0 : weeks.Average(w => zone ? w.MinutesByZone[name] : w.MinutesByClass[name]);
            }
        }

        const int width = 760, height = 360, left = 50, right = 20, top = 30, bottom = 80;
        var max = Math.Max(1, means.Count == 0 ? 1 : means.Values.Max());
        var slot = (width - left - right) / (double)categories.Count;
        var bar = slot * 0.8 / Math.Max(1, registry.Arms.Count);
        double Y(double minutes) => top + (height - top - bottom) * (1 - minutes / max);
        var chart = new SvgChart(width, height, "Mean minutes per participant-week by exercise class and intensity zone, per arm");
        chart.Line(left, Y(0), width - right, Y(0), "#333333").Text(left - 4, Y(max) + 4, string.Create(C, $"{max:0.#}"), "end").Text(left - 4, Y(0) + 4, "0", "end");
        chart.Text(left, top - 10, "minutes per participant-week (classes, then zones)");
        Legend(chart, registry.Arms, width - right);
        for (var i = 0; i < categories.Count; i++)
        {
            var x = left + i * slot + slot * 0.1;
            for (var a = 0; a < registry.Arms.Count; a++)
            {
                var value = means[(registry.Arms[a], categories[i].Name)];
                chart.Rect(x + a * bar, Y(value), bar, Y(0) - Y(value), ArmColour(registry, registry.Arms[a]), string.Create(C, $"{registry.Arms[a]}, {categories[i].Name}: {value:0.0} min"));
            }

            chart.Text(left + i * slot + slot / 2, height - bottom + 16 + (i % 2) * 14, categories[i].Name, "middle");
        }

        return chart.ToString();
    }

    private static string ArmColour(ParticipantRegistry registry, string arm) =>
        SvgChart.Palette[Math.Max(0, registry.Arms.ToList().IndexOf(arm)) % SvgChart.Palette.Count];

    private static void Legend(SvgChart chart, IReadOnlyList<string> arms, double rightEdge)
    {
        for (var a = 0; a < arms.Count; a++)
        {
            chart.Rect(rightEdge - 110, 8 + a * 14, 10, 10, SvgChart.Palette[a % SvgChart.Palette.Count]).Text(rightEdge - 96, 17 + a * 14, arms[a]);
        }
    }
}
