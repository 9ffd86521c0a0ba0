using System.Globalization;
using System.Text;

namespace AdherencePipeline.Service.Monitoring;

/// <summary>
/// The Prometheus text exposition format (version 0.0.4): metric and label names, escaping, numbers,
/// and reading a scrape back (for <c>adherence status</c>). See
/// https://prometheus.io/docs/instrumenting/exposition_formats/.
/// </summary>
internal static class PrometheusText
{
    /// <summary>The content type of a scrape.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>
    /// The Prometheus name of an instrument: dots and other characters outside <c>[a-zA-Z0-9_:]</c> become
    /// <c>_</c>, the unit is appended (<c>s</c> → <c>_seconds</c>, <c>By</c> → <c>_bytes</c>; annotations
    /// such as <c>{frame}</c> are not units), and counters end in <c>_total</c>.
    /// </summary>
    public static string MetricName(string instrument, string? unit, bool counter)
    {
        ArgumentException.ThrowIfNullOrEmpty(instrument);
        var name = Sanitize(instrument, allowColon: true);
        var suffix = unit switch
        {
            "s" => "_seconds",
            "ms" => "_milliseconds",
            "By" => "_bytes",
            _ => "",
        };
        if (suffix.Length > 0 && !name.EndsWith(suffix, StringComparison.Ordinal))
        {
            name += suffix;
        }

        if (counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }

        return name;
    }

    /// <summary>A valid label name: characters outside <c>[a-zA-Z0-9_]</c> become <c>_</c>, a leading digit gets a <c>_</c> before it.</summary>
    public static string LabelName(string tag) => Sanitize(tag, allowColon: false);

    /// <summary>Appends a label value with <c>\</c>, <c>"</c> and line feeds escaped, as the format requires.</summary>
    public static void AppendLabelValue(StringBuilder text, string value)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(value);
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\':
                    text.Append(@"\\");
                    break;
                case '"':
                    text.Append("\\\"");
                    break;
                case '\n':
                    text.Append(@"\n");
                    break;
                default:
                    text.Append(c);
                    break;
            }
        }
    }

    /// <summary>Appends a <c># HELP</c> text with <c>\</c> and line feeds escaped (quotes stay as they are there).</summary>
    public static void AppendHelp(StringBuilder text, string name, string help)
    {
        ArgumentNullException.ThrowIfNull(text);
        text.Append("# HELP ").Append(name).Append(' ');
        foreach (var c in help)
        {
            _ = c switch
            {
                '\\' => text.Append(@"\\"),
                '\n' => text.Append(@"\n"),
                _ => text.Append(c),
            };
        }

        text.Append('\n');
    }

    /// <summary>A sample value: shortest round-trip form, <c>+Inf</c>, <c>-Inf</c> or <c>NaN</c>.</summary>
    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>Appends one sample line: <c>name{label="value",…} number</c>, labels in the order given.</summary>
    public static void AppendSample(StringBuilder text, string name, IReadOnlyList<KeyValuePair<string, string>> labels, double value)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(labels);
        text.Append(name);
        if (labels.Count > 0)
        {
            text.Append('{');
            for (var i = 0; i < labels.Count; i++)
            {
                if (i > 0)
                {
                    text.Append(',');
                }

                text.Append(labels[i].Key).Append("=\"");
                AppendLabelValue(text, labels[i].Value);
                text.Append('"');
            }

            text.Append('}');
        }

        text.Append(' ').Append(Number(value)).Append('\n');
    }

    /// <summary>
    /// Reads the samples of a scrape (comments and blank lines skipped; timestamps ignored). Throws
    /// <see cref="FormatException"/> naming the line when one is not a sample.
    /// </summary>
    public static IReadOnlyList<PrometheusSample> Parse(string scrape)
    {
        ArgumentNullException.ThrowIfNull(scrape);
        var samples = new List<PrometheusSample>();
        var lineNumber = 0;
        foreach (var raw in scrape.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            samples.Add(ParseSample(line, lineNumber));
        }

        return samples;
    }

    private static PrometheusSample ParseSample(string line, int lineNumber)
    {
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ')
        {
            i++;
        }

        var name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (i < line.Length && line[i] != '}')
            {
                var equals = line.IndexOf('=', i);
                if (equals < 0 || equals + 1 >= line.Length || line[equals + 1] != '"')
                {
                    throw new FormatException($"Line {lineNumber}: a label without a quoted value: {line}");
                }

                var key = line[i..equals];
                var value = new StringBuilder();
                i = equals + 2;
                for (; i < line.Length && line[i] != '"'; i++)
                {
                    if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        i++;
                        value.Append(line[i] == 'n' ? '\n' : line[i]);
                    }
                    else
                    {
                        value.Append(line[i]);
                    }
                }

                if (i >= line.Length)
                {
                    throw new FormatException($"Line {lineNumber}: an unterminated label value: {line}");
                }

                labels[key] = value.ToString();
                i++;
                if (i < line.Length && line[i] == ',')
                {
                    i++;
                }
            }

            if (i >= line.Length)
            {
                throw new FormatException($"Line {lineNumber}: the label set is not closed: {line}");
            }

            i++;
        }

        var rest = line[i..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (name.Length == 0 || rest.Length == 0)
        {
            throw new FormatException($"Line {lineNumber}: not a sample: {line}");
        }

        var number = rest[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) => v,
            _ => throw new FormatException($"Line {lineNumber}: '{rest[0]}' is not a number: {line}"),
        };
        return new PrometheusSample(name, labels, number);
    }

    private static string Sanitize(string name, bool allowColon)
    {
        var text = new StringBuilder(name.Length + 1);
        if (char.IsAsciiDigit(name[0]))
        {
            text.Append('_');
        }

        foreach (var c in name)
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':') ? c : '_');
        }

        return text.ToString();
    }
}

/// <summary>One sample of a scrape.</summary>
/// <param name="Name">The metric name, with its <c>_bucket</c>/<c>_sum</c>/<c>_count</c> suffix for histograms.</param>
/// <param name="Labels">The labels, unescaped.</param>
/// <param name="Value">The value.</param>
internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);
