using System.Buffers;
using System.Globalization;
using System.Text;

namespace AdherencePipeline.Storage;

/// <summary>
/// InfluxDB line protocol: validation of names and values, and formatting of points as UTF-8.
/// </summary>
/// <remarks>
/// The rules are those of the InfluxDB 1.x parser, which the 2.x and 3.x parsers accept as well.
/// Commas and spaces are escaped in measurement names; commas, equals signs and spaces in tag keys,
/// tag values and field keys; double quotes and backslashes in string field values. In names and tag
/// values a backslash is literal, so a backslash at the end, before another backslash or in front of
/// a character the parser unescapes (comma, double quote, equals sign, space) cannot be expressed and
/// is rejected, as are line breaks anywhere, a measurement starting
/// with '#' (the parser would read a comment) and the reserved key <c>time</c>.
/// </remarks>
public static class LineProtocol
{
    private static readonly SearchValues<char> MeasurementSpecials = SearchValues.Create(", ");
    private static readonly SearchValues<char> KeySpecials = SearchValues.Create(",= ");
    private static readonly SearchValues<char> StringFieldSpecials = SearchValues.Create("\"\\");
    private static readonly SearchValues<char> LineBreaks = SearchValues.Create("\r\n");
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="name"/> can be a measurement name.</summary>
    public static void ValidateMeasurement(string name)
    {
        ValidateName(name, "measurement name");
        if (name[0] == '#')
        {
            throw new ArgumentException($"Measurement name '{name}' starts with '#', which line protocol reads as a comment.", nameof(name));
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="key"/> can be a tag or field key.</summary>
    public static void ValidateKey(string key, string what = "key")
    {
        ValidateName(key, what);
        if (key == "time")
        {
            throw new ArgumentException($"'time' is reserved by InfluxDB and cannot be a {what}.", nameof(key));
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="value"/> can be the value of tag <paramref name="key"/>.</summary>
    public static void ValidateTagValue(string key, string value) => ValidateName(value, $"value of tag '{key}'");

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="value"/> can be a string field value.</summary>
    public static void ValidateStringField(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.AsSpan().ContainsAny(LineBreaks) || value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"A string field cannot contain a line break or NUL: '{Printable(value)}'.", nameof(value));
        }

        if (!IsWellFormedUtf16(value))
        {
            throw new ArgumentException("A string field contains an unpaired surrogate and is not valid Unicode.", nameof(value));
        }
    }

    // The 1.x parser unescapes \, \" \= and "\ " in every name and tag value, so a literal backslash
    // in front of one of those characters cannot survive the trip.
    private const string Unescaped = ",\"= ";

    private static void ValidateName(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            throw new ArgumentException($"A {what} cannot be empty.", nameof(text));
        }

        if (text.AsSpan().ContainsAny(LineBreaks))
        {
            throw new ArgumentException($"A {what} cannot contain a line break: '{Printable(text)}'.", nameof(text));
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"A {what} cannot contain a NUL character: '{Printable(text)}'.", nameof(text));
        }

        for (var i = text.IndexOf('\\', StringComparison.Ordinal); i >= 0; i = text.IndexOf('\\', i + 1))
        {
            if (i == text.Length - 1 || Unescaped.Contains(text[i + 1], StringComparison.Ordinal) || text[i + 1] == '\\')
            {
                throw new ArgumentException(
                    $"A {what} cannot have a backslash at its end, before another backslash or before one of '{Unescaped}': '{Printable(text)}'.",
                    nameof(text));
            }
        }

        if (!IsWellFormedUtf16(text))
        {
            throw new ArgumentException($"A {what} contains an unpaired surrogate and is not valid Unicode.", nameof(text));
        }
    }

    /// <summary>Formats one point as a line, without the trailing newline.</summary>
    public static string Format(Point point)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        Write(point, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes one point as UTF-8 line protocol into <paramref name="output"/>, without the trailing newline.</summary>
    public static void Write(Point point, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(output);
        WriteEscaped(point.Measurement, MeasurementSpecials, output);
        foreach (var tag in point.Tags)
        {
            WriteByte(output, (byte)',');
            WriteEscaped(tag.Key, KeySpecials, output);
            WriteByte(output, (byte)'=');
            WriteEscaped(tag.Value, KeySpecials, output);
        }

        var separator = (byte)' ';
        foreach (var field in point.Fields)
        {
            WriteByte(output, separator);
            separator = (byte)',';
            WriteEscaped(field.Key, KeySpecials, output);
            WriteByte(output, (byte)'=');
            WriteFieldValue(field.Value, output);
        }

        WriteByte(output, (byte)' ');
        WriteFormattable(point.TimestampNs, default, output);
    }

    private static void WriteFieldValue(FieldValue value, IBufferWriter<byte> output)
    {
        switch (value.Kind)
        {
            case FieldKind.Float:
                WriteFormattable(value.AsFloat, "R", output);
                break;
            case FieldKind.Integer:
                WriteFormattable(value.AsInteger, default, output);
                WriteByte(output, (byte)'i');
                break;
            case FieldKind.Boolean:
                WriteUtf8(value.AsBoolean ? "true"u8 : "false"u8, output);
                break;
            default:
                WriteByte(output, (byte)'"');
                WriteEscaped(value.AsString, StringFieldSpecials, output);
                WriteByte(output, (byte)'"');
                break;
        }
    }

    private static void WriteEscaped(string text, SearchValues<char> specials, IBufferWriter<byte> output)
    {
        var remaining = text.AsSpan();
        while (!remaining.IsEmpty)
        {
            var next = remaining.IndexOfAny(specials);
            var plain = next < 0 ? remaining : remaining[..next];
            if (!plain.IsEmpty)
            {
                var span = output.GetSpan(Utf8.GetMaxByteCount(plain.Length));
                output.Advance(Utf8.GetBytes(plain, span));
            }

            if (next < 0)
            {
                break;
            }

            var escaped = output.GetSpan(2);
            escaped[0] = (byte)'\\';
            escaped[1] = (byte)remaining[next];
            output.Advance(2);
            remaining = remaining[(next + 1)..];
        }
    }

    private static void WriteFormattable<T>(T value, ReadOnlySpan<char> format, IBufferWriter<byte> output)
        where T : IUtf8SpanFormattable
    {
        var span = output.GetSpan(32);
        if (!value.TryFormat(span, out var written, format, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("A number did not fit in 32 bytes.");
        }

        output.Advance(written);
    }

    private static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    private static void WriteUtf8(ReadOnlySpan<byte> bytes, IBufferWriter<byte> output)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    private static bool IsWellFormedUtf16(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static string Printable(string text) =>
        text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal);
}
