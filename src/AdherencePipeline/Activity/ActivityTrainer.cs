using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace AdherencePipeline.Activity;

/// <summary>Which trainer and how; the defaults are the shipped model's.</summary>
public sealed record ActivityTrainerOptions
{
    /// <summary>Trainer names <see cref="Trainer"/> accepts.</summary>
    public static IReadOnlyList<string> Trainers { get; } = ["lightgbm", "fasttree"];

    /// <summary><c>lightgbm</c> (multiclass gradient boosting) or <c>fasttree</c> (one-versus-all boosted trees).</summary>
    public string Trainer { get; init; } = "lightgbm";

    /// <summary>Boosting rounds.</summary>
    public int Iterations { get; init; } = 200;

    /// <summary>Leaves per tree.</summary>
    public int Leaves { get; init; } = 16;

    /// <summary>Learning rate (shrinkage).</summary>
    public double LearningRate { get; init; } = 0.08;

    /// <summary>Fewest training windows in a leaf.</summary>
    public int MinimumWindowsPerLeaf { get; init; } = 20;

    /// <summary>Share of features each tree sees (LightGBM).</summary>
    public double FeatureFraction { get; init; } = 0.7;

    /// <summary>L2 regularisation of leaf values (LightGBM).</summary>
    public double L2Regularization { get; init; } = 1;

    /// <summary>Random seed: the same data and options give the same model.</summary>
    public int Seed { get; init; } = 13;

    /// <summary>
    /// Weight of the windows of a data source in training (sources not named count 1). Lets a second
    /// data set shape the classes it has without outweighing the one that has all ten.
    /// </summary>
    public IReadOnlyDictionary<string, double> SourceWeights { get; init; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>The training weight of a window, from its subject's data source.</summary>
    public float WeightOf(LabelledWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        return SourceWeights.TryGetValue(ActivityEvaluation.SourceOf(window.Subject), out var weight) ? (float)weight : 1f;
    }

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the wrong one.</summary>
    public void Validate()
    {
        if (!Trainers.Contains(Trainer))
        {
            throw new ArgumentException($"Unknown trainer '{Trainer}' (known: {string.Join(", ", Trainers)}).", nameof(Trainer));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(Iterations, 1, nameof(Iterations));
        ArgumentOutOfRangeException.ThrowIfLessThan(Leaves, 2, nameof(Leaves));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(LearningRate, 0, nameof(LearningRate));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinimumWindowsPerLeaf, 1, nameof(MinimumWindowsPerLeaf));
        if (FeatureFraction is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(FeatureFraction), FeatureFraction, "The feature fraction lies in (0, 1].");
        }

        foreach (var (source, weight) in SourceWeights)
        {
            if (!double.IsFinite(weight) || weight <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(SourceWeights), weight, $"The weight of source '{source}' must be a positive number.");
            }
        }
    }

    /// <summary>The trainer and settings as a model card records them.</summary>
    public TrainerDescription Describe()
    {
        var parameters = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["iterations"] = Iterations,
            ["leaves"] = Leaves,
            ["learning_rate"] = LearningRate,
            ["minimum_windows_per_leaf"] = MinimumWindowsPerLeaf,
            ["feature_fraction"] = Trainer == "lightgbm" ? FeatureFraction : 1,
            ["l2_regularization"] = Trainer == "lightgbm" ? L2Regularization : 0,
            ["seed"] = Seed,
            ["smoothing_pseudo_count"] = TemporalSmoother.PseudoCount,
        };
        foreach (var (source, weight) in SourceWeights)
        {
            parameters["source_weight:" + source] = weight;
        }

        return new(Trainer, parameters);
    }
}

/// <summary>
/// Trains the activity model with ML.NET on labelled windows: the classifier, and the temporal
/// smoother's transitions learnt from the same windows' label sequences (per subject, in time order).
/// </summary>
public static class ActivityTrainer
{
    /// <summary>Trains a model on <paramref name="windows"/> (in time order within each subject).</summary>
    public static ActivityModel Train(IReadOnlyList<LabelledWindow> windows, ActivityTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(windows);
        options ??= new ActivityTrainerOptions();
        options.Validate();
        if (windows.Count == 0)
        {
            throw new ArgumentException("No labelled windows to train on.", nameof(windows));
        }

        var ml = new MLContext(options.Seed);
        var data = ActivityModelSchema.LoadForTraining(ml, windows, options.WeightOf);
        var transformer = ActivityModelSchema.MapLabel(ml).Append(Estimator(ml, options)).Fit(data);
        var smoother = TemporalSmoother.Learn(SubjectSequences(windows).Select(s => (IReadOnlyList<ActivityClass>)[.. s.Select(w => w.Label)]), ActivityTaxonomy.Count);
        var perClass = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var w in windows)
        {
            var name = ActivityTaxonomy.Name(w.Label);
            perClass[name] = perClass.GetValueOrDefault(name) + 1;
        }

        var card = new ActivityModelCard
        {
            ModelVersion = "unsaved",
            CreatedUtc = DateTimeOffset.UtcNow,
            Classes = ActivityTaxonomy.Names,
            FeatureNames = ActivityFeatures.Names,
            FeatureSchemaHash = Signal.WindowFeatures.SchemaHash,
            Trainer = options.Describe(),
            TrainingFiles = [],
            TrainingWindows = perClass,
            Transitions = [.. smoother.Transitions.Select(r => (double[])r.Clone())],
            ModelSha256 = string.Empty,
        };
        return new ActivityModel(ml, transformer, card, smoother);
    }

    /// <summary>The windows of each subject, in the order given, subjects in order of first appearance.</summary>
    public static IReadOnlyList<IReadOnlyList<LabelledWindow>> SubjectSequences(IEnumerable<LabelledWindow> windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        var order = new List<string>();
        var bySubject = new Dictionary<string, List<LabelledWindow>>(StringComparer.Ordinal);
        foreach (var w in windows)
        {
            if (!bySubject.TryGetValue(w.Subject, out var list))
            {
                list = [];
                bySubject[w.Subject] = list;
                order.Add(w.Subject);
            }

            list.Add(w);
        }

        return [.. order.Select(s => (IReadOnlyList<LabelledWindow>)bySubject[s])];
    }

    private static IEstimator<ITransformer> Estimator(MLContext ml, ActivityTrainerOptions o) => o.Trainer switch
    {
        "lightgbm" => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
        {
            NumberOfIterations = o.Iterations,
            NumberOfLeaves = o.Leaves,
            LearningRate = o.LearningRate,
            MinimumExampleCountPerLeaf = o.MinimumWindowsPerLeaf,
            UseSoftmax = true,
            ExampleWeightColumnName = nameof(ActivityTrainingInput.Weight),
            Seed = o.Seed,
            Silent = true,
            Booster = new GradientBooster.Options
            {
                FeatureFraction = o.FeatureFraction,
                L2Regularization = o.L2Regularization,
            },
        }),
        "fasttree" => ml.MulticlassClassification.Trainers.OneVersusAll(
            ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
            {
                NumberOfTrees = o.Iterations,
                NumberOfLeaves = o.Leaves,
                LearningRate = o.LearningRate,
                MinimumExampleCountPerLeaf = o.MinimumWindowsPerLeaf,
                Seed = o.Seed,
                ExampleWeightColumnName = nameof(ActivityTrainingInput.Weight),
            }),
            useProbabilities: true),
        _ => throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Unknown trainer '{o.Trainer}'."), nameof(o)),
    };
}
