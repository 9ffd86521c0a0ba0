using AdherencePipeline.Signal;

namespace AdherencePipeline.Tests.Signal;

public sealed class BiquadCascadeTests
{
    [Fact]
    public void ResetTo_ConstantInput_OutputStaysExactlyAtTheValue()
    {
        var filter = BiquadCascade.ButterworthLowPass(0.3, 25, 2);
        filter.ResetTo(0.98);

        for (var i = 0; i < 1_000; i++)
        {
            Assert.Equal(0.98, filter.Process(0.98), 9);
        }
    }

    [Theory]
    [InlineData(1.0, 0.99, 1.01)]
    [InlineData(20.0, 0.0, 0.1)]
    public void ButterworthLowPass_SineAt50Hz_PassesBelowAndStopsAboveTheCutoff(double frequencyHz, double minGain, double maxGain)
    {
        var filter = BiquadCascade.ButterworthLowPass(10, 50);
        var peak = 0.0;
        for (var i = 0; i < 50 * 20; i++)
        {
            var y = filter.Process(Math.Sin(2 * Math.PI * frequencyHz * i / 50));
            if (i >= 50 * 10)
            {
                peak = Math.Max(peak, Math.Abs(y));
            }
        }

        Assert.InRange(peak, minGain, maxGain);
    }

    [Fact]
    public void ButterworthLowPass_CutoffAboveNyquist_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BiquadCascade.ButterworthLowPass(13, 25));
    }
}
