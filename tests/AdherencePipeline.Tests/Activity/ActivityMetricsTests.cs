using AdherencePipeline.Activity;

namespace AdherencePipeline.Tests.Activity;

public sealed class ActivityMetricsTests
{
    [Fact]
    public void Compute_HandWorkedExample_GivesThePrecisionRecallAndMacroF1()
    {
        ActivityClass[] truth = [ActivityClass.Rest, ActivityClass.Rest, ActivityClass.Rest, ActivityClass.Walking, ActivityClass.Walking];
        ActivityClass[] predicted = [ActivityClass.Rest, ActivityClass.Rest, ActivityClass.Walking, ActivityClass.Walking, ActivityClass.Running];
        string[] subjects = ["a", "a", "b", "b", "b"];

        var m = ActivityMetrics.Compute(truth, predicted, subjects);

        Assert.Equal(0.6, m.Accuracy, 12);
        Assert.Equal(1.0, m.PerClass["rest"].Precision, 12);
        Assert.Equal(2.0 / 3, m.PerClass["rest"].Recall, 12);
        Assert.Equal(0.5, m.PerClass["walking"].F1, 12);
        // Running has no support: it is in the confusion matrix, not in the average.
        Assert.False(m.PerClass.ContainsKey("running"));
        Assert.Equal((0.8 + 0.5) / 2, m.MacroF1, 12);
        Assert.Equal(["rest", "walking", "running"], m.ConfusionLabels);
        Assert.Equal([0, 1, 1], m.Confusion[1]);
        Assert.Equal(1.0, m.PerSubject["a"], 12);
        Assert.Equal(1.0 / 3, m.PerSubject["b"], 12);
    }
}
