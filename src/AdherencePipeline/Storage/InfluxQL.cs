using System.Text;

namespace AdherencePipeline.Storage;

/// <summary>
/// Safe pieces of InfluxQL for text that comes from users: quoted identifiers and string literals.
/// Prefer bound parameters (<c>$name</c>, see <see cref="InfluxQueryClient"/>) for values; identifiers
/// (measurement, tag and database names) cannot be bound and go through <see cref="Identifier"/>.
/// </summary>
public static class InfluxQL
{
    /// <summary>A double-quoted identifier; backslashes and double quotes inside are escaped.</summary>
    public static string Identifier(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return Quote(name, '"');
    }

    /// <summary>A single-quoted string literal; backslashes, single quotes and line breaks inside are escaped.</summary>
    public static string StringLiteral(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Quote(value, '\'');
    }

    private static string Quote(string text, char quote)
    {
        var sb = new StringBuilder(text.Length + 2);
        sb.Append(quote);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\':
                    sb.Append(@"\\");
                    break;
                case '\n':
                    sb.Append(@"\n");
                    break;
                case '\r':
                    throw new ArgumentException("InfluxQL has no escape for a carriage return.", nameof(text));
                default:
                    if (c == quote)
                    {
                        sb.Append('\\');
                    }

                    sb.Append(c);
                    break;
            }
        }

        return sb.Append(quote).ToString();
    }
}
