using System.Globalization;

namespace AdherencePipeline.Storage;

/// <summary>The type of an InfluxDB field value, as line protocol writes it.</summary>
public enum FieldKind
{
    /// <summary>64-bit float, written without a suffix.</summary>
    Float,

    /// <summary>Signed 64-bit integer, written with the <c>i</c> suffix.</summary>
    Integer,

    /// <summary>Boolean, written as <c>true</c>/<c>false</c>.</summary>
    Boolean,

    /// <summary>UTF-8 string, written double-quoted.</summary>
    String,
}

/// <summary>A typed InfluxDB field value. Floats must be finite: line protocol has no NaN or infinity.</summary>
public readonly record struct FieldValue
{
    /// <summary>InfluxDB's limit on the length of a string field, in bytes.</summary>
    public const int MaxStringBytes = 64 * 1024;

    private readonly double _float;
    private readonly long _integer;
    private readonly string? _string;

    private FieldValue(FieldKind kind, double f, long i, string? s)
    {
        Kind = kind;
        _float = f;
        _integer = i;
        _string = s;
    }

    /// <summary>Which of the four line-protocol types this value has.</summary>
    public FieldKind Kind { get; }

    /// <summary>The value as a float; only for <see cref="FieldKind.Float"/>.</summary>
    public double AsFloat => Kind == FieldKind.Float ? _float : throw WrongKind(FieldKind.Float);

    /// <summary>The value as an integer; only for <see cref="FieldKind.Integer"/>.</summary>
    public long AsInteger => Kind == FieldKind.Integer ? _integer : throw WrongKind(FieldKind.Integer);

    /// <summary>The value as a boolean; only for <see cref="FieldKind.Boolean"/>.</summary>
    public bool AsBoolean => Kind == FieldKind.Boolean ? _integer != 0 : throw WrongKind(FieldKind.Boolean);

    /// <summary>The value as a string; only for <see cref="FieldKind.String"/>.</summary>
    public string AsString => Kind == FieldKind.String ? _string! : throw WrongKind(FieldKind.String);

    /// <summary>A float field. Throws for NaN and infinities, which InfluxDB cannot store.</summary>
    public static FieldValue Float(double value) =>
        double.IsFinite(value)
            ? new FieldValue(FieldKind.Float, value, 0, null)
            : throw new ArgumentOutOfRangeException(nameof(value), value, "InfluxDB cannot store NaN or infinite floats; omit the field instead.");

    /// <summary>An integer field.</summary>
    public static FieldValue Integer(long value) => new(FieldKind.Integer, 0, value, null);

    /// <summary>A boolean field.</summary>
    public static FieldValue Boolean(bool value) => new(FieldKind.Boolean, 0, value ? 1 : 0, null);

    /// <summary>
    /// A string field. Throws for line breaks (batches are split on them, and not every InfluxDB
    /// version accepts them), for NUL and unpaired surrogates, and when the UTF-8 length exceeds
    /// <see cref="MaxStringBytes"/>.
    /// </summary>
    public static FieldValue String(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        LineProtocol.ValidateStringField(value);
        if (value.Length > MaxStringBytes / 3 && System.Text.Encoding.UTF8.GetByteCount(value) > MaxStringBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(value), $"String fields are limited to {MaxStringBytes} bytes of UTF-8.");
        }

        return new FieldValue(FieldKind.String, 0, 0, value);
    }

    /// <summary>Implicit conversion from a float.</summary>
    public static implicit operator FieldValue(double value) => Float(value);

    /// <summary>Implicit conversion from an integer.</summary>
    public static implicit operator FieldValue(long value) => Integer(value);

    /// <summary>Implicit conversion from an integer.</summary>
    public static implicit operator FieldValue(int value) => Integer(value);

    /// <summary>Implicit conversion from a boolean.</summary>
    public static implicit operator FieldValue(bool value) => Boolean(value);

    /// <summary>Implicit conversion from a string.</summary>
    public static implicit operator FieldValue(string value) => String(value);

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        FieldKind.Float => _float.ToString("R", CultureInfo.InvariantCulture),
        FieldKind.Integer => _integer.ToString(CultureInfo.InvariantCulture) + "i",
        FieldKind.Boolean => _integer != 0 ? "true" : "false",
        _ => _string!,
    };

    private InvalidOperationException WrongKind(FieldKind wanted) =>
        new($"The field value is {Kind}, not {wanted}.");
}
