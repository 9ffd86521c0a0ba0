using System.Diagnostics;
using System.Globalization;
using AdherencePipeline.Storage;
using AdherencePipeline.Testing;

namespace AdherencePipeline.Service.Tests.Commands;

/// <summary>
/// A small cohort end to end: a real chest recording replayed for two exercise participants in
/// different weeks, pain reports and questionnaires entered by staff, then the tidy tables, the
/// summary and the charts, checked against values worked out by hand (or, for what the pipeline
/// measured, against the points it stored).
/// </summary>
public sealed class OutcomesAnalysisTests : IClassFixture<InfluxServerFixture>, IDisposable
{
    // Enrolled on Monday 2026-03-02 (ISO week 10); week4 is due 2026-03-30.
    private const string Registry = """
        {
          "arms": ["exercise", "usual_care"],
          "sites": ["oslo"],
          "outcomeSchedules": {
            "exercise": [
              { "id": "baseline", "week": 0, "windowBeforeDays": 7, "windowAfterDays": 3, "instruments": ["peg-3", "who-5"] },
              { "id": "week4", "week": 4, "windowBeforeDays": 3, "windowAfterDays": 7, "instruments": ["peg-3", "who-5"] }
            ],
            "usual_care": [
              { "id": "baseline", "week": 0, "windowBeforeDays": 7, "windowAfterDays": 3, "instruments": ["peg-3", "who-5"] },
              { "id": "week4", "week": 4, "windowBeforeDays": 3, "windowAfterDays": 7, "instruments": ["peg-3", "who-5"] }
            ]
          },
          "participants": [
            { "id": "E01", "arm": "exercise", "site": "oslo", "enrolment": { "start": "2026-03-02", "end": "2026-05-31" },
              "timeZones": [{ "from": "2026-03-02", "zone": "Europe/Oslo" }], "ageYears": 61, "maxHeartRateBpm": 158, "restingHeartRateBpm": 71,
              "prescriptions": [{ "from": "2026-03-02", "sessionsPerWeek": 2, "minutesPerSession": 45, "targetZone": "moderate", "countingClasses": ["walking", "stepper", "cross_trainer", "rowing"] }] },
            { "id": "E02", "arm": "exercise", "site": "oslo", "enrolment": { "start": "2026-03-02", "end": "2026-05-31" },
              "timeZones": [{ "from": "2026-03-02", "zone": "Europe/Oslo" }], "ageYears": 61, "maxHeartRateBpm": 158, "restingHeartRateBpm": 71,
              "prescriptions": [{ "from": "2026-03-02", "sessionsPerWeek": 2, "minutesPerSession": 45, "targetZone": "moderate", "countingClasses": ["walking", "stepper", "cross_trainer", "rowing"] }] },
            { "id": "U01", "arm": "usual_care", "site": "oslo", "enrolment": { "start": "2026-03-02", "end": "2026-05-31" },
              "timeZones": [{ "from": "2026-03-02", "zone": "Europe/Oslo" }], "ageYears": 50, "restingHeartRateBpm": 65, "prescriptions": [] }
          ]
        }
        """;

    private readonly InfluxServer _server;
    private readonly string _folder = Directory.CreateTempSubdirectory("outcomes-cli-").FullName;

    public OutcomesAnalysisTests(InfluxServerFixture fixture) => _server = fixture.Server;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Repository { get; } = RepositoryRoot.Path;

