using AdherencePipeline.Recordings;

namespace AdherencePipeline.Activity;

/// <summary>The ten activity classes, named as exercise-therapy prescriptions name them (docs/activities.md).</summary>
public enum ActivityClass
{
    /// <summary>Sitting, standing, lying: not exercise.</summary>
    Rest,

    /// <summary>Walking, level or inclined.</summary>
    Walking,

    /// <summary>Stairs, up or down.</summary>
    Stairs,

    /// <summary>Running or jogging.</summary>
    Running,

    /// <summary>Exercise bike or cycling.</summary>
    Cycling,

    /// <summary>Stepper machine.</summary>
    Stepper,

    /// <summary>Cross trainer (elliptical).</summary>
    CrossTrainer,

    /// <summary>Rowing machine.</summary>
    Rowing,

    /// <summary>Jumping.</summary>
    Jumping,

    /// <summary>Ball games such as basketball.</summary>
    BallGame,
}

/// <summary>
/// The class names and the mapping from each data set's own label ids. A label that maps to no
/// class (mixed, transitional, unknown) yields null: such samples never enter training or evaluation.
/// </summary>
public static class ActivityTaxonomy
{
    /// <summary>Stable names in <see cref="ActivityClass"/> order, as stored in model cards and InfluxDB.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["rest", "walking", "stairs", "running", "cycling", "stepper", "cross_trainer", "rowing", "jumping", "ball_game"];

    /// <summary>Number of classes.</summary>
    public static int Count => Names.Count;

    /// <summary>The stable name of <paramref name="activity"/>.</summary>
    public static string Name(ActivityClass activity) => Names[(int)activity];

    /// <summary>The class called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No class has that name.</exception>
    public static ActivityClass Parse(string name)
    {
        for (var i = 0; i < Names.Count; i++)
        {
            if (Names[i] == name)
            {
                return (ActivityClass)i;
            }
        }

        throw new ArgumentException($"'{name}' is not an activity class (known: {string.Join(", ", Names)}).", nameof(name));
    }

    /// <summary>Whether the class counts as exercise: every class but <see cref="ActivityClass.Rest"/>.</summary>
    public static bool IsExercise(ActivityClass activity) => activity != ActivityClass.Rest;

    /// <summary>Whether labels of <paramref name="source"/> can be mapped.</summary>
    public static bool IsLabelledSource(string source) =>
        source is RecordingSources.DailySportsTorso or RecordingSources.ChestAccelCasale;

    /// <summary>The class of label <paramref name="label"/> of data set <paramref name="source"/>, or null when the label is left out.</summary>
    /// <exception cref="ArgumentException">The source's labels are not mapped.</exception>
    public static ActivityClass? Map(string source, int label) => source switch
    {
        RecordingSources.DailySportsTorso => label switch
        {
            1 or 2 or 3 or 4 or 7 => ActivityClass.Rest,
            5 or 6 => ActivityClass.Stairs,
            9 or 10 or 11 => ActivityClass.Walking,
            12 => ActivityClass.Running,
            13 => ActivityClass.Stepper,
            14 => ActivityClass.CrossTrainer,
            15 or 16 => ActivityClass.Cycling,
            17 => ActivityClass.Rowing,
            18 => ActivityClass.Jumping,
            19 => ActivityClass.BallGame,
            _ => null, // 8: moving around in an elevator.
        },
        RecordingSources.ChestAccelCasale => label switch
        {
            1 or 3 or 7 => ActivityClass.Rest,
            4 or 6 => ActivityClass.Walking,
            5 => ActivityClass.Stairs,
            _ => null, // 2: mixed standing up/walking/stairs; 0: unlabelled.
        },
        _ => throw new ArgumentException($"The labels of '{source}' are not mapped to the activity classes (see docs/activities.md).", nameof(source)),
    };
}
