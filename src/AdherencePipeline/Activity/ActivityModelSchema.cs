using Microsoft.ML;
using Microsoft.ML.Data;

namespace AdherencePipeline.Activity;

/// <summary>One row for ML.NET: the classifier's inputs and, in training, the class as a 1-based key (0 = unknown).</summary>
public sealed class ActivityInput
{
    /// <summary>The class key: <see cref="ActivityClass"/> + 1; 0 when unknown (prediction).</summary>
    public uint Label { get; set; }

    /// <summary>The classifier's inputs (<see cref="ActivityFeatures.Names"/>).</summary>
    public float[] Features { get; set; } = [];
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
    /// <summary>A schema definition for <see cref="ActivityInput"/>: features as a fixed-size vector, label as a key over the classes.</summary>
    public static SchemaDefinition Input()
    {
        var definition = SchemaDefinition.Create(typeof(ActivityInput));
        definition[nameof(ActivityInput.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, ActivityFeatures.Count);
        definition[nameof(ActivityInput.Label)].ColumnType = new KeyDataViewType(typeof(uint), ActivityTaxonomy.Count);
        return definition;
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
            windows.Select(w => new ActivityInput { Label = (uint)w.Label + 1, Features = w.Features }),
            Input());
    }
}