    [Fact]
    public async Task Cohort_ReplayedAndEntered_GivesTheExpectedTablesSummaryAndCharts()
    {
        var registry = Path.Combine(_folder, "participants.json");
        await File.WriteAllTextAsync(registry, Registry);
        var config = Path.Combine(_folder, "config.json");
        var spool = Path.Combine(_folder, "spool");
        await File.WriteAllTextAsync(config, $$"""{ "Influx": { "Writer": { "SpoolDirectory": "{{spool.Replace("\\", "\\\\", StringComparison.Ordinal)}}" } } }""");
        var database = InfluxServer.NewDatabaseName("cohort");
        string[] influx = ["--url", _server.Url.ToString(), "--database", database];
        string[] withRegistry = ["--registry", registry, .. influx];

        var demo = Path.Combine(Repository, "data", "demo", "hexoskin-subject001-excerpt.acc.csv.gz");
        foreach (var (participant, start) in new[] { ("E01", "2026-03-04T17:00:00Z"), ("E02", "2026-03-11T17:00:00Z") })
        {
            var replay = await CliRunner.RunAsync(["replay", "--recording", demo, "--participant", participant, "--start", start, "--create-database", "--config", config, .. withRegistry]);
            Assert.True(replay.ExitCode == 0, replay.Error);
        }

        // Pain in week 10 for E01: NRS 4 and 6 (mean 5), one PEG-3 5/6/7 (score 6).
        await Run(["pain", "add", "--participant", "E01", "--nrs", "4", "--peg", "5,6,7", "--context", "pre", "--at", "2026-03-04T16:50:00Z", .. withRegistry]);
        await Run(["pain", "add", "--participant", "E01", "--nrs", "6", "--at", "2026-03-05T08:00:00Z", .. withRegistry]);

        // Questionnaires. PEG-3 is the mean of three items, WHO-5 the sum of five × 4.
        //   E01 PEG 6 → 4 (−2, −33 %: responder); WHO-5 40 → 60 (+20: responder)
        //   E02 PEG 7 → 6 (−1, −14 %: not);       WHO-5 60 → missing (one item unanswered)
        //   U01 PEG 5 → 5 (0: not);               WHO-5 only at baseline, 48
        (string Participant, string TimePoint, string Instrument, string Answers)[] entries =
        [
            ("E01", "baseline", "peg-3", "pain=6,enjoyment=6,activity=6"), ("E01", "week4", "peg-3", "pain=3,enjoyment=4,activity=5"),
            ("E01", "baseline", "who-5", "cheerful=2,calm=2,active=2,rested=2,interest=2"), ("E01", "week4", "who-5", "cheerful=3,calm=3,active=3,rested=3,interest=3"),
            ("E02", "baseline", "peg-3", "pain=8,enjoyment=7,activity=6"), ("E02", "week4", "peg-3", "pain=6,enjoyment=6,activity=6"),
            ("E02", "baseline", "who-5", "cheerful=1,calm=2,active=3,rested=4,interest=5"), ("E02", "week4", "who-5", "cheerful=1,calm=2,active=3,rested=4,interest=-"),
            ("U01", "baseline", "peg-3", "pain=5,enjoyment=5,activity=5"), ("U01", "week4", "peg-3", "pain=5,enjoyment=4,activity=6"),
            ("U01", "baseline", "who-5", "cheerful=2,calm=3,active=2,rested=2,interest=3"),
        ];
        foreach (var e in entries)
        {
            var at = e.TimePoint == "baseline" ? "2026-03-02T09:00:00Z" : "2026-03-30T09:00:00Z";
            await Run(["outcomes", "add", "--participant", e.Participant, "--time-point", e.TimePoint, "--instrument", e.Instrument, "--answers", e.Answers, "--at", at, .. withRegistry]);
        }

        var due = await Run(["outcomes", "due", "--date", "2026-03-31", .. withRegistry]);
        Assert.Equal(["U01      usual_care   week4      due      target 2026-03-30, window 2026-03-27 to 2026-04-06, missing who-5"], Lines(due));

        var rejected = await CliRunner.RunAsync(["outcomes", "add", "--participant", "E01", "--time-point", "week4", "--instrument", "peg-3", "--answers", "pain=11,enjoyment=4,activity=5", .. withRegistry]);
        Assert.Equal(1, rejected.ExitCode);
        Assert.Contains("peg-3.pain: expected an integer from 0 to 10, found 11", rejected.Error, StringComparison.Ordinal);

        // The tidy tables.
        var outDir = Path.Combine(_folder, "export");
        await Run(["analysis", "export", "--from", "2026-03-02", "--to", "2026-04-05", "--out", outDir, .. withRegistry]);
        var weeks = ReadCsv(Path.Combine(outDir, "participant_weeks.csv"));
        Assert.Equal(15, weeks.Count); // 3 participants × ISO weeks 10–14
        var e01w10 = weeks.Single(r => r["participant"] == "E01" && r["week"] == "2026-W10");
        var session = await SingleSessionAsync(database, "E01");
        Assert.Equal("1", e01w10["sessions_done"]);
        Assert.Equal("2", e01w10["sessions_prescribed"]);
        Assert.Equal(session.GetDouble("moderate_min"), double.Parse(e01w10["moderate_min"], CultureInfo.InvariantCulture), 9);
        Assert.Equal(session.GetDouble("vigorous_min"), double.Parse(e01w10["vigorous_min"], CultureInfo.InvariantCulture), 9);
        Assert.Equal(session.GetDouble("min_walking"), double.Parse(e01w10["min_walking"], CultureInfo.InvariantCulture), 9);
        Assert.Equal(100 * Math.Min(1, session.GetDouble("target_min") / 90), double.Parse(e01w10["adherence_pct"], CultureInfo.InvariantCulture), 6);
        Assert.InRange(double.Parse(e01w10["wear_min"], CultureInfo.InvariantCulture), 13, 14.4); // the 14-minute excerpt, nearly all with a valid heart rate
        Assert.Equal(("2", "5", "6"), (e01w10["pain_reports"], e01w10["pain_nrs_mean"], e01w10["peg_mean"]));
        Assert.Equal(("1", "2026-03-02"), (e01w10["week_of_study"], e01w10["week_start"]));
        var e01w11 = weeks.Single(r => r["participant"] == "E01" && r["week"] == "2026-W11");
        Assert.Equal(("", "0", "0", ""), (e01w11["sessions_done"], e01w11["wear_min"], e01w11["pain_reports"], e01w11["pain_nrs_mean"]));
        Assert.Equal("1", weeks.Single(r => r["participant"] == "E02" && r["week"] == "2026-W11")["sessions_done"]);

        var outcomes = ReadCsv(Path.Combine(outDir, "participant_outcomes.csv"));
        Assert.Equal(6, outcomes.Count);
        var e01 = outcomes.Single(r => r["participant"] == "E01" && r["time_point"] == "week4");
        Assert.Equal(("4", "-2", "true"), (e01["peg_3_score"], e01["peg_3_change"], e01["peg_3_responder"]));
        Assert.Equal(("60", "20", "true", "2026-03-30"), (e01["who_5_score"], e01["who_5_change"], e01["who_5_responder"], e01["who_5_date"]));
        Assert.Equal(e01w10["adherence_pct"], e01["adherence_pct_mean"]); // the only week with stored adherence before week 4
        var e02 = outcomes.Single(r => r["participant"] == "E02" && r["time_point"] == "week4");
        Assert.Equal(("6", "-1", "false"), (e02["peg_3_score"], e02["peg_3_change"], e02["peg_3_responder"]));
        Assert.Equal(("", "", ""), (e02["who_5_score"], e02["who_5_change"], e02["who_5_responder"]));
        var u01 = outcomes.Single(r => r["participant"] == "U01" && r["time_point"] == "baseline");
        Assert.Equal(("5", "0", "", "48"), (u01["peg_3_score"], u01["peg_3_change"], u01["peg_3_responder"], u01["who_5_score"]));
        Assert.Equal("", u01["adherence_pct_mean"]);

        await AssertPandasReadsWithDeclaredTypes(outDir);

        // Parquet carries the same rows; read back only where pyarrow exists.
        var parquetDir = Path.Combine(_folder, "parquet");
        await Run(["analysis", "export", "--from", "2026-03-02", "--to", "2026-04-05", "--out", parquetDir, "--format", "parquet", .. withRegistry]);
        await AssertParquetHoldsTheOutcomes(Path.Combine(parquetDir, "participant_outcomes.parquet"));
        if (await PythonAsync("import pyarrow") == 0)
        {
            Assert.Equal(0, await PythonAsync($"""
                import pandas as pd
                w = pd.read_parquet(r'{parquetDir}/participant_weeks.parquet'); o = pd.read_parquet(r'{parquetDir}/participant_outcomes.parquet')
                assert len(w) == 15 and len(o) == 6, (len(w), len(o))
                r = o[(o.participant == 'E01') & (o.time_point == 'week4')].iloc[0]
                assert r.peg_3_change == -2 and bool(r.who_5_responder), r
                """));
        }

        // The summary: exercise PEG-3 at week 4, changes −2 and −1: mean −1.5, SD √0.5, t(0.975, 1) = 12.7062,
        // half-width 12.7062 × √0.5 / √2 = 6.3531. WHO-5: only E01 (+20). Drop-out judged on 2026-04-06 with 30 days:
        // E01 last worn 2026-03-04 (32 days), U01 never since enrolment began at Oslo midnight, 2026-03-01T23:00Z (35 days); E02 (2026-03-11) not.
        var plots = Path.Combine(_folder, "plots");
        var summary = await Run(["analysis", "summary", "--from", "2026-03-02", "--to", "2026-04-05", "--dropout-days", "30", "--plot", plots, .. withRegistry]);
        Assert.Contains("Arm exercise: n = 2 participants, 10 participant-weeks", summary, StringComparison.Ordinal);
        Assert.Contains("peg-3    week4      n = 2   mean change -1.50 (95 % CI -7.85 to 4.85), responders 1/2 = 50 % (a decrease of at least 30 % of baseline)", summary, StringComparison.Ordinal);
        Assert.Contains("who-5    week4      n = 1   mean change (0–100) +20.00 (95 % CI –), responders 1/1 = 100 %", summary, StringComparison.Ordinal);
        Assert.Contains("peg-3    week4      n = 1   mean change 0.00 (95 % CI –), responders 0/1 = 0 %", summary, StringComparison.Ordinal);
        Assert.Contains("Possibly dropped out (no valid wear for 30 days or more): E01 (exercise, 32 days), U01 (usual_care, 35 days)", summary, StringComparison.Ordinal);
        var doseResponse = System.Xml.Linq.XDocument.Load(Path.Combine(plots, "dose-response-peg-3.svg"));
        var points = doseResponse.Descendants().Where(e => e.Name.LocalName == "circle").Select(e => (string?)e.Element(e.Name.Namespace + "title")).ToList();
        Assert.Equal(2, points.Count);
        Assert.Contains(points, t => t!.StartsWith("E01 week4: adherence", StringComparison.Ordinal) && t.EndsWith("change -2", StringComparison.Ordinal));
        var weekly = System.Xml.Linq.XDocument.Load(Path.Combine(plots, "weekly-adherence.svg"));
        Assert.Contains(weekly.Descendants(), e => e.Name.LocalName == "title" && e.Value.StartsWith("exercise, week 2: mean", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(plots, "minutes-by-class-and-zone.svg")));
    }

