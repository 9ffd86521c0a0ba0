using System.Text;
using AdherencePipeline.Service.Monitoring;

namespace AdherencePipeline.Service.Tests.Monitoring;

public sealed class PrometheusTextTests
{
    [Fact]
    public void AppendSample_LabelValueWithBackslashQuoteAndLineFeed_EscapesEachAsTheFormatRequires()
    {
        var text = new StringBuilder();

        PrometheusText.AppendSample(text, "adherence_decode_faults_total", [new("kind", "a\\b\"c\nd"), new("model", "polar-h10")], 3);

        Assert.Equal("adherence_decode_faults_total{kind=\"a\\\\b\\\"c\\nd\",model=\"polar-h10\"} 3\n", text.ToString());
    }

    [Fact]
    public void Parse_SampleWrittenWithEscapedLabels_ReadsBackTheSameLabelsAndValue()
    {
        var text = new StringBuilder("# HELP m Help.\n# TYPE m counter\n");
        PrometheusText.AppendSample(text, "m", [new("a", "x\\\"y\n,z}"), new("b", "")], 0.25);

        var sample = Assert.Single(PrometheusText.Parse(text.ToString()));

        Assert.Equal("m", sample.Name);
        Assert.Equal("x\\\"y\n,z}", sample.Labels["a"]);
        Assert.Equal("", sample.Labels["b"]);
        Assert.Equal(0.25, sample.Value);
    }

    [Fact]
    public void AppendSample_NoLabels_WritesNameAndValueOnly()
    {
        var text = new StringBuilder();

        PrometheusText.AppendSample(text, "adherence_spool_batches", [], 12);

        Assert.Equal("adherence_spool_batches 12\n", text.ToString());
    }

    [Theory]
    [InlineData("adherence.frames", "{frame}", true, "adherence_frames_total")]
    [InlineData("adherence.influx.write_duration", "s", false, "adherence_influx_write_duration_seconds")]
    [InlineData("adherence.spool.size", "By", false, "adherence_spool_size_bytes")]
    [InlineData("adherence.spool.oldest_age_seconds", "s", false, "adherence_spool_oldest_age_seconds")]
    [InlineData("adherence.points-written", "", true, "adherence_points_written_total")]
    [InlineData("9lives", null, false, "_9lives")]
    public void MetricName_Instrument_FollowsPrometheusNaming(string instrument, string? unit, bool counter, string expected) =>
        Assert.Equal(expected, PrometheusText.MetricName(instrument, unit, counter));

    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(0.1, "0.1")]
    [InlineData(1843.0, "1843")]
    [InlineData(2.5e-7, "2.5E-07")]
    public void Number_Value_IsWrittenInTheFormsPrometheusReads(double value, string expected) =>
        Assert.Equal(expected, PrometheusText.Number(value));

    [Fact]
    public void AppendHelp_BackslashAndLineFeed_AreEscapedQuotesAreNot()
    {
        var text = new StringBuilder();

        PrometheusText.AppendHelp(text, "m", "a \"quoted\" C:\\path\nsecond line");

        Assert.Equal("# HELP m a \"quoted\" C:\\\\path\\nsecond line\n", text.ToString());
    }

    [Fact]
    public void Parse_UnterminatedLabelValue_NamesTheLine()
    {
        var ex = Assert.Throws<FormatException>(() => PrometheusText.Parse("# TYPE m gauge\nm{a=\"x} 1\n"));

        Assert.StartsWith("Line 2:", ex.Message, StringComparison.Ordinal);
    }
}
