using AdherencePipeline.Signal;

namespace AdherencePipeline.Activity;

/// <summary>
/// The classifier's inputs: the acceleration features of <see cref="WindowFeatures"/>, in schema
/// order. Heart rate is left out on purpose: a model that needed it would fail whenever a strap slips.
/// Features tied to the sensor's own x/y/z axes are left out too: every device mounts its axes
/// differently, and a model that learnt one device's axes does not transfer to another chest strap.
/// The skewness and kurtosis of the acceleration are left out as well: they measure how sharply a
/// footfall reaches the sensor, which depends on the device and how it sits on the body more than on
/// the activity.
/// </summary>
public static class ActivityFeatures
{
    /// <summary>Acceleration features the classifier does not read, because they depend on how the device's axes are mounted.</summary>
    public static IReadOnlyList<string> AxisBound { get; } =
        ["x_mean", "x_sd", "y_mean", "y_sd", "z_mean", "z_sd", "inclination_x_deg", "inclination_y_deg", "inclination_z_deg"];

    /// <summary>Acceleration features the classifier does not read, because their shape depends on the device and its fit.</summary>
    public static IReadOnlyList<string> DeviceBound { get; } = ["mag_skewness", "mag_kurtosis", "vertical_skewness", "vertical_kurtosis"];

    private static readonly int[] Indices = FindIndices();

    /// <summary>Names of the features the classifier reads, in input order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Indices.Select(i => WindowFeatures.Schema[i].Name)];

    /// <summary>Number of classifier inputs.</summary>
    public static int Count => Indices.Length;

    /// <summary>Copies the classifier's inputs out of a full feature vector (<see cref="WindowFeatures.Count"/> long).</summary>
    public static void Select(ReadOnlySpan<float> windowFeatures, Span<float> output)
    {
        if (windowFeatures.Length != WindowFeatures.Count)
        {
            throw new ArgumentException($"A window's feature vector holds {WindowFeatures.Count} values, not {windowFeatures.Length}.", nameof(windowFeatures));
        }

        if (output.Length != Indices.Length)
        {
            throw new ArgumentException($"The output must hold {Indices.Length} values.", nameof(output));
        }

        for (var i = 0; i < Indices.Length; i++)
        {
            output[i] = windowFeatures[Indices[i]];
        }
    }

    /// <summary>The classifier's inputs of a full feature vector, as a new array.</summary>
    public static float[] Select(ReadOnlySpan<float> windowFeatures)
    {
        var output = new float[Indices.Length];
        Select(windowFeatures, output);
        return output;
    }

    private static int[] FindIndices()
    {
        var indices = new List<int>();
        for (var i = 0; i < WindowFeatures.Schema.Count; i++)
        {
            if (WindowFeatures.Schema[i].Group == FeatureGroup.Acceleration && !AxisBound.Contains(WindowFeatures.Schema[i].Name) && !DeviceBound.Contains(WindowFeatures.Schema[i].Name))
            {
                indices.Add(i);
            }
        }

        return [.. indices];
    }
}
