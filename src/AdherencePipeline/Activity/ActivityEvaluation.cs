namespace AdherencePipeline.Activity;

/// <summary>Scores of one cross-validation fold: the held-out subject.</summary>
/// <param name="Subject">The held-out subject.</param>
/// <param name="Windows">Its windows.</param>
/// <param name="Accuracy">Accuracy of the window predictions.</param>
/// <param name="MacroF1">Macro-F1 of the window predictions.</param>
/// <param name="CausalMacroF1">Macro-F1 after forward-filter smoothing.</param>
/// <param name="ViterbiMacroF1">Macro-F1 after Viterbi smoothing.</param>
public sealed record FoldScore(string Subject, int Windows, double Accuracy, double MacroF1, double CausalMacroF1, double ViterbiMacroF1);

/// <summary>
/// Scores of an evaluation: the window predictions as they are (<see cref="Raw"/>), after the live
/// forward filter (<see cref="Causal"/>, what the pipeline stores as the smoothed label), and after
/// offline Viterbi decoding (<see cref="Viterbi"/>). <see cref="Folds"/> is empty outside cross-validation.
/// </summary>
public sealed record EvaluationResult(ActivityMetrics Raw, ActivityMetrics Causal, ActivityMetrics Viterbi, IReadOnlyList<FoldScore> Folds)
{
    /// <summary>
    /// The same figures per data source (the part of a subject id before <c>/</c>), when the windows
    /// come from more than one: a run over two data sets must show how each fares, not only the blend.
    /// </summary>
    public IReadOnlyDictionary<string, EvaluationResult> PerSource { get; init; } = new Dictionary<string, EvaluationResult>(StringComparer.Ordinal);

    /// <summary>
    /// The same fold models scored on a second labelling of the held-out subjects (in practice: their
    /// labels as published, where the evaluated windows had aligned labels); null when none was given.
    /// </summary>
    public EvaluationResult? Reference { get; init; }

    /// <summary>The summary a model card keeps.</summary>
    public CrossValidationSummary Summarise() => new(
        "leave-one-subject-out",
        Folds.Count,
        Raw.Windows,
        Raw.Accuracy,
        Raw.MacroF1,
        Raw.PerClass.ToDictionary(p => p.Key, p => p.Value.F1, StringComparer.Ordinal),
        Causal.MacroF1,
        Viterbi.MacroF1,
        Folds.ToDictionary(f => f.Subject, f => f.MacroF1, StringComparer.Ordinal));
}

/// <summary>Where a long run stands: <paramref name="Done"/> of <paramref name="Total"/> steps, and what is being done.</summary>
public readonly record struct EvaluationProgress(int Done, int Total, string Step);

