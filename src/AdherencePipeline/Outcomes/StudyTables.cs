using System.Globalization;
using System.Text;
using AdherencePipeline.Adherence;

namespace AdherencePipeline.Outcomes;

/// <summary>The tidy tables of <c>adherence analysis export</c> and their data dictionary.</summary>
public static class StudyTables
{
    /// <summary>The participant-week table's name.</summary>
    public const string ParticipantWeeksName = "participant_weeks";

    /// <summary>The outcome table's name.</summary>
    public const string OutcomesName = "participant_outcomes";

    /// <summary>The data dictionary's file name (without extension).</summary>
    public const string DictionaryName = "data_dictionary";

    /// <summary>A name usable as an R and pandas column: lower case, '-' and other signs become '_'.</summary>
    public static string ColumnName(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var name = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant())
        {
            name.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        return name.ToString();
    }

    /// <summary>One row per participant-week.</summary>
    public static TidyTable ParticipantWeeks(StudyDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var classes = ExerciseClasses.All.Where(c => c != "rest").ToList();
        List<TidyColumn> columns =
        [
            new("participant", ColumnType.String, "", "pseudonymous participant code"),
            new("arm", ColumnType.String, "", "study arm"),
            new("site", ColumnType.String, "", "study site"),
            new("week", ColumnType.String, "", "ISO week in the participant's time zone, e.g. 2026-W10"),
            new("week_start", ColumnType.Date, "", "Monday of the week (participant-local)"),
            new("week_of_study", ColumnType.Integer, "", "1 for the week holding the enrolment start, then 2, 3, …"),
            new("sessions_done", ColumnType.Integer, "", "sessions with at least one target-zone minute; empty when no adherence was stored for the week"),
            new("sessions_prescribed", ColumnType.Float, "", "sessions prescribed, pro rata for partial weeks; empty as above"),
            new("adherence_pct", ColumnType.Float, "%", "100 × min(1, target_min ÷ prescribed_min); empty without a prescription or stored adherence"),
            new("target_min", ColumnType.Float, "min", "exercise minutes of the prescribed classes at the prescribed zone or above; empty as above"),
            new("prescribed_min", ColumnType.Float, "min", "minutes prescribed; empty as above"),
            new("exercise_min", ColumnType.Float, "min", "minutes of exercise of any class, from the stored weekly adherence; empty as above"),
            .. classes.Select(c => new TidyColumn(ColumnName("min_" + c), ColumnType.Float, "min", $"exercise minutes classified as {c}, summed over the week's sessions")),
            .. StudyDataReader.Zones.Select(z => new TidyColumn(z + "_min", ColumnType.Float, "min", $"exercise minutes at {z} intensity, summed over the week's sessions")),
            new("wear_min", ColumnType.Float, "min", "minutes with a valid heart-rate signal (the strap was worn and in range)"),
            new("pain_reports", ColumnType.Integer, "", "pain reports in the week"),
            new("pain_nrs_mean", ColumnType.Float, "0–10", "mean pain NRS of the week's reports; empty without reports"),
            new("peg_mean", ColumnType.Float, "0–10", "mean PEG score of the week's reports with PEG-3; empty without"),
        ];
        var table = new TidyTable(ParticipantWeeksName, "one row per participant and ISO week of enrolment within the export range", columns);
        foreach (var w in dataset.Weeks)
        {
            var s = w.Stored;
            table.Add(
            [
                w.Participant, w.Arm, w.Site, w.Week, w.WeekStart, (long)w.WeekOfStudy,
                s?.SessionsDone, s?.SessionsPrescribed, s?.AdherencePct, s?.TargetMin, s?.PrescribedMin, s?.ExerciseMin,
                .. classes.Select(c => (object?)w.MinutesByClass[c]),
                .. StudyDataReader.Zones.Select(z => (object?)w.MinutesByZone[z]),
                w.WearMin, (long)w.PainReports, w.PainNrsMean, w.PegMean,
            ]);
        }

        return table;
    }

