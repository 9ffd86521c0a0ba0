using System.Collections.Concurrent;
using System.Security.Cryptography;
using AdherencePipeline.Signal;
using Microsoft.ML;

namespace AdherencePipeline.Activity;

/// <summary>
/// A trained activity model: the ML.NET classifier, its temporal smoother and its card. Prediction
/// is thread-safe. When the classifier is a tree ensemble of a shape <see cref="TreeEnsembleEvaluator"/>
/// reproduces, windows are scored by its flattened trees (same probabilities, bit for bit, without
/// ML.NET's per-row machinery); otherwise single windows go through a pool of prediction engines (an
/// engine is not thread-safe, so each call borrows one), batches through one <c>Transform</c>.
/// </summary>
public sealed class ActivityModel
{
    private readonly MLContext _ml;
    private readonly ITransformer _transformer;
    private readonly ConcurrentBag<PredictionEngine<ActivityInput, ActivityOutput>> _engines = [];
    private readonly TreeEnsembleEvaluator? _trees;

    internal ActivityModel(MLContext ml, ITransformer transformer, ActivityModelCard card, TemporalSmoother smoother)
    {
        _ml = ml;
        _transformer = transformer;
        Card = card;
        Smoother = smoother;
        _trees = TreeEnsembleEvaluator.TryCreate(transformer, ActivityFeatures.Count, nameof(ActivityInput.Features), out var reason);
        if (_trees is not null && _trees.ClassCount != ActivityTaxonomy.Count)
        {
            reason = $"the trees give {_trees.ClassCount} scores, not {ActivityTaxonomy.Count}";
            _trees = null;
        }

        TreeEvaluatorUnavailableReason = _trees is null ? reason : null;
    }

    /// <summary>
    /// Null when windows are scored by the flattened trees; otherwise why the model's shape is not one
    /// <see cref="TreeEnsembleEvaluator"/> reproduces, and every window goes through ML.NET (slower, same result).
    /// </summary>
    public string? TreeEvaluatorUnavailableReason { get; }

    /// <summary>The flattened trees, when in use.</summary>
    internal TreeEnsembleEvaluator? Trees => _trees;

    /// <summary>How windows are scored, for logs: the flattened trees or ML.NET's prediction engine.</summary>
    public string Evaluator => _trees is null ? "ML.NET prediction engine" : $"flattened trees ({_trees.TreeCount} trees, {_trees.DecisionNodeCount} decision nodes)";

    /// <summary>The model's card.</summary>
    public ActivityModelCard Card { get; }

    /// <summary>The model version (see <see cref="ActivityModelCard.ModelVersion"/>).</summary>
    public string Version => Card.ModelVersion;

    /// <summary>The temporal smoother learnt with the model.</summary>
    public TemporalSmoother Smoother { get; }

    /// <summary>Class probabilities of one window from its classifier inputs (<see cref="ActivityFeatures"/>), in class order.</summary>
    public float[] Predict(float[] features)
    {
        ArgumentNullException.ThrowIfNull(features);
        CheckLength(features);
        if (_trees is null)
        {
            return PredictWithMLNet(features);
        }

        var p = new float[ActivityTaxonomy.Count];
        Predict(features, p);
        return p;
    }

    /// <summary>
    /// Writes the class probabilities of one window into <paramref name="probabilities"/> (<see cref="ActivityTaxonomy.Count"/>
    /// long); without allocation when the flattened trees are in use.
    /// </summary>
    public void Predict(ReadOnlySpan<float> features, Span<float> probabilities)
    {
        if (features.Length != ActivityFeatures.Count)
        {
            throw new ArgumentException($"The classifier reads {ActivityFeatures.Count} features, not {features.Length}.", nameof(features));
        }

        if (probabilities.Length != ActivityTaxonomy.Count)
        {
            throw new ArgumentException($"The classifier gives {ActivityTaxonomy.Count} probabilities, not {probabilities.Length}.", nameof(probabilities));
        }

        if (_trees is null)
        {
            PredictWithMLNet(features.ToArray()).CopyTo(probabilities);
            return;
        }

        _trees.Score(features, probabilities);
        Normalise(probabilities);
    }

