using AdherencePipeline.Storage;

namespace AdherencePipeline.Tests.Storage;

public sealed class LineProtocolTests
{
    [Fact]
    public void Format_AllFieldTypes_WritesTypedValuesAndNanosecondTimestamp()
    {
        var point = Point.For("session")
            .Tag("participant", "P001")
            .Field("minutes", 31.5)
            .Field("bouts", 3L)
            .Field("complete", true)
            .Field("note", "ok")
            .At(1_700_000_000_123_456_789);

        Assert.Equal("session,participant=P001 minutes=31.5,bouts=3i,complete=true,note=\"ok\" 1700000000123456789", point.ToString());
    }

    [Fact]
    public void Format_TagsGivenOutOfOrder_WritesThemSortedByKey()
    {
        var point = Point.For("m").Tag("site", "b").Tag("arm", "a").Tag("participant", "c").Field("v", 1.0).At(0);

        Assert.Equal("m,arm=a,participant=c,site=b v=1 0", point.ToString());
    }

    [Theory]
    [InlineData("my measurement", "my\\ measurement")]
    [InlineData("a,b", "a\\,b")]
    [InlineData("a=b", "a=b")]
    [InlineData("quote\"d", "quote\"d")]
    public void Format_SpecialCharactersInMeasurement_AreEscaped(string name, string expected)
    {
        Assert.Equal($"{expected} v=1 0", Point.For(name).Field("v", 1.0).At(0).ToString());
    }

    [Theory]
    [InlineData("a b", "a\\ b")]
    [InlineData("a,b", "a\\,b")]
    [InlineData("a=b", "a\\=b")]
    [InlineData("a\"b", "a\"b")]
    [InlineData("back\\slash", "back\\slash")]
    public void Format_SpecialCharactersInTagsAndFieldKeys_AreEscaped(string text, string expected)
    {
        var point = Point.For("m").Tag(text, text).Field(text + "f", 1.0).At(0);

        Assert.Equal($"m,{expected}={expected} {expected}f=1 0", point.ToString());
    }

    [Theory]
    [InlineData("say \"hi\"", "say \\\"hi\\\"")]
    [InlineData("C:\\path", "C:\\\\path")]
    [InlineData("ends\\", "ends\\\\")]
    [InlineData("a, b = c", "a, b = c")]
    public void Format_StringField_EscapesQuotesAndBackslashesOnly(string value, string expected)
    {
        Assert.Equal($"m s=\"{expected}\" 0", Point.For("m").Field("s", value).At(0).ToString());
    }

    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(-0.25, "-0.25")]
    [InlineData(1e20, "1E+20")]
    [InlineData(1.5e-7, "1.5E-07")]
    [InlineData(0.1, "0.1")]
    public void Format_Float_UsesRoundTripInvariantFormat(double value, string expected)
    {
        Assert.Equal($"m v={expected} 0", Point.For("m").Field("v", value).At(0).ToString());
    }

    [Fact]
    public void Format_IntegerExtremes_WrittenWithSuffix()
    {
        Assert.Equal($"m a={long.MinValue}i,b={long.MaxValue}i 0", Point.For("m").Field("a", long.MinValue).Field("b", long.MaxValue).At(0).ToString());
    }

    [Fact]
    public void Format_Unicode_WrittenAsUtf8()
    {
        var point = Point.For("schmerz").Tag("ort", "Zürich 東京").Field("v", 1.0).At(0);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();

        LineProtocol.Write(point, buffer);

        Assert.Equal("schmerz,ort=Zürich\\ 東京 v=1 0"u8.ToArray(), buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Tag_EmptyValue_IsLeftOut()
    {
        Assert.Equal("m v=1 0", Point.For("m").Tag("site", "").Tag("arm", null).Field("v", 1.0).At(0).ToString());
    }

    [Theory]
    [InlineData("line\nbreak")]
    [InlineData("carriage\rreturn")]
    [InlineData("ends with backslash\\")]
    [InlineData("backslash\\ before space")]
    [InlineData("backslash\\,before comma")]
    [InlineData("backslash\\=before equals")]
    [InlineData("backslash\\\"before quote")]
    [InlineData("double\\\\backslash")]
    [InlineData("nul\0")]
    public void Tag_InexpressibleValue_IsRejectedWithReason(string value)
    {
        var ex = Assert.Throws<ArgumentException>(() => Point.For("m").Tag("k", value));

        Assert.Contains("value of tag 'k'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tag_UnpairedSurrogate_IsRejectedAsInvalidUnicode()
    {
        var value = "unpaired " + '\uD800' + " surrogate";

        var ex = Assert.Throws<ArgumentException>(() => Point.For("m").Tag("k", value));

        Assert.Contains("not valid Unicode", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_Empty_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => Point.For(""));
        Assert.Throws<ArgumentException>(() => Point.For("m").Tag("", "x"));
        Assert.Throws<ArgumentException>(() => Point.For("m").Field("", 1.0));
    }

    [Fact]
    public void Measurement_StartingWithHash_IsRejectedBecauseItReadsAsComment()
    {
        var ex = Assert.Throws<ArgumentException>(() => Point.For("#m"));

        Assert.Contains("comment", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_NamedTime_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => Point.For("m").Tag("time", "x"));
        Assert.Throws<ArgumentException>(() => Point.For("m").Field("time", 1.0));
    }

    [Fact]
    public void StringField_WithLineBreak_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => FieldValue.String("two\nlines"));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void FloatField_NotFinite_IsRejected(double value)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FieldValue.Float(value));
    }

    [Fact]
    public void StringField_OverSixtyFourKilobytes_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FieldValue.String(new string('x', FieldValue.MaxStringBytes + 1)));
    }

    [Fact]
    public void Point_WithoutFields_IsRejected()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Point.For("m").Tag("a", "b").At(0));

        Assert.Contains("at least one field", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Point_SameKeyTwice_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => Point.For("m").Field("v", 1.0).Field("v", 2.0));
        Assert.Throws<ArgumentException>(() => Point.For("m").Tag("t", "a").Tag("t", "b"));
        Assert.Throws<InvalidOperationException>(() => Point.For("m").Tag("x", "a").Field("x", 1.0).At(0));
    }

    [Fact]
    public void Point_TimestampOutsideInfluxRange_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Point.For("m").Field("v", 1.0).At(long.MaxValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => Point.For("m").Field("v", 1.0).At(long.MinValue));
    }

    [Fact]
    public void ToTimestampNs_UtcInstant_CountsNanosecondsSinceEpoch()
    {
        var instant = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.FromHours(1)).AddTicks(1);

        var ns = Point.ToTimestampNs(instant);

        Assert.Equal(1_795_604_400_000_000_100, ns);
        Assert.Equal(instant, Point.FromTimestampNs(ns));
    }
}
