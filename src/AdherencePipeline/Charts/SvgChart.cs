using System.Globalization;
using System.Security;
using System.Text;

namespace AdherencePipeline.Charts;

/// <summary>
/// A small SVG writer for the charts of reports and analyses: a titled canvas, axes, bars, points,
/// lines and labels, with values formatted invariantly and text escaped. Hover titles carry the numbers.
/// </summary>
public sealed class SvgChart
{
    /// <summary>Colours for series (arms, classes), distinguishable in print and for common colour-vision deficiencies.</summary>
    public static readonly IReadOnlyList<string> Palette = ["#1f5f99", "#b03a2e", "#2e8b57", "#8e44ad", "#d68910", "#5d6d7e", "#17a589", "#a04000"];

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;
    private readonly StringBuilder _svg = new();

    /// <summary>Starts a white canvas of <paramref name="width"/> × <paramref name="height"/> pixels with an accessible title.</summary>
    public SvgChart(int width, int height, string title)
    {
        Width = width;
        Height = height;
        _svg.Append(C, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"title\" font-family=\"sans-serif\" font-size=\"12\">\n");
        _svg.Append(C, $"<title id=\"title\">{Escape(title)}</title>\n");
        _svg.Append(C, $"<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n");
    }

    /// <summary>Canvas width in pixels.</summary>
    public int Width { get; }

    /// <summary>Canvas height in pixels.</summary>
    public int Height { get; }

    /// <summary>A straight line; <paramref name="dashed"/> for reference lines.</summary>
    public SvgChart Line(double x1, double y1, double x2, double y2, string stroke, bool dashed = false, double strokeWidth = 1)
    {
        _svg.Append(C, $"<line x1=\"{x1:0.#}\" x2=\"{x2:0.#}\" y1=\"{y1:0.#}\" y2=\"{y2:0.#}\" stroke=\"{stroke}\"{(strokeWidth != 1 ? string.Create(C, $" stroke-width=\"{strokeWidth:0.#}\"") : "")}{(dashed ? " stroke-dasharray=\"4 3\"" : "")}/>\n");
        return this;
    }

    /// <summary>A filled rectangle (a bar), with an optional hover title.</summary>
    public SvgChart Rect(double x, double y, double width, double height, string fill, string? tooltip = null)
    {
        _svg.Append(C, $"<rect x=\"{x:0.#}\" y=\"{y:0.#}\" width=\"{Math.Max(0, width):0.#}\" height=\"{Math.Max(0, height):0.#}\" fill=\"{fill}\"");
        _svg.Append(tooltip is null ? "/>\n" : $"><title>{Escape(tooltip)}</title></rect>\n");
        return this;
    }

    /// <summary>A point, with an optional hover title.</summary>
    public SvgChart Circle(double cx, double cy, double radius, string fill, string? tooltip = null)
    {
        _svg.Append(C, $"<circle cx=\"{cx:0.#}\" cy=\"{cy:0.#}\" r=\"{radius:0.#}\" fill=\"{fill}\"");
        _svg.Append(tooltip is null ? "/>\n" : $"><title>{Escape(tooltip)}</title></circle>\n");
        return this;
    }

    /// <summary>A line through points, drawn only when there are at least two.</summary>
    public SvgChart Polyline(IReadOnlyList<(double X, double Y)> points, string stroke, double strokeWidth = 2)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count > 1)
        {
            _svg.Append(C, $"<polyline points=\"{string.Join(' ', points.Select(p => string.Create(C, $"{p.X:0.#},{p.Y:0.#}")))}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{strokeWidth:0.#}\"/>\n");
        }

        return this;
    }

    /// <summary>A label; <paramref name="anchor"/> is <c>start</c>, <c>middle</c> or <c>end</c>.</summary>
    public SvgChart Text(double x, double y, string text, string anchor = "start", string fill = "#333333")
    {
        _svg.Append(C, $"<text x=\"{x:0.#}\" y=\"{y:0.#}\"{(anchor == "start" ? "" : $" text-anchor=\"{anchor}\"")} fill=\"{fill}\">{Escape(text)}</text>\n");
        return this;
    }

    /// <summary>The finished document.</summary>
    public override string ToString() => _svg + "</svg>\n";

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
