using System.Text.Json.Nodes;
using AdherencePipeline.Activity;
using AdherencePipeline.Signal;

namespace AdherencePipeline.Tests.Activity;

[Collection(ActivityData.Name)]
public sealed class ActivityModelTests(ActivityFixture data) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("activity-model-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string SaveSmallModel(string name = "model.zip")
    {
        var path = Path.Combine(_folder, name);
        data.Model.Save(path, [new TrainingFile("subject1.csv.gz", new string('a', 64))], null);
        return path;
    }

    [Fact]
    public void CrossValidate_ThreeRealSubjects_ReachesASaneMacroF1WithoutLeakingSubjects()
    {
        var result = ActivityEvaluation.CrossValidate(data.Windows, ActivityFixture.Small);

        Assert.Equal(3, result.Folds.Count);
        Assert.Equal(data.Windows.Count, result.Raw.Windows);
        Assert.Equal(10, result.Raw.PerClass.Count);
        Assert.InRange(result.Raw.MacroF1, 0.75, 1.0);
        Assert.All(result.Folds, f => Assert.InRange(f.MacroF1, 0.6, 1.0));
        Assert.InRange(result.Viterbi.MacroF1, result.Raw.MacroF1 - 0.05, 1.0);
    }

    [Fact]
    public void CrossValidate_WithReferenceLabels_ScoresThemWithTheSameFoldModels()
    {
        // The reference: subject 3's windows, every one relabelled rest.
        var reference = data.Windows.Where(w => w.Subject.EndsWith("subject3", StringComparison.Ordinal)).Select(w => w with { Label = ActivityClass.Rest }).ToList();

        var result = ActivityEvaluation.CrossValidate(data.Windows, ActivityFixture.Small, reference: reference);

        Assert.NotNull(result.Reference);
        var fold = Assert.Single(result.Reference.Folds);
        Assert.EndsWith("subject3", fold.Subject, StringComparison.Ordinal);
        Assert.Equal(reference.Count, result.Reference.Raw.Windows);

        // Subject 3's fold model is trained on subjects 1 and 2 with the fixture's options, as the fixture's model is.
        var expected = ActivityEvaluation.Evaluate(data.Model, reference).Raw.Accuracy;
        Assert.Equal(expected, result.Reference.Raw.Accuracy, tolerance: 0.02);
        Assert.InRange(result.Reference.Raw.Accuracy, 0.05, 0.6);
    }

    [Fact]
    public void Evaluate_HeldOutSubject_ScoresWellAboveChance()
    {
        var held = data.Windows.Where(w => w.Subject.EndsWith("subject3", StringComparison.Ordinal)).ToList();

        var result = ActivityEvaluation.Evaluate(data.Model, held);

        Assert.Equal(held.Count, result.Raw.Windows);
        Assert.InRange(result.Raw.Accuracy, 0.6, 1.0);
    }

    [Fact]
    public void SaveAndLoad_ModelCard_RoundTripsAndPredictsTheSame()
    {
        var path = SaveSmallModel();

        var loaded = ActivityModel.Load(path);

        var card = loaded.Card;
        Assert.Equal(ActivityTaxonomy.Names, card.Classes);
        Assert.Equal(ActivityFeatures.Names, card.FeatureNames);
        Assert.Equal(WindowFeatures.SchemaHash, card.FeatureSchemaHash);
        Assert.Equal("lightgbm", card.Trainer.Name);
        Assert.Equal(30, card.Trainer.HyperParameters["iterations"]);
        Assert.Equal(ActivityModel.HashFile(path), card.ModelSha256);
        Assert.Equal(card.ModelSha256[..12], loaded.Version);
        Assert.Single(card.TrainingFiles);
        Assert.Equal(data.Model.Smoother.Transitions, loaded.Smoother.Transitions);
        var sample = data.Windows.Where((_, i) => i % 97 == 0).Select(w => w.Features).ToList();
        Assert.Equal(data.Model.PredictBatch(sample), loaded.PredictBatch(sample));
    }

    [Fact]
    public void SaveAndLoad_LabelAlignment_IsKeptInTheCardWithEveryShift()
    {
        var path = Path.Combine(_folder, "aligned.zip");
        var alignment = new LabelAlignmentSummary("test", LabelAlignment.MaximumShiftSeconds,
            new Dictionary<string, int> { ["chest-accel-casale/participant02"] = 50, ["chest-accel-casale/participant08"] = 63 });

        data.Model.Save(path, [], null, alignment);

        var card = ActivityModel.Load(path).Card;
        Assert.NotNull(card.LabelAlignment);
        Assert.Equal(120, card.LabelAlignment.MaximumShiftSeconds);
        Assert.Equal(63, card.LabelAlignment.ShiftSeconds["chest-accel-casale/participant08"]);
        Assert.Equal(2, card.LabelAlignment.ShiftSeconds.Count);
        Assert.Null(ActivityModel.Load(SaveSmallModel()).Card.LabelAlignment);
    }

    [Fact]
    public void Load_CardWithAnotherFeatureSchema_IsRefusedWithRetrainAdvice()
    {
        var path = SaveSmallModel();
        var cardPath = ActivityModelCard.PathFor(path);
        var card = JsonNode.Parse(File.ReadAllText(cardPath))!;
        card["feature_schema_hash"] = "0123456789abcdef";
        File.WriteAllText(cardPath, card.ToJsonString());

        var ex = Assert.Throws<ActivityModelException>(() => ActivityModel.Load(path));

        Assert.Contains("feature schema 0123456789abcdef", ex.Message, StringComparison.Ordinal);
        Assert.Contains("retrain", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DamagedModelFile_IsRefusedAsDamaged()
    {
        var path = SaveSmallModel();
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<ActivityModelException>(() => ActivityModel.Load(path));

        Assert.Contains("damaged", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ModelWithoutCard_IsRefused()
    {
        var path = SaveSmallModel();
        File.Delete(ActivityModelCard.PathFor(path));

        var ex = Assert.Throws<ActivityModelException>(() => ActivityModel.Load(path));

        Assert.Contains("has no card", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_GarbageThatMatchesItsCard_IsRefusedByTheModelReader()
    {
        var path = SaveSmallModel();
        File.WriteAllBytes(path, [1, 2, 3, 4]);
        var cardPath = ActivityModelCard.PathFor(path);
        var card = JsonNode.Parse(File.ReadAllText(cardPath))!;
        card["model_sha256"] = ActivityModel.HashFile(path);
        File.WriteAllText(cardPath, card.ToJsonString());

        var ex = Assert.Throws<ActivityModelException>(() => ActivityModel.Load(path));

        Assert.Contains("cannot read", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReload_NewFileIsCorrupt_KeepsTheOldModel()
    {
        var path = SaveSmallModel();
        using var source = new ActivityModelSource(path);
        var before = source.Current;
        File.WriteAllBytes(path, [0x50, 0x4B, 0, 0]);

        var swapped = source.TryReload(out var error);

        Assert.False(swapped);
        Assert.Contains("damaged", error, StringComparison.Ordinal);
        Assert.Same(before, source.Current);
    }

    [Fact]
    public void TryReload_AnotherValidModel_SwapsToIt()
    {
        var path = SaveSmallModel();
        using var source = new ActivityModelSource(path);
        var before = source.Current.Version;
        var other = ActivityTrainer.Train([.. data.Windows.Where((_, i) => i % 3 == 0)], ActivityFixture.Small with { Iterations = 5 });
        other.Save(path, [], null);

        Assert.True(source.TryReload(out _));
        Assert.NotEqual(before, source.Current.Version);
    }

    [Fact]
    public void Predict_FromManyThreads_MatchesTheBatch()
    {
        var features = data.Windows.Where((_, i) => i % 11 == 0).Select(w => w.Features).ToArray();
        var batch = data.Model.PredictBatch(features);
        var single = new float[features.Length][];

        Parallel.For(0, features.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => single[i] = data.Model.Predict(features[i]));

        for (var i = 0; i < features.Length; i++)
        {
            Assert.Equal(batch[i], single[i]);
        }
    }
}
