using AdherencePipeline.Activity;
using AdherencePipeline.Recordings;
using AdherencePipeline.Tests.Recordings;

namespace AdherencePipeline.Tests.Activity;

/// <summary>
/// Real labelled windows of three daily-sports-torso subjects, read once, and one small model
/// (few trees) trained on two of them: enough for real assertions, fast enough for every build.
/// </summary>
public sealed class ActivityFixture
{
    public static readonly ActivityTrainerOptions Small = new() { Iterations = 30, Leaves = 8 };

    public ActivityFixture()
    {
        var windows = new List<LabelledWindow>();
        foreach (var subject in new[] { "subject1", "subject2", "subject3" })
        {
            windows.AddRange(WindowLabeller.Label(RecordingReader.Open(SharedData.File("daily-sports-torso", subject + ".csv.gz"))));
        }

        Windows = windows;
        Model = ActivityTrainer.Train([.. windows.Where(w => !w.Subject.EndsWith("subject3", StringComparison.Ordinal))], Small);
    }

    public IReadOnlyList<LabelledWindow> Windows { get; }

    /// <summary>Trained on subjects 1 and 2.</summary>
    public ActivityModel Model { get; }
}

[CollectionDefinition(Name)]
public sealed class ActivityData : ICollectionFixture<ActivityFixture>
{
    public const string Name = "activity data";
}