    /// <summary>
    /// Class probabilities of one window through ML.NET's prediction engine, whatever evaluator is in
    /// use: the reference the flattened trees are checked against.
    /// </summary>
    public float[] PredictWithMLNet(float[] features)
    {
        ArgumentNullException.ThrowIfNull(features);
        CheckLength(features);
        if (!_engines.TryTake(out var engine))
        {
            engine = _ml.Model.CreatePredictionEngine<ActivityInput, ActivityOutput>(_transformer, ignoreMissingColumns: true,
                ActivityModelSchema.Input(), ActivityModelSchema.Output());
        }

        try
        {
            var output = new ActivityOutput();
            engine.Predict(new ActivityInput { Features = features }, ref output);
            var p = new float[ActivityTaxonomy.Count];
            output.Score.AsSpan(0, Math.Min(output.Score.Length, p.Length)).CopyTo(p);
            Normalise(p);
            return p;
        }
        finally
        {
            _engines.Add(engine);
        }
    }

    /// <summary>Class probabilities of many windows at once (one pass through the model).</summary>
    public float[][] PredictBatch(IReadOnlyList<float[]> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        foreach (var f in features)
        {
            CheckLength(f);
        }

        if (_trees is not null)
        {
            var scored = new float[features.Count][];
            for (var i = 0; i < scored.Length; i++)
            {
                scored[i] = new float[ActivityTaxonomy.Count];
                Predict(features[i], scored[i]);
            }

            return scored;
        }

        return PredictBatchWithMLNet(features);
    }

    /// <summary>Class probabilities of many windows through one ML.NET <c>Transform</c>, whatever evaluator is in use.</summary>
    public float[][] PredictBatchWithMLNet(IReadOnlyList<float[]> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        foreach (var f in features)
        {
            CheckLength(f);
        }

        var view = _ml.Data.LoadFromEnumerable(features.Select(f => new ActivityInput { Features = f }), ActivityModelSchema.Input());
        var scored = _transformer.Transform(view);
        var result = new float[features.Count][];
        var i = 0;
        foreach (var row in _ml.Data.CreateEnumerable<ActivityOutput>(scored, reuseRowObject: false, ignoreMissingColumns: true, ActivityModelSchema.Output()))
        {
            var p = new float[ActivityTaxonomy.Count];
            row.Score.AsSpan(0, Math.Min(row.Score.Length, p.Length)).CopyTo(p);
            Normalise(p);
            result[i++] = p;
        }

        return result;
    }

    /// <summary>
    /// Writes the model to <paramref name="modelPath"/> and its card beside it, with the model file's
    /// hash and the given training files, cross-validation figures and label alignment; returns the written card.
    /// </summary>
    public ActivityModelCard Save(string modelPath, IReadOnlyList<TrainingFile> trainingFiles, CrossValidationSummary? crossValidation, LabelAlignmentSummary? labelAlignment = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentNullException.ThrowIfNull(trainingFiles);
        var directory = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        Directory.CreateDirectory(directory);

        // Write both files next to their targets and move them in, so a watcher never sees half a file.
        var temporaryModel = modelPath + ".tmp";
        using (var stream = File.Create(temporaryModel))
        {
            _ml.Model.Save(_transformer, ActivityModelSchema.Load(_ml, []).Schema, stream);
        }

        var sha = HashFile(temporaryModel);
        var card = Card with
        {
            ModelVersion = sha[..12],
            ModelSha256 = sha,
            TrainingFiles = trainingFiles,
            CrossValidation = crossValidation,
            LabelAlignment = labelAlignment,
        };
        var cardPath = ActivityModelCard.PathFor(modelPath);
        File.WriteAllText(cardPath + ".tmp", card.ToJson() + "\n");
        File.Move(temporaryModel, modelPath, overwrite: true);
        File.Move(cardPath + ".tmp", cardPath, overwrite: true);
        return card;
    }

