using System.Text.Json;
using System.Text.Json.Serialization;

namespace AdherencePipeline.Activity;

/// <summary>The trainer and its settings, as recorded in a model card.</summary>
/// <param name="Name">Trainer name, e.g. <c>lightgbm</c>.</param>
/// <param name="HyperParameters">Every setting that shapes the model.</param>
public sealed record TrainerDescription(string Name, IReadOnlyDictionary<string, double> HyperParameters);

/// <summary>A file the model was trained on, with its SHA-256, so a card says exactly which data made the model.</summary>
/// <param name="Path">The file as given to the trainer.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file's bytes.</param>
public sealed record TrainingFile(string Path, string Sha256);

/// <summary>Cross-validation figures kept in a card: leave-one-subject-out, without and with smoothing.</summary>
/// <param name="Scheme">How folds were cut, e.g. <c>leave-one-subject-out</c>.</param>
/// <param name="Subjects">Number of folds (subjects).</param>
/// <param name="Windows">Windows scored.</param>
/// <param name="Accuracy">Accuracy of the window predictions.</param>
/// <param name="MacroF1">Macro-F1 of the window predictions.</param>
/// <param name="PerClassF1">F1 of each class, window predictions.</param>
/// <param name="CausalMacroF1">Macro-F1 after the live (forward-filter) smoothing.</param>
/// <param name="ViterbiMacroF1">Macro-F1 after offline Viterbi smoothing.</param>
/// <param name="PerSubjectMacroF1">Macro-F1 of each held-out subject, window predictions.</param>
public sealed record CrossValidationSummary(
    string Scheme,
    int Subjects,
    int Windows,
    double Accuracy,
    double MacroF1,
    IReadOnlyDictionary<string, double> PerClassF1,
    double CausalMacroF1,
    double ViterbiMacroF1,
    IReadOnlyDictionary<string, double> PerSubjectMacroF1);

/// <summary>How the training labels were moved onto the movement they name (<see cref="LabelAlignment"/>).</summary>
/// <param name="Method">How the shifts were fitted.</param>
/// <param name="MaximumShiftSeconds">The largest shift searched, either way.</param>
/// <param name="ShiftSeconds">Per aligned recording, how far its labels were moved later (negative: earlier).</param>
public sealed record LabelAlignmentSummary(string Method, int MaximumShiftSeconds, IReadOnlyDictionary<string, int> ShiftSeconds);

/// <summary>
/// The JSON card that travels beside a model file (<c>NAME.card.json</c> beside <c>NAME.zip</c>):
/// what the model predicts, from which features, how and from what it was trained, how well it did,
/// and the model file's own hash, so a changed or damaged file is refused.
/// </summary>
public sealed record ActivityModelCard
{
    /// <summary>Card format version this code writes and reads.</summary>
    public const int CurrentFormat = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Card format version.</summary>
    public int Format { get; init; } = CurrentFormat;

    /// <summary>The model's version: the first 12 hex digits of <see cref="ModelSha256"/>; stored as a tag with every prediction.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>When the model was trained (UTC).</summary>
    public required DateTimeOffset CreatedUtc { get; init; }

    /// <summary>Class names, in the order of the model's probability outputs.</summary>
    public required IReadOnlyList<string> Classes { get; init; }

    /// <summary>Names of the input features, in input order.</summary>
    public required IReadOnlyList<string> FeatureNames { get; init; }

    /// <summary>The <c>WindowFeatures.SchemaHash</c> of the code that computed the training features.</summary>
    public required string FeatureSchemaHash { get; init; }

    /// <summary>The trainer and its hyper-parameters.</summary>
    public required TrainerDescription Trainer { get; init; }

    /// <summary>The training files with their SHA-256.</summary>
    public required IReadOnlyList<TrainingFile> TrainingFiles { get; init; }

    /// <summary>Training windows per class.</summary>
    public required IReadOnlyDictionary<string, int> TrainingWindows { get; init; }

    /// <summary>The temporal smoother's transition probabilities (rows: from, columns: to; class order).</summary>
    public required double[][] Transitions { get; init; }

    /// <summary>Lower-case hex SHA-256 of the model file.</summary>
    public required string ModelSha256 { get; init; }

    /// <summary>Cross-validation figures, when cross-validation was run before training.</summary>
    public CrossValidationSummary? CrossValidation { get; init; }

    /// <summary>The label alignment applied to the training data; null when every label was used as published.</summary>
    public LabelAlignmentSummary? LabelAlignment { get; init; }

    /// <summary>The card file that belongs to <paramref name="modelPath"/>: <c>NAME.card.json</c> beside <c>NAME.zip</c>.</summary>
    public static string PathFor(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        var directory = Path.GetDirectoryName(modelPath);
        var name = Path.GetFileNameWithoutExtension(modelPath) + ".card.json";
        return string.IsNullOrEmpty(directory) ? name : Path.Combine(directory, name);
    }

    /// <summary>The card as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a card from JSON.</summary>
    /// <exception cref="ActivityModelException">The text is not a card of a known format.</exception>
    public static ActivityModelCard FromJson(string json, string source)
    {
        ActivityModelCard? card;
        try
        {
            card = JsonSerializer.Deserialize<ActivityModelCard>(json, Json);
        }
        catch (JsonException ex)
        {
            throw new ActivityModelException($"The model card {source} is not valid JSON: {ex.Message}", ex);
        }

        if (card is null)
        {
            throw new ActivityModelException($"The model card {source} is empty.");
        }

        if (card.Format != CurrentFormat)
        {
            throw new ActivityModelException($"The model card {source} has format {card.Format}; this version reads format {CurrentFormat}.");
        }

        return card;
    }
}

/// <summary>A model that cannot be used: missing, damaged, or made for other features than the running code computes.</summary>
public sealed class ActivityModelException : Exception
{
    /// <summary>Creates the exception with a message that says what is wrong and what to do.</summary>
    public ActivityModelException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public ActivityModelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception without a message.</summary>
    public ActivityModelException()
    {
    }
}
