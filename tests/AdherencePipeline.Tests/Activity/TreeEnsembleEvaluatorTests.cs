using AdherencePipeline.Activity;
using AdherencePipeline.Recordings;
using AdherencePipeline.Signal;
using AdherencePipeline.Testing;
using AdherencePipeline.Tests.Recordings;

namespace AdherencePipeline.Tests.Activity;

/// <summary>
/// The flattened trees against ML.NET itself: same class, same probabilities bit for bit, on every
/// window of real recordings (complete or not), and on inputs with NaN, infinities and extremes.
/// </summary>
[Collection(ActivityData.Name)]
public sealed class TreeEnsembleEvaluatorTests(ActivityFixture data)
{
    private static readonly Lazy<ActivityModel> Shipped = new(() => ActivityModel.Load(RepositoryRoot.Combine("data", "models", "activity.zip")));

    /// <summary>The classifier inputs of every window the pipeline cuts from the recordings in a file.</summary>
    private static List<float[]> AllWindows(string path)
    {
        var inputs = new List<float[]>();
        var features = new WindowFeatures();
        var f = new float[WindowFeatures.Count];
        foreach (var raw in RecordingReader.Open(path))
        {
            var recording = RecordingCalibration.Calibrate(raw).Recording;
            var acc = recording.Accelerometer;
            var windows = new List<AccelerationWindow>();
            new AccelerationProcessor(25).Process(acc.TimestampNs.Span, acc.XG.Span, acc.YG.Span, acc.ZG.Span, windows, []);
            foreach (var w in windows)
            {
                features.Extract(w, [], null, f);
                inputs.Add(ActivityFeatures.Select(f));
            }
        }

        return inputs;
    }

    private static void AssertSameAsMLNet(ActivityModel model, List<float[]> inputs)
    {
        Assert.Null(model.TreeEvaluatorUnavailableReason);
        var expected = model.PredictBatchWithMLNet(inputs);
        var actual = new float[ActivityTaxonomy.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            model.Predict(inputs[i], actual);
            Assert.True(expected[i].AsSpan().SequenceEqual(actual), $"window {i}: ML.NET [{string.Join(", ", expected[i])}], flattened [{string.Join(", ", actual)}]");
        }
    }

    [Fact]
    public void Predict_ShippedModel_EveryWindowOfAnHourLongChestStrapRecording_BitForBitAsMLNet()
    {
        var inputs = AllWindows(SharedData.File("chest-hr-hexoskin", "subject013"));

        Assert.True(inputs.Count > 1_500, $"{inputs.Count} windows");
        AssertSameAsMLNet(Shipped.Value, inputs);
    }

    [Theory]
    [InlineData("daily-sports-torso")]
    [InlineData("chest-accel-casale")]
    public void Predict_ShippedModel_EveryWindowOfItsTrainingData_BitForBitAsMLNet(string dataSet)
    {
        var files = Directory.GetFiles(SharedData.Folder(dataSet), "*.csv.gz").Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(files);

        foreach (var file in files)
        {
            AssertSameAsMLNet(Shipped.Value, AllWindows(file));
        }
    }

    [Fact]
    public void Predict_ShippedModel_ExtremeAndMissingInputs_BitForBitAsMLNet()
    {
        var random = new Random(7);
        var special = new[] { float.NaN, 0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.MinValue, float.Epsilon };
        var inputs = new List<float[]> { new float[ActivityFeatures.Count], Enumerable.Repeat(float.NaN, ActivityFeatures.Count).ToArray() };
        for (var i = 0; i < 500; i++)
        {
            inputs.Add([.. Enumerable.Range(0, ActivityFeatures.Count).Select(_ => random.Next(4) == 0 ? special[random.Next(special.Length)] : (float)(random.NextDouble() * 200 - 50))]);
        }

        AssertSameAsMLNet(Shipped.Value, inputs);
    }

    [Fact]
    public void Predict_SmallLightGbmModel_HeldOutSubject_BitForBitAsMLNet()
    {
        var inputs = data.Windows.Where(w => w.Subject.EndsWith("subject3", StringComparison.Ordinal)).Select(w => w.Features).ToList();

        AssertSameAsMLNet(data.Model, inputs);
    }

    [Fact]
    public void Predict_ModelTrainedWithMissingFeatures_SendsNaNWhereMLNetDoes()
    {
        // NaN in training makes LightGBM learn a side for missing values; ML.NET keeps it as a per-node default.
        var random = new Random(3);
        var windows = data.Windows.Where((_, i) => i % 2 == 0).Select(w => w with
        {
            Features = [.. w.Features.Select((v, f) => f % 3 == 0 && random.Next(3) == 0 ? float.NaN : v)],
        }).ToList();
        var model = ActivityTrainer.Train(windows, ActivityFixture.Small with { Iterations = 10 });
        var inputs = data.Windows.Where((_, i) => i % 2 == 1).Select(w => (float[])[.. w.Features.Select((v, f) => f % 2 == 0 && random.Next(2) == 0 ? float.NaN : v)]).ToList();

        Assert.True(model.Trees!.SendsSomeMissingLeft);
        AssertSameAsMLNet(model, inputs);
    }

    [Fact]
    public void Load_OneVersusAllFastTreeModel_FallsBackToMLNetAndSaysWhy()
    {
        var model = ActivityTrainer.Train([.. data.Windows.Where((_, i) => i % 5 == 0)], ActivityFixture.Small with { Trainer = "fasttree", Iterations = 5 });
        var inputs = data.Windows.Where((_, i) => i % 37 == 0).Select(w => w.Features).ToList();

        Assert.Contains("not softmax", model.TreeEvaluatorUnavailableReason, StringComparison.Ordinal);
        Assert.Equal("ML.NET prediction engine", model.Evaluator);
        var expected = model.PredictBatchWithMLNet(inputs);
        for (var i = 0; i < inputs.Count; i++)
        {
            Assert.Equal(expected[i], model.Predict(inputs[i]));
        }
    }

    [Fact]
    public void Predict_WrongNumberOfFeatures_Throws()
    {
        Assert.Throws<ArgumentException>(() => Shipped.Value.Predict(new float[3], new float[ActivityTaxonomy.Count]));
        Assert.Throws<ArgumentException>(() => Shipped.Value.Predict(new float[ActivityFeatures.Count], new float[3]));
    }
}