/// <summary>
/// Evaluation of activity models, subject-independent only: <see cref="CrossValidate"/> scores every
/// subject with a model (classifier and smoother) trained without any of its windows.
/// </summary>
public static class ActivityEvaluation
{
    /// <summary>Scores <paramref name="model"/> on <paramref name="windows"/> (in time order within each subject).</summary>
    public static EvaluationResult Evaluate(ActivityModel model, IReadOnlyList<LabelledWindow> windows)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(windows);
        var scored = Score(model, windows);
        return new EvaluationResult(
            Metrics(scored, s => s.Raw), Metrics(scored, s => s.Causal), Metrics(scored, s => s.Viterbi), []);
    }

    /// <summary>
    /// Leave-one-subject-out cross-validation over the subjects of <paramref name="windows"/>. Each fold's
    /// model also scores the held-out subject's windows in <paramref name="reference"/>, when given
    /// (<see cref="EvaluationResult.Reference"/>): the same recordings labelled another way.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two subjects.</exception>
    public static EvaluationResult CrossValidate(
        IReadOnlyList<LabelledWindow> windows, ActivityTrainerOptions? options = null, IProgress<EvaluationProgress>? progress = null, IReadOnlyList<LabelledWindow>? reference = null)
    {
        ArgumentNullException.ThrowIfNull(windows);
        var subjects = ActivityTrainer.SubjectSequences(windows).Select(s => s[0].Subject).ToList();
        if (subjects.Count < 2)
        {
            throw new ArgumentException($"Leave-one-subject-out needs at least two subjects; the data hold {subjects.Count}.", nameof(windows));
        }

        var all = new List<Scored>();
        var folds = new List<FoldScore>();
        var referenceAll = new List<Scored>();
        var referenceFolds = new List<FoldScore>();
        for (var f = 0; f < subjects.Count; f++)
        {
            var held = subjects[f];
            progress?.Report(new EvaluationProgress(f, subjects.Count, $"fold {f + 1}/{subjects.Count}: training without {held}"));
            var train = windows.Where(w => w.Subject != held).ToList();
            var test = windows.Where(w => w.Subject == held).ToList();
            var model = ActivityTrainer.Train(train, options);
            var scored = Score(model, test);
            all.AddRange(scored);
            folds.Add(Fold(held, scored));
            if (reference?.Where(w => w.Subject == held).ToList() is { Count: > 0 } referenceTest)
            {
                var referenceScored = Score(model, referenceTest);
                referenceAll.AddRange(referenceScored);
                referenceFolds.Add(Fold(held, referenceScored));
            }
        }

        progress?.Report(new EvaluationProgress(subjects.Count, subjects.Count, "done"));
        return Result(all, folds) with { Reference = referenceAll.Count == 0 ? null : Result(referenceAll, referenceFolds) };
    }

    private static FoldScore Fold(string subject, List<Scored> scored)
    {
        var raw = Metrics(scored, s => s.Raw);
        return new FoldScore(subject, scored.Count, raw.Accuracy, raw.MacroF1, Metrics(scored, s => s.Causal).MacroF1, Metrics(scored, s => s.Viterbi).MacroF1);
    }

    private static EvaluationResult Result(List<Scored> all, List<FoldScore> folds) =>
        new(Metrics(all, s => s.Raw), Metrics(all, s => s.Causal), Metrics(all, s => s.Viterbi), folds) { PerSource = BySource(all, folds) };

    /// <summary>The data source of a subject id (<c>source/subject</c>).</summary>
    public static string SourceOf(string subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var slash = subject.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? subject : subject[..slash];
    }

    private static Dictionary<string, EvaluationResult> BySource(List<Scored> all, List<FoldScore> folds)
    {
        var sources = all.Select(s => SourceOf(s.Subject)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var result = new Dictionary<string, EvaluationResult>(StringComparer.Ordinal);
        if (sources.Count < 2)
        {
            return result;
        }

        foreach (var source in sources)
        {
            var part = all.Where(s => SourceOf(s.Subject) == source).ToList();
            result[source] = new EvaluationResult(
                Metrics(part, s => s.Raw), Metrics(part, s => s.Causal), Metrics(part, s => s.Viterbi), [.. folds.Where(f => SourceOf(f.Subject) == source)]);
        }

        return result;
    }

    private static List<Scored> Score(ActivityModel model, IReadOnlyList<LabelledWindow> windows)
    {
        var scored = new List<Scored>(windows.Count);
        foreach (var sequence in ActivityTrainer.SubjectSequences(windows))
        {
            var probabilities = model.PredictBatch([.. sequence.Select(w => w.Features)]);
            var causal = model.Smoother.FilterAll(probabilities);
            var viterbi = model.Smoother.Viterbi(probabilities);
            for (var i = 0; i < sequence.Count; i++)
            {
                scored.Add(new Scored(sequence[i].Subject, sequence[i].Label, (ActivityClass)ArgMax(probabilities[i]), (ActivityClass)causal[i], (ActivityClass)viterbi[i]));
            }
        }

        return scored;
    }

    private static ActivityMetrics Metrics(List<Scored> scored, Func<Scored, ActivityClass> pick) =>
        ActivityMetrics.Compute([.. scored.Select(s => s.Truth)], [.. scored.Select(pick)], [.. scored.Select(s => s.Subject)]);

    /// <summary>The index of the largest value.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }

        return best;
    }

    private sealed record Scored(string Subject, ActivityClass Truth, ActivityClass Raw, ActivityClass Causal, ActivityClass Viterbi);
}
