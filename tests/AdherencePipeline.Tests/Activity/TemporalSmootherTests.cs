using AdherencePipeline.Activity;

namespace AdherencePipeline.Tests.Activity;

public sealed class TemporalSmootherTests
{
    private static float[] P(int k, int hot, float p = 0.6f)
    {
        var v = Enumerable.Repeat((1 - p) / (k - 1), k).ToArray();
        v[hot] = p;
        return v;
    }

    [Fact]
    public void Learn_CountsTransitionsWithPseudoCounts()
    {
        ActivityClass[] sequence = [ActivityClass.Rest, ActivityClass.Rest, ActivityClass.Rest, ActivityClass.Walking];

        var smoother = TemporalSmoother.Learn([sequence], 2);

        // From rest: 2 stays + 1, 1 change + 1 → 3/5, 2/5; from walking: only pseudo-counts.
        Assert.Equal(0.6, smoother.Transitions[0][0], 12);
        Assert.Equal(0.4, smoother.Transitions[0][1], 12);
        Assert.Equal(0.5, smoother.Transitions[1][0], 12);
    }

    [Fact]
    public void Viterbi_IsolatedDisagreeingWindow_IsOverruledBySticky()
    {
        var smoother = new TemporalSmoother([[0.98, 0.02], [0.02, 0.98]]);
        float[][] p = [P(2, 0), P(2, 0), P(2, 1), P(2, 0), P(2, 0)];

        Assert.Equal([0, 0, 0, 0, 0], smoother.Viterbi(p));
        Assert.Equal([0, 0, 0, 0, 0], smoother.FilterAll(p));
    }

    [Fact]
    public void Viterbi_LastingChange_IsFollowed()
    {
        var smoother = new TemporalSmoother([[0.9, 0.1], [0.1, 0.9]]);
        float[][] p = [P(2, 0, 0.9f), P(2, 0, 0.9f), P(2, 1, 0.9f), P(2, 1, 0.9f), P(2, 1, 0.9f)];

        Assert.Equal([0, 0, 1, 1, 1], smoother.Viterbi(p));
    }

    [Fact]
    public void Constructor_RowNotSummingToOne_Throws() =>
        Assert.Throws<ArgumentException>(() => new TemporalSmoother([[0.5, 0.4], [0.5, 0.5]]));
}