    /// <summary>
    /// Loads a model and its card, refusing with <see cref="ActivityModelException"/> a model whose
    /// card is missing, whose file does not match the card's hash (damaged or replaced), whose
    /// feature schema differs from the running code's, or that ML.NET cannot read.
    /// </summary>
    public static ActivityModel Load(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        var cardPath = ActivityModelCard.PathFor(modelPath);
        if (!File.Exists(modelPath))
        {
            throw new ActivityModelException($"No activity model at {modelPath}.");
        }

        if (!File.Exists(cardPath))
        {
            throw new ActivityModelException($"The activity model {modelPath} has no card: expected {cardPath} beside it. Retrain with 'adherence model train', which writes both.");
        }

        byte[] bytes;
        ActivityModelCard card;
        try
        {
            bytes = File.ReadAllBytes(modelPath);
            card = ActivityModelCard.FromJson(File.ReadAllText(cardPath), cardPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ActivityModelException($"The activity model {modelPath} could not be read: {ex.Message}", ex);
        }

        if (card.FeatureSchemaHash != WindowFeatures.SchemaHash || !card.FeatureNames.SequenceEqual(ActivityFeatures.Names))
        {
            throw new ActivityModelException(
                $"The activity model {modelPath} was trained on feature schema {card.FeatureSchemaHash}, but this version computes schema {WindowFeatures.SchemaHash} (WindowFeatures v{WindowFeatures.Version}). " +
                "Its scores would be meaningless: retrain it with 'adherence model train'.");
        }

        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (sha != card.ModelSha256)
        {
            throw new ActivityModelException(
                $"The activity model {modelPath} is damaged or does not belong to its card: its SHA-256 is {sha[..12]}…, the card {cardPath} expects {card.ModelSha256[..Math.Min(12, card.ModelSha256.Length)]}….");
        }

        if (!card.Classes.SequenceEqual(ActivityTaxonomy.Names))
        {
            throw new ActivityModelException($"The activity model {modelPath} predicts other classes ({string.Join(", ", card.Classes)}) than this version knows ({string.Join(", ", ActivityTaxonomy.Names)}).");
        }

        TemporalSmoother smoother;
        try
        {
            smoother = new TemporalSmoother(card.Transitions);
        }
        catch (ArgumentException ex)
        {
            throw new ActivityModelException($"The model card {cardPath} holds an unusable transition matrix: {ex.Message}", ex);
        }

        if (smoother.Count != ActivityTaxonomy.Count)
        {
            throw new ActivityModelException($"The model card {cardPath} has a {smoother.Count}-state transition matrix; {ActivityTaxonomy.Count} classes need {ActivityTaxonomy.Count}.");
        }

        var ml = new MLContext(seed: 0);
        ITransformer transformer;
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            transformer = ml.Model.Load(stream, out _);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // ML.NET reports an archive that is not one of its models with whatever its loaders throw
            // (format, argument, key or cast errors); any of them means the same: not a usable model.
            throw new ActivityModelException($"ML.NET cannot read the activity model {modelPath}: {ex.Message}", ex);
        }

        return new ActivityModel(ml, transformer, card, smoother);
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void CheckLength(float[] features)
    {
        if (features.Length != ActivityFeatures.Count)
        {
            throw new ArgumentException($"The classifier reads {ActivityFeatures.Count} features, not {features.Length}.", nameof(features));
        }
    }

    private static void Normalise(Span<float> p)
    {
        var sum = 0f;
        for (var i = 0; i < p.Length; i++)
        {
            p[i] = float.IsFinite(p[i]) ? MathF.Max(0, p[i]) : 0;
            sum += p[i];
        }

        for (var i = 0; i < p.Length; i++)
        {
            p[i] = sum > 0 ? p[i] / sum : 1f / p.Length;
        }
    }
}
