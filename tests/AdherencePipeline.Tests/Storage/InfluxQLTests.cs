using AdherencePipeline.Storage;

namespace AdherencePipeline.Tests.Storage;

public sealed class InfluxQLTests
{
    [Theory]
    [InlineData("adherence", "\"adherence\"")]
    [InlineData("with space", "\"with space\"")]
    [InlineData("x\" ; DROP DATABASE \"y", "\"x\\\" ; DROP DATABASE \\\"y\"")]
    [InlineData("back\\slash", "\"back\\\\slash\"")]
    public void Identifier_QuotesAndEscapes(string name, string expected)
    {
        Assert.Equal(expected, InfluxQL.Identifier(name));
    }

    [Theory]
    [InlineData("P001", "'P001'")]
    [InlineData("x' OR 1=1 --", "'x\\' OR 1=1 --'")]
    [InlineData("a\\b", "'a\\\\b'")]
    [InlineData("two\nlines", "'two\\nlines'")]
    public void StringLiteral_QuotesAndEscapes(string value, string expected)
    {
        Assert.Equal(expected, InfluxQL.StringLiteral(value));
    }

    [Fact]
    public void Identifier_Empty_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => InfluxQL.Identifier(""));
    }
}
