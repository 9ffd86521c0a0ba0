using System.Globalization;

namespace AdherencePipeline.Recordings;

/// <summary>Splits one CSV line on commas. Quoting is not supported: none of the formats read here uses it.</summary>
internal ref struct CsvFields
{
    private ReadOnlySpan<byte> _rest;
    private bool _done;

    public CsvFields(ReadOnlySpan<byte> line)
    {
        _rest = line;
        _done = false;
    }

    public bool TryNext(out ReadOnlySpan<byte> field)
    {
        if (_done)
        {
            field = default;
            return false;
        }

        var comma = _rest.IndexOf((byte)',');
        if (comma < 0)
        {
            field = _rest;
            _rest = default;
            _done = true;
            return true;
        }

        field = _rest[..comma];
        _rest = _rest[(comma + 1)..];
        return true;
    }
}

/// <summary>
/// Reads the typed fields of one data line, left to right. Every failure names the file, the line and
/// the column: a missing or empty value, text that is not a number, a number out of range, extra columns.
/// </summary>
internal ref struct CsvRow
{
    private const NumberStyles Decimal = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
    private const long NanosecondsPerSecond = 1_000_000_000;

    private readonly CsvFile _file;
    private CsvFields _fields;
    private int _column;

    public CsvRow(CsvFile file, ReadOnlySpan<byte> line)
    {
        _file = file;
        _fields = new CsvFields(line);
        _column = 0;
    }

    /// <summary>The 1-based column of the field read last.</summary>
    public readonly int Column => _column;

    /// <summary>The next field as raw bytes; it may be empty.</summary>
    public ReadOnlySpan<byte> ReadText()
    {
        _column++;
        if (!_fields.TryNext(out var field))
        {
            throw _file.Fail(_column, null, "missing value: the line has too few columns");
        }

        return field;
    }

    /// <summary>The next field as a finite double.</summary>
    public double ReadDouble()
    {
        var field = ReadValue();
        if (!double.TryParse(field, Decimal, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw NotANumber(field);
        }

        return value;
    }

    /// <summary>The next field as a finite float, parsed directly (correctly rounded to float).</summary>
    public float ReadSingle()
    {
        var field = ReadValue();
        if (!float.TryParse(field, Decimal, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value))
        {
            throw NotANumber(field);
        }

        return value;
    }

    /// <summary>The next field as a 32-bit integer.</summary>
    public int ReadInt32()
    {
        var field = ReadValue();
        if (!int.TryParse(field, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw _file.Fail(_column, null, $"'{CsvFile.Show(field)}' is not an integer");
        }

        return value;
    }

    /// <summary>The next field as a non-negative 64-bit integer (nanoseconds).</summary>
    public long ReadNonNegativeInt64()
    {
        var field = ReadValue();
        if (!long.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw _file.Fail(_column, null, $"'{CsvFile.Show(field)}' is not a non-negative integer");
        }

        return value;
    }

    /// <summary>
    /// The next field as non-negative decimal seconds (<c>12.015625</c>), converted exactly to
    /// nanoseconds; digits beyond the ninth decimal are rounded half up. No exponent, no sign.
    /// </summary>
    public long ReadSecondsAsNs()
    {
        var field = ReadValue();
        long whole = 0;
        long fraction = 0;
        var fractionDigits = 0;
        var roundUp = false;
        var seenPoint = false;
        var seenDigit = false;
        foreach (var b in field)
        {
            if (b == (byte)'.' && !seenPoint)
            {
                seenPoint = true;
                continue;
            }

            var digit = b - (byte)'0';
            if ((uint)digit > 9)
            {
                throw NotSeconds(field);
            }

            seenDigit = true;
            if (!seenPoint)
            {
                whole = (whole * 10) + digit;
                if (whole > long.MaxValue / NanosecondsPerSecond - 1)
                {
                    throw _file.Fail(_column, null, $"'{CsvFile.Show(field)}' seconds is too large");
                }
            }
            else if (fractionDigits < 9)
            {
                fraction = (fraction * 10) + digit;
                fractionDigits++;
            }
            else if (fractionDigits == 9)
            {
                roundUp = digit >= 5;
                fractionDigits++;
            }
        }

        if (!seenDigit)
        {
            throw NotSeconds(field);
        }

        for (var i = Math.Min(fractionDigits, 9); i < 9; i++)
        {
            fraction *= 10;
        }

        return (whole * NanosecondsPerSecond) + fraction + (roundUp ? 1 : 0);
    }

    /// <summary>Checks that the line has no columns left.</summary>
    public void End()
    {
        if (_fields.TryNext(out var extra))
        {
            throw _file.Fail(_column + 1, null, $"unexpected extra column '{CsvFile.Show(extra)}'");
        }
    }

    private ReadOnlySpan<byte> ReadValue()
    {
        var field = ReadText();
        if (field.IsEmpty)
        {
            throw _file.Fail(_column, null, "empty value");
        }

        return field;
    }

    private readonly RecordingFormatException NotANumber(ReadOnlySpan<byte> field) =>
        _file.Fail(_column, null, $"'{CsvFile.Show(field)}' is not a finite number");

    private readonly RecordingFormatException NotSeconds(ReadOnlySpan<byte> field) =>
        _file.Fail(_column, null, $"'{CsvFile.Show(field)}' is not a time in seconds (digits with an optional decimal point)");
}
