using Microsoft.ML;
using Microsoft.ML.Data;

namespace AdherencePipeline.Activity;

/// <summary>One row for ML.NET: the classifier's inputs and, in training, the class name.</summary>
public sealed class ActivityInput
{
    /// <summary>The class name (<see cref="ActivityTaxonomy.Names"/>); empty when unknown (prediction).</summary>
    public string Label { get; set; } = string.Empty;

    /// <summary>The classifier's inputs (<see cref="ActivityFeatures.Names"/>).</summary>
    public float[] Features { get; set; } = [];
}

/// <summary>One training row: the inputs, the class name, and how much the window counts.</summary>
public sealed class ActivityTrainingInput
{
    /// <summary>The class name (<see cref="ActivityTaxonomy.Names"/>).</summary>
    public string Label { get; set; } = string.Empty;

    /// <summary>The classifier's inputs (<see cref="ActivityFeatures.Names"/>).</summary>
    public float[] Features { get; set; } = [];

    /// <summary>The window's weight in training (1 unless its data source is down-weighted).</summary>
    public float Weight { get; set; } = 1;
}

/// <summary>ML.NET's output row: one score per class, in class order.</summary>
public sealed class ActivityOutput
{
    /// <summary>Class scores (probabilities for the multiclass trainers used here).</summary>
    public float[] Score { get; set; } = [];
}

/// <summary>The ML.NET schema of <see cref="ActivityInput"/>, with the vector size and key range the model needs.</summary>
public static class ActivityModelSchema
{
    /// <summary>A schema definition for <see cref="ActivityInput"/>: features as a fixed-size vector.</summary>
    public static SchemaDefinition Input()
    {
        var definition = SchemaDefinition.Create(typeof(ActivityInput));
        definition[nameof(ActivityInput.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, ActivityFeatures.Count);
        return definition;
    }

    /// <summary>
    /// Maps class names to keys in taxonomy order, whatever classes the data hold, so that score slot
    /// <c>i</c> is always <see cref="ActivityClass"/> <c>i</c>.
    /// </summary>
    public static IEstimator<ITransformer> MapLabel(MLContext ml)
    {
        ArgumentNullException.ThrowIfNull(ml);
        var keys = ml.Data.LoadFromEnumerable(ActivityTaxonomy.Names.Select(n => new ClassName { Label = n }));
        return ml.Transforms.Conversion.MapValueToKey(nameof(ActivityInput.Label), keyData: keys);
    }

    /// <summary>A schema definition for <see cref="ActivityOutput"/>.</summary>
    public static SchemaDefinition Output()
    {
        var definition = SchemaDefinition.Create(typeof(ActivityOutput));
        definition[nameof(ActivityOutput.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, ActivityTaxonomy.Count);
        return definition;
    }

    /// <summary>An ML.NET data view of labelled windows.</summary>
    public static IDataView Load(MLContext ml, IEnumerable<LabelledWindow> windows)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(windows);
        return ml.Data.LoadFromEnumerable(
            windows.Select(w => new ActivityInput { Label = ActivityTaxonomy.Name(w.Label), Features = w.Features }),
            Input());
    }

    /// <summary>An ML.NET data view of labelled windows for training, each with its weight.</summary>
    public static IDataView LoadForTraining(MLContext ml, IEnumerable<LabelledWindow> windows, Func<LabelledWindow, float> weight)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(weight);
        var definition = SchemaDefinition.Create(typeof(ActivityTrainingInput));
        definition[nameof(ActivityTrainingInput.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, ActivityFeatures.Count);
        return ml.Data.LoadFromEnumerable(
            windows.Select(w => new ActivityTrainingInput { Label = ActivityTaxonomy.Name(w.Label), Features = w.Features, Weight = weight(w) }),
            definition);
    }

    private sealed class ClassName
    {
        public string Label { get; set; } = string.Empty;
    }
}
