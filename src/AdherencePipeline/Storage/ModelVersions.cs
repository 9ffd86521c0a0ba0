namespace AdherencePipeline.Storage;

/// <summary>
/// The one rule by which readers choose among the results of several activity models: a query sees
/// one model version's <c>activity</c>, <c>bout</c>, <c>session</c> and <c>adherence</c> points, plus
/// untagged points written before results carried a version.
/// </summary>
public static class ModelVersions
{
    /// <summary>The tag that names the model of a derived point.</summary>
    public const string Tag = "model_version";

    /// <summary>What a reader passes to see every version's points side by side.</summary>
    public const string All = "all";

    /// <summary>Whether points of <paramref name="measurement"/> carry <see cref="Tag"/>.</summary>
    public static bool IsVersioned(string measurement) => measurement is "activity" or "bout" or "session" or "adherence";

    /// <summary>
    /// The InfluxQL condition selecting <paramref name="modelVersion"/>'s points and untagged ones, with
    /// the version bound as <c>$model_version</c> in <paramref name="parameters"/>; null when
    /// <paramref name="modelVersion"/> is null or <see cref="All"/> (no filter).
    /// </summary>
    public static string? Condition(string? modelVersion, IDictionary<string, object?> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (modelVersion is null || modelVersion == All)
        {
            return null;
        }

        parameters["model_version"] = modelVersion;
        // A tag a point does not have compares equal to the empty string in InfluxQL.
        return "(\"model_version\" = $model_version OR \"model_version\" = '')";
    }
}
