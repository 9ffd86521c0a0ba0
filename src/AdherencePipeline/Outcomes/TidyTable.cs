using System.Globalization;
using System.Text;

namespace AdherencePipeline.Outcomes;

/// <summary>The type of a column of a tidy table, as R and pandas should read it.</summary>
public enum ColumnType
{
    /// <summary>Text.</summary>
    String,

    /// <summary>A whole number (nullable: pandas <c>Int64</c>).</summary>
    Integer,

    /// <summary>A real number.</summary>
    Float,

    /// <summary>A calendar date <c>YYYY-MM-DD</c>.</summary>
    Date,

    /// <summary><c>true</c> or <c>false</c> (nullable: pandas <c>boolean</c>).</summary>
    Boolean,
}

/// <summary>One column: name, type, unit and meaning, as listed in the data dictionary.</summary>
/// <param name="Name">Column name: lower case, digits and '_', so it is a valid name in R and pandas.</param>
/// <param name="Type">The type.</param>
/// <param name="Unit">The unit, or empty.</param>
/// <param name="Description">What it holds and how it is computed.</param>
public sealed record TidyColumn(string Name, ColumnType Type, string Unit, string Description);

/// <summary>
/// A table with one observation per row and one variable per column, written as CSV that R's
/// <c>read.csv</c> and pandas' <c>read_csv</c> read as they are: a header line, comma separated,
/// invariant number format, ISO dates, empty cells for missing values.
/// </summary>
public sealed class TidyTable(string name, string description, IReadOnlyList<TidyColumn> columns)
{
    private readonly List<object?[]> _rows = [];

    /// <summary>The table's name; also its file name without extension.</summary>
    public string Name { get; } = name;

    /// <summary>What one row is.</summary>
    public string Description { get; } = description;

    /// <summary>The columns in order.</summary>
    public IReadOnlyList<TidyColumn> Columns { get; } = columns;

    /// <summary>The rows; values are <c>string</c>, <c>long</c>, <c>double</c>, <c>DateOnly</c>, <c>bool</c> or <c>null</c>.</summary>
    public IReadOnlyList<object?[]> Rows => _rows;

    /// <summary>Adds a row; throws <see cref="ArgumentException"/> when a value does not fit its column's type.</summary>
    public void Add(params object?[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != Columns.Count)
        {
            throw new ArgumentException($"{Name}: expected {Columns.Count} values, found {values.Length}", nameof(values));
        }

        for (var i = 0; i < values.Length; i++)
        {
            var ok = values[i] is null || Columns[i].Type switch
            {
                ColumnType.String => values[i] is string,
                ColumnType.Integer => values[i] is long,
                ColumnType.Float => values[i] is double d && double.IsFinite(d),
                ColumnType.Date => values[i] is DateOnly,
                _ => values[i] is bool,
            };
            if (!ok)
            {
                throw new ArgumentException($"{Name}.{Columns[i].Name}: expected {Columns[i].Type}, found {values[i]}", nameof(values));
            }
        }

        _rows.Add(values);
    }

    /// <summary>The values of one column.</summary>
    public IEnumerable<object?> Column(string column)
    {
        var i = Columns.ToList().FindIndex(c => c.Name == column);
        return i < 0 ? throw new KeyNotFoundException($"{Name} has no column '{column}'") : _rows.Select(r => r[i]);
    }

    /// <summary>The table as CSV (RFC 4180, LF line ends).</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        csv.AppendJoin(',', Columns.Select(c => c.Name)).Append('\n');
        foreach (var row in _rows)
        {
            csv.AppendJoin(',', row.Select(Format)).Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>The data dictionary rows of this table: table, column, type, unit, description.</summary>
    public IEnumerable<string[]> DictionaryRows() =>
        Columns.Select(c => new[] { Name, c.Name, c.Type.ToString().ToLowerInvariant(), c.Unit, c.Description });

    /// <summary>A CSV cell: quoted when it holds a comma, quote or line break.</summary>
    public static string Cell(string text) =>
        text.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;

    private static string Format(object? value) => value switch
    {
        null => "",
        string s => Cell(s),
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => throw new InvalidOperationException($"unexpected value {value}"),
    };
}
