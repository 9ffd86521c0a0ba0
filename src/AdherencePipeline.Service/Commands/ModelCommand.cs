using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AdherencePipeline.Activity;
using AdherencePipeline.Recordings;

namespace AdherencePipeline.Service.Commands;

/// <summary>
/// <c>adherence model train|evaluate|cv</c>: train the activity model on labelled recordings, score a
/// model on other recordings, and cross-validate leave-one-subject-out, all with the library's
/// window and feature code.
/// </summary>
internal static class ModelCommand
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public enum Exit
    {
        Ok = 0,
        BadInput = 1,
        BadModel = 3,
    }

    public static Command Create()
    {
        var command = new Command("model", "Train, evaluate and cross-validate the activity classifier.");
        command.Subcommands.Add(CreateTrain());
        command.Subcommands.Add(CreateEvaluate());
        command.Subcommands.Add(CreateCrossValidate());
        return command;
    }

    private static Option<string[]> DataOption() => new("--data")
    {
        Description = "Labelled recordings: files or folders of daily-sports-torso or chest-accel-casale (the subject id comes from the file name).",
        Required = true,
        AllowMultipleArgumentsPerToken = true,
        Arity = ArgumentArity.OneOrMore,
    };

    private static Option<bool> LabelsAsPublishedOption() => new("--labels-as-published")
    {
        Description = "Use every label as published. By default the labels of chest-accel-casale, which run ahead of the movement, are moved onto it (one shift per recording, fitted from its labels and movement).",
    };

    private sealed class TrainerOptions
    {
        public Option<string> Trainer { get; } = new("--trainer") { Description = "lightgbm (default) or fasttree.", DefaultValueFactory = _ => "lightgbm" };

        public Option<int?> Iterations { get; } = new("--iterations") { Description = "Boosting rounds (default 200)." };

        public Option<int?> Leaves { get; } = new("--leaves") { Description = "Leaves per tree (default 16)." };

        public Option<double?> LearningRate { get; } = new("--learning-rate") { Description = "Learning rate (default 0.08)." };

        public Option<string[]> SourceWeights { get; } = new("--source-weight")
        {
            Description = "Training weight of one data source's windows, as SOURCE=WEIGHT (e.g. chest-accel-casale=0.1); repeatable; others count 1.",
            AllowMultipleArgumentsPerToken = true,
        };

        public void AddTo(Command command)
        {
            command.Options.Add(Trainer);
            command.Options.Add(Iterations);
            command.Options.Add(Leaves);
            command.Options.Add(LearningRate);
            command.Options.Add(SourceWeights);
        }

        public ActivityTrainerOptions Bind(ParseResult parseResult)
        {
            var defaults = new ActivityTrainerOptions();
            var options = defaults with
            {
                Trainer = parseResult.GetValue(Trainer)!,
                Iterations = parseResult.GetValue(Iterations) ?? defaults.Iterations,
                Leaves = parseResult.GetValue(Leaves) ?? defaults.Leaves,
                LearningRate = parseResult.GetValue(LearningRate) ?? defaults.LearningRate,
                SourceWeights = ParseWeights(parseResult.GetValue(SourceWeights) ?? []),
            };
            options.Validate();
            return options;
        }

        private static Dictionary<string, double> ParseWeights(string[] values)
        {
            var weights = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var value in values)
            {
                var parts = value.Split('=', 2);
                if (parts.Length != 2 || parts[0].Length == 0 || !double.TryParse(parts[1], NumberStyles.Float, C, out var weight))
                {
                    throw new ArgumentException($"--source-weight '{value}' is not SOURCE=WEIGHT.");
                }

                weights[parts[0]] = weight;
            }

            return weights;
        }
    }

    private static Command CreateTrain()
    {
        var data = DataOption();
        var output = new Option<string>("--out") { Description = "Model file to write (the card goes beside it as NAME.card.json).", Required = true };
        var noCv = new Option<bool>("--no-cv") { Description = "Skip the leave-one-subject-out run whose figures go into the card." };
        var asPublished = LabelsAsPublishedOption();
        var trainer = new TrainerOptions();
        var command = new Command("train", "Train the activity model on labelled recordings and write it with its model card.") { data, output, noCv, asPublished };
        trainer.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var o = parseResult.InvocationConfiguration.Output;
            var e = parseResult.InvocationConfiguration.Error;
            try
            {
                var options = trainer.Bind(parseResult);
                var input = await ReadAsync(parseResult.GetValue(data)!, !parseResult.GetValue(asPublished), e);
                CrossValidationSummary? cv = null;
                var subjects = ActivityTrainer.SubjectSequences(input.Windows).Count;
                if (!parseResult.GetValue(noCv) && subjects >= 2)
                {
                    var result = ActivityEvaluation.CrossValidate(input.Windows, options, new ProgressBar(e, "cross-validation"), input.Published);
                    cv = result.Summarise();
                    await WriteResultAsync(o, result, json: false, $"leave-one-subject-out, {result.Folds.Count} folds, {options.Trainer}");
                    await o.WriteLineAsync();
                    await o.WriteLineAsync(string.Create(C, $"Leave-one-subject-out: macro-F1 {result.Raw.MacroF1:0.000} (smoothed live {result.Causal.MacroF1:0.000}, Viterbi {result.Viterbi.MacroF1:0.000}), accuracy {result.Raw.Accuracy:0.000}, {subjects} subjects"));
                }

                var bar = new ProgressBar(e, "training");
                bar.Report(new EvaluationProgress(0, 1, $"training on {input.Windows.Count:N0} windows"));
                var model = ActivityTrainer.Train(input.Windows, options);
                var path = parseResult.GetValue(output)!;
                var card = model.Save(path, input.Files, cv, input.Alignment);
                bar.Report(new EvaluationProgress(1, 1, "done"));
                await o.WriteLineAsync(string.Create(C,
                    $"Wrote {path} ({new FileInfo(path).Length / 1024.0:0} KiB, version {card.ModelVersion}) and {ActivityModelCard.PathFor(path)}: {options.Trainer}, {input.Windows.Count:N0} windows of {subjects} subjects, feature schema {card.FeatureSchemaHash}"));
                return (int)Exit.Ok;
            }
            catch (Exception ex) when (ex is RecordingFormatException or ArgumentException or IOException)
            {
                await e.WriteLineAsync($"error: {ex.Message}");
                return (int)Exit.BadInput;
            }
        });
        return command;
    }

    private static Command CreateEvaluate()
    {
        var data = DataOption();
        var model = new Option<string>("--model") { Description = "The model file (its card must be beside it).", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of tables." };
        var picture = new Option<string?>("--picture") { Description = "Also write the confusion matrix and per-class scores as an SVG picture." };
        var asPublished = LabelsAsPublishedOption();
        var command = new Command("evaluate", "Score a model on labelled recordings: accuracy, macro-F1, per class, confusion, per subject.") { model, data, json, picture, asPublished };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var o = parseResult.InvocationConfiguration.Output;
            var e = parseResult.InvocationConfiguration.Error;
            ActivityModel loaded;
            try
            {
                loaded = ActivityModel.Load(parseResult.GetValue(model)!);
            }
            catch (ActivityModelException ex)
            {
                await e.WriteLineAsync($"error: {ex.Message}");
                return (int)Exit.BadModel;
            }

            try
            {
                var input = await ReadAsync(parseResult.GetValue(data)!, !parseResult.GetValue(asPublished), e);
                var watch = Stopwatch.StartNew();
                var result = ActivityEvaluation.Evaluate(loaded, input.Windows);
                if (input.Published is not null)
                {
                    result = result with { Reference = ActivityEvaluation.Evaluate(loaded, input.Published) };
                }

                watch.Stop();
                await WriteResultAsync(o, result, parseResult.GetValue(json), $"model {loaded.Version}, {input.Windows.Count:N0} windows scored in {watch.Elapsed.TotalSeconds:0.00} s");
                await WritePictureAsync(parseResult.GetValue(picture), result.Raw, $"Activity model {loaded.Version}", o, parseResult.GetValue(json));
                return (int)Exit.Ok;
            }
            catch (Exception ex) when (ex is RecordingFormatException or ArgumentException or IOException)
            {
                await e.WriteLineAsync($"error: {ex.Message}");
                return (int)Exit.BadInput;
            }
        });
        return command;
    }

    private static Command CreateCrossValidate()
    {
        var data = DataOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of tables." };
        var picture = new Option<string?>("--picture") { Description = "Also write the confusion matrix and per-class scores as an SVG picture." };
        var asPublished = LabelsAsPublishedOption();
        var trainer = new TrainerOptions();
        var command = new Command("cv", "Leave-one-subject-out cross-validation: every subject scored by a model trained without them.") { data, json, picture, asPublished };
        trainer.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var o = parseResult.InvocationConfiguration.Output;
            var e = parseResult.InvocationConfiguration.Error;
            try
            {
                var options = trainer.Bind(parseResult);
                var input = await ReadAsync(parseResult.GetValue(data)!, !parseResult.GetValue(asPublished), e);
                var result = ActivityEvaluation.CrossValidate(input.Windows, options, new ProgressBar(e, "cross-validation"), input.Published);
                await WriteResultAsync(o, result, parseResult.GetValue(json), $"leave-one-subject-out, {result.Folds.Count} folds, {options.Trainer}");
                await WritePictureAsync(parseResult.GetValue(picture), result.Raw, $"Leave-one-subject-out, {options.Trainer}", o, parseResult.GetValue(json));
                return (int)Exit.Ok;
            }
            catch (Exception ex) when (ex is RecordingFormatException or ArgumentException or IOException)
            {
                await e.WriteLineAsync($"error: {ex.Message}");
                return (int)Exit.BadInput;
            }
        });
        return command;
    }

    /// <summary>The labelled windows, the files they came from, and, when labels were aligned, the same recordings' windows labelled as published.</summary>
    private sealed record Input(IReadOnlyList<LabelledWindow> Windows, IReadOnlyList<TrainingFile> Files, LabelAlignmentSummary? Alignment, IReadOnlyList<LabelledWindow>? Published);

    /// <summary>
    /// Reads, calibrates (nominally scaled sources only), aligns the labels of the sources that need it
    /// (when <paramref name="alignLabels"/>) and windows every recording; hashes every file read.
    /// </summary>
    private static async Task<Input> ReadAsync(string[] paths, bool alignLabels, TextWriter error)
    {
        var windows = new List<LabelledWindow>();
        var files = new List<TrainingFile>();
        var shifts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var published = new List<LabelledWindow>();
        foreach (var path in paths)
        {
            var recordings = RecordingReader.Open(path);
            var bar = new ProgressBar(error, "reading " + path);
            for (var i = 0; i < recordings.Count; i++)
            {
                var (recording, fit) = RecordingCalibration.Calibrate(recordings[i]);
                if (fit.Status is not (Signal.CalibrationStatus.NotNeeded or Signal.CalibrationStatus.Calibrated or Signal.CalibrationStatus.ScaleOnly))
                {
                    await error.WriteLineAsync($"warning: {recording} could not be calibrated ({fit.Status}); its windows are used as read.");
                }

                bar.Report(new EvaluationProgress(i, recordings.Count, recording.ToString()));
                if (alignLabels && LabelAlignment.Needs(recording.Source) && recording.Accelerometer.HasLabels)
                {
                    var shift = LabelAlignment.Fit(recording);
                    shifts[shift.Recording] = shift.ShiftSeconds;
                    await error.WriteLineAsync(string.Create(C,
                        $"{shift.Recording}: labels moved {shift.ShiftSeconds:+0;-0;0} s (movement separation {shift.SeparationBefore:0.000} as published, {shift.SeparationAfter:0.000} aligned)"));
                    published.AddRange(WindowLabeller.Label(recording));
                    windows.AddRange(WindowLabeller.Label(LabelAlignment.Apply(recording, shift.ShiftSeconds)));
                    continue;
                }

                var labelled = WindowLabeller.Label(recording);
                windows.AddRange(labelled);
                published.AddRange(labelled);
            }

            bar.Report(new EvaluationProgress(recordings.Count, recordings.Count, "done"));
            var found = Directory.Exists(path)
                ? Directory.GetFiles(path).Where(f => f.EndsWith(".csv", StringComparison.Ordinal) || f.EndsWith(".csv.gz", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
                : File.Exists(path) ? [path] : Enumerable.Empty<string>();
            files.AddRange(found.Select(f => new TrainingFile(Path.GetRelativePath(Environment.CurrentDirectory, f), ActivityModel.HashFile(f))));
        }

        if (windows.Count == 0)
        {
            throw new ArgumentException("The data hold no labelled windows (labels must be those of daily-sports-torso or chest-accel-casale).");
        }

        var alignment = shifts.Count == 0 ? null : new LabelAlignmentSummary(
            "one shift per recording maximising the movement separation of rest and moving labels", LabelAlignment.MaximumShiftSeconds, shifts);
        return new Input(windows, files, alignment, alignment is null ? null : published);
    }

    private static async Task WriteResultAsync(TextWriter o, EvaluationResult result, bool json, string title)
    {
        if (json)
        {
            await o.WriteLineAsync(ToJson(result));
            return;
        }

        var r = result.Raw;
        await o.WriteLineAsync(title);
        await o.WriteLineAsync(string.Create(C, $"windows {r.Windows:N0}   accuracy {r.Accuracy:0.000}   macro-F1 {r.MacroF1:0.000}"));
        await o.WriteLineAsync(string.Create(C, $"smoothed: live (forward filter) macro-F1 {result.Causal.MacroF1:0.000}, accuracy {result.Causal.Accuracy:0.000}; offline (Viterbi) macro-F1 {result.Viterbi.MacroF1:0.000}, accuracy {result.Viterbi.Accuracy:0.000}"));
        await o.WriteLineAsync();
        await o.WriteLineAsync("class            precision  recall     F1  support   F1 live  F1 Viterbi");
        foreach (var (name, s) in r.PerClass)
        {
            await o.WriteLineAsync(string.Create(C,
                $"{name,-15} {s.Precision,10:0.000} {s.Recall,7:0.000} {s.F1,6:0.000} {s.Support,8} {result.Causal.PerClass[name].F1,9:0.000} {result.Viterbi.PerClass[name].F1,11:0.000}"));
        }

        await o.WriteLineAsync();
        await o.WriteLineAsync("confusion (rows: truth, columns: prediction)");
        await o.WriteLineAsync(string.Concat(Enumerable.Repeat(" ", 15)) + string.Concat(r.ConfusionLabels.Select(l => $"{Short(l),7}")));
        for (var i = 0; i < r.ConfusionLabels.Count; i++)
        {
            await o.WriteLineAsync($"{r.ConfusionLabels[i],-15}" + string.Concat(r.Confusion[i].Select(v => string.Create(C, $"{v,7}"))));
        }

        await o.WriteLineAsync();
        await o.WriteLineAsync("largest confusions: " + string.Join("; ", r.TopConfusions(5).Select(t => $"{t.Truth} → {t.Predicted} {t.Windows}")));
        await o.WriteLineAsync("per subject accuracy: " + string.Join(", ", r.PerSubject.Select(p => string.Create(C, $"{p.Key} {p.Value:0.000}"))));
        foreach (var f in result.Folds)
        {
            await o.WriteLineAsync(string.Create(C, $"fold {f.Subject,-36} windows {f.Windows,5}  accuracy {f.Accuracy:0.000}  macro-F1 {f.MacroF1:0.000}  live {f.CausalMacroF1:0.000}  Viterbi {f.ViterbiMacroF1:0.000}"));
        }

        foreach (var (source, part) in result.PerSource)
        {
            await o.WriteLineAsync();
            await o.WriteLineAsync($"== {source} subjects only ==");
            await WriteResultAsync(o, part with { Folds = [] }, json: false, $"{source}: {part.Folds.Count} held-out subjects");
        }

        if (result.Reference is { } reference)
        {
            await o.WriteLineAsync();
            await o.WriteLineAsync("==== the same predictions scored against the labels as published ====");
            await WriteResultAsync(o, reference, json: false, "labels as published");
        }
    }

    private static string Short(string label) => label.Length <= 6 ? label : label[..6];

    /// <summary>The JSON shape of the issue: raw figures at the top; smoothing and folds beside them.</summary>
    internal static string ToJson(EvaluationResult result)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            WriteResult(w, result);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteResult(Utf8JsonWriter w, EvaluationResult result)
    {
        WriteMetrics(w, result.Raw);
        w.WriteStartObject("smoothed");
        w.WriteStartObject("causal");
        WriteMetrics(w, result.Causal);
        w.WriteEndObject();
        w.WriteStartObject("viterbi");
        WriteMetrics(w, result.Viterbi);
        w.WriteEndObject();
        w.WriteEndObject();
        if (result.Folds.Count > 0)
        {
            w.WriteStartArray("folds");
            foreach (var f in result.Folds)
            {
                w.WriteStartObject();
                w.WriteString("subject", f.Subject);
                w.WriteNumber("windows", f.Windows);
                w.WriteNumber("accuracy", Math.Round(f.Accuracy, 6));
                w.WriteNumber("macro_f1", Math.Round(f.MacroF1, 6));
                w.WriteNumber("macro_f1_causal", Math.Round(f.CausalMacroF1, 6));
                w.WriteNumber("macro_f1_viterbi", Math.Round(f.ViterbiMacroF1, 6));
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (result.PerSource.Count > 0)
        {
            w.WriteStartObject("per_source");
            foreach (var (source, part) in result.PerSource)
            {
                w.WriteStartObject(source);
                WriteMetrics(w, part.Raw);
                w.WriteNumber("macro_f1_causal", Math.Round(part.Causal.MacroF1, 6));
                w.WriteNumber("macro_f1_viterbi", Math.Round(part.Viterbi.MacroF1, 6));
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        if (result.Reference is { } reference)
        {
            w.WriteStartObject("labels_as_published");
            WriteResult(w, reference);
            w.WriteEndObject();
        }
    }

    private static void WriteMetrics(Utf8JsonWriter w, ActivityMetrics m)
    {
        w.WriteNumber("accuracy", Math.Round(m.Accuracy, 6));
        w.WriteNumber("macro_f1", Math.Round(m.MacroF1, 6));
        w.WriteStartObject("per_class");
        foreach (var (name, s) in m.PerClass)
        {
            w.WriteStartObject(name);
            w.WriteNumber("precision", Math.Round(s.Precision, 6));
            w.WriteNumber("recall", Math.Round(s.Recall, 6));
            w.WriteNumber("f1", Math.Round(s.F1, 6));
            w.WriteNumber("support", s.Support);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteStartObject("confusion");
        w.WriteStartArray("labels");
        foreach (var label in m.ConfusionLabels)
        {
            w.WriteStringValue(label);
        }

        w.WriteEndArray();
        w.WriteStartArray("matrix");
        foreach (var row in m.Confusion)
        {
            w.WriteStartArray();
            foreach (var v in row)
            {
                w.WriteNumberValue(v);
            }

            w.WriteEndArray();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteNumber("windows", m.Windows);
        w.WriteStartObject("per_subject");
        foreach (var (subject, accuracy) in m.PerSubject)
        {
            w.WriteNumber(subject, Math.Round(accuracy, 6));
        }

        w.WriteEndObject();
    }

    private static async Task WritePictureAsync(string? path, ActivityMetrics metrics, string title, TextWriter o, bool json)
    {
        if (path is null)
        {
            return;
        }

        await File.WriteAllTextAsync(path, ConfusionPicture.Svg(metrics, title));
        if (!json)
        {
            await o.WriteLineAsync($"Wrote {path}");
        }
    }

    /// <summary>A text progress bar on the error stream, so that --json output stays clean.</summary>
    private sealed class ProgressBar(TextWriter writer, string what) : IProgress<EvaluationProgress>
    {
        private const int Width = 24;

        public void Report(EvaluationProgress value)
        {
            var filled = value.Total > 0 ? Width * value.Done / value.Total : Width;
            writer.WriteLine(string.Create(C, $"[{new string('#', filled)}{new string('.', Width - filled)}] {value.Done}/{value.Total} {what}: {value.Step}"));
        }
    }
}
