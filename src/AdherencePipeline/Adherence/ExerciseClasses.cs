namespace AdherencePipeline.Adherence;

/// <summary>
/// The exercise classes of the activity taxonomy, by their stable names. A prescription names the
/// classes that count towards it; <see cref="Rest"/> never counts.
/// </summary>
public static class ExerciseClasses
{
    /// <summary>Not exercising.</summary>
    public const string Rest = "rest";

    /// <summary>Every class name, in taxonomy order.</summary>
    public static IReadOnlyList<string> All => Activity.ActivityTaxonomy.Names;

    /// <summary>Whether <paramref name="name"/> is a class of the taxonomy (exact, lower-case).</summary>
    public static bool IsKnown(string name) => All.Contains(name, StringComparer.Ordinal);
}