    private static async Task<string> Run(string[] args)
    {
        var (exit, output, error) = await CliRunner.RunAsync(args);
        Assert.True(exit == 0, $"{string.Join(' ', args.Take(2))}: {error}");
        return output;
    }

    private async Task<InfluxRow> SingleSessionAsync(string database, string participant)
    {
        using var http = new HttpClient();
        var query = new InfluxQueryClient(http, new InfluxConnectionOptions { Url = _server.Url, Database = database });
        var series = await query.QueryAsync("SELECT * FROM \"session\" WHERE \"participant\" = $p", new Dictionary<string, object?> { ["p"] = participant });
        return Assert.Single(Assert.Single(series).Rows);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static List<Dictionary<string, string>> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return [.. lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal))];
    }

    private static async Task AssertParquetHoldsTheOutcomes(string path)
    {
        await using var parquet = await Parquet.ParquetReader.CreateAsync(path, new Parquet.ParquetOptions { UseDateOnlyTypeForDates = true }, CancellationToken.None);
        var fields = parquet.Schema.GetDataFields();
        using var group = parquet.OpenRowGroupReader(0);
        var n = (int)group.RowCount;
        Assert.Equal(6, n);
        var participants = new string[n];
        var timePoints = new string[n];
        var pegChange = new double?[n];
        var whoResponder = new bool?[n];
        var targets = new DateOnly?[n];
        await group.ReadAsync(fields.Single(f => f.Name == "participant"), participants, null, CancellationToken.None);
        await group.ReadAsync(fields.Single(f => f.Name == "time_point"), timePoints, null, CancellationToken.None);
        await group.ReadAsync<double>(fields.Single(f => f.Name == "peg_3_change"), pegChange, null, CancellationToken.None);
        await group.ReadAsync<bool>(fields.Single(f => f.Name == "who_5_responder"), whoResponder, null, CancellationToken.None);
        await group.ReadAsync<DateOnly>(fields.Single(f => f.Name == "target_date"), targets, null, CancellationToken.None);
        var e01 = Array.FindIndex(participants, p => p == "E01") + 1;
        Assert.Equal(("E01", "week4", -2.0, true, new DateOnly(2026, 3, 30)), (participants[e01], timePoints[e01], pegChange[e01], whoResponder[e01], targets[e01]));
        var e02 = Array.FindIndex(participants, p => p == "E02") + 1;
        Assert.Equal(("E02", "week4", (bool?)null), (participants[e02], timePoints[e02], whoResponder[e02]));
    }

    private static async Task AssertPandasReadsWithDeclaredTypes(string folder)
    {
        // The data dictionary declares each column's type; pandas must read every column as declared.
        var script = $$"""
            import pandas as pd
            d = pd.read_csv(r'{{folder}}/data_dictionary.csv', dtype=str, keep_default_na=False)
            kinds = {'string': 'string', 'integer': 'Int64', 'float': 'float64', 'boolean': 'boolean'}
            for table in ['participant_weeks', 'participant_outcomes']:
                cols = d[d.table == table]
                dtype = {r.column: kinds[r.type] for r in cols.itertuples() if r.type != 'date'}
                dates = [r.column for r in cols.itertuples() if r.type == 'date']
                t = pd.read_csv(r'{{folder}}/' + table + '.csv', dtype=dtype, parse_dates=dates)
                assert list(t.columns) == list(cols.column), table
                for r in cols.itertuples():
                    got = str(t[r.column].dtype)
                    want = 'datetime64[ns]' if r.type == 'date' else kinds[r.type]
                    assert got == want or (r.type == 'date' and got.startswith('datetime64')), (table, r.column, got, want)
            w = pd.read_csv(r'{{folder}}/participant_weeks.csv', dtype={'sessions_done': 'Int64'})
            assert w.loc[(w.participant == 'E01') & (w.week == '2026-W10'), 'pain_nrs_mean'].item() == 5.0
            """;
        Assert.Equal(0, await PythonAsync(script));
    }

    private static async Task<int> PythonAsync(string script)
    {
        // The Debian interpreter, which has the python3-pandas that scripts/test.sh installs, even when another python3 comes first on PATH.
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        using var process = Process.Start(new ProcessStartInfo(python, ["-c", script]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0 || script.StartsWith("import pyarrow", StringComparison.Ordinal), error);
        return process.ExitCode;
    }
}