    /// <summary>One row per participant and scheduled outcome time point, with every instrument's scores and change from baseline.</summary>
    public static TidyTable Outcomes(StudyDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var columns = new List<TidyColumn>
        {
            new("participant", ColumnType.String, "", "pseudonymous participant code"),
            new("arm", ColumnType.String, "", "study arm"),
            new("site", ColumnType.String, "", "study site"),
            new("time_point", ColumnType.String, "", "scheduled time point of the arm's outcome schedule (baseline is the reference)"),
            new("week", ColumnType.Integer, "", "weeks after the enrolment start the time point is scheduled"),
            new("target_date", ColumnType.Date, "", "scheduled date: enrolment start + 7 × week"),
            new("adherence_pct_mean", ColumnType.Float, "%", "mean weekly adherence_pct from the enrolment week to the week before the target date; empty at baseline"),
        };
        foreach (var i in dataset.Instruments)
        {
            var p = ColumnName(i.Id) + "_";
            var scale = i.Total.Transform is { } t ? string.Create(CultureInfo.InvariantCulture, $"transformed to {t.ToMin:0.##}–{t.ToMax:0.##}") : $"{i.Total.Method.ToString().ToLowerInvariant()} of the items";
            columns.Add(new(p + "date", ColumnType.Date, "", $"{i.Name}: participant-local date answered"));
            columns.Add(new(p + "score", ColumnType.Float, "", $"{i.Name}: total score, {scale}; empty when unanswered or too few items answered"));
            columns.Add(new(p + "change", ColumnType.Float, "", $"{i.Name}: score − baseline score"));
            columns.AddRange(i.Subscales.Select(s => new TidyColumn(p + ColumnName(s.Id), ColumnType.Float, "", $"{i.Name}: sub-scale {s.Id}, {s.Method.ToString().ToLowerInvariant()} of {string.Join(", ", s.Items)}")));
            columns.Add(new(p + "responder", ColumnType.Boolean, "", $"{i.Name}: change reaches the responder threshold ({Threshold(i.Responder)}); empty at baseline or when not computable"));
        }

        var table = new TidyTable(OutcomesName, "one row per participant and scheduled outcome time point whose target date lies in the export range", columns);
        foreach (var r in dataset.Outcomes)
        {
            var values = new List<object?> { r.Participant, r.Arm, r.Site, r.TimePoint.Id, (long)r.TimePoint.Week, r.TargetDate, r.AdherencePctMean };
            foreach (var result in r.Results)
            {
                values.Add(result.Record?.LocalDate);
                values.Add(result.Score);
                values.Add(result.Change);
                values.AddRange(result.Instrument.Subscales.Select(s => (object?)result.Record?.Scores.First(x => x.Id == s.Id).Value));
                values.Add(result.Responder);
            }

            table.Add([.. values]);
        }

        return table;
    }

    /// <summary>The data dictionary of the tables, as CSV: table, column, type, unit, description.</summary>
    public static string DictionaryCsv(IEnumerable<TidyTable> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var csv = new StringBuilder("table,column,type,unit,description\n");
        foreach (var row in tables.SelectMany(t => t.DictionaryRows()))
        {
            csv.AppendJoin(',', row.Select(TidyTable.Cell)).Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>The threshold in words, e.g. "a decrease of at least 30 %".</summary>
    public static string Threshold(ResponderRule? rule) => rule switch
    {
        null => "none defined",
        { RelativeChange: { } r } => string.Create(CultureInfo.InvariantCulture, $"{(rule.Direction == ImprovementDirection.Decrease ? "a decrease" : "an increase")} of at least {r * 100:0.#} % of baseline"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(rule.Direction == ImprovementDirection.Decrease ? "a decrease" : "an increase")} of at least {rule.AbsoluteChange:0.##} points"),
    };
}
