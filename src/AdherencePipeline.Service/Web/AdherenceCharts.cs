using System.Globalization;
using System.Net;
using System.Text;

namespace AdherencePipeline.Service.Web;

/// <summary>One week's bar in the adherence chart: its ISO label, adherence % (none without a prescription) and mean pain.</summary>
internal sealed record WeekBar(string Label, double? AdherencePct, double? MeanNrs);

/// <summary>Minutes of exercise per intensity zone in one week or session.</summary>
internal sealed record ZoneMinutes(string Label, double Light, double Moderate, double Vigorous);

/// <summary>One classified window on an activity timeline.</summary>
internal sealed record TimelineWindow(DateTimeOffset Start, double DurationS, string Activity, string? Intensity);

/// <summary>
/// Server-rendered SVG charts for the report command and the web pages: self-contained, with a
/// title and per-mark tooltips for screen readers, and colours that keep 4.5:1 contrast on white.
/// </summary>
internal static class AdherenceCharts
{
    private const string AdherenceColour = "#1f5f99", PainColour = "#b03a2e", InkColour = "#333333";
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Bars of weekly adherence % with the 100 % prescription and 80 % satisfactory lines, and mean NRS (0–10) on the right axis.</summary>
    public static string WeeklyAdherence(string participant, IReadOnlyList<WeekBar> weeks)
    {
        const int width = 640, height = 320, left = 80, right = 50, top = 30, bottom = 50;
        var plotWidth = width - left - right;
        var plotHeight = height - top - bottom;
        var slot = plotWidth / (double)Math.Max(1, weeks.Count);
        double Y(double percent) => top + plotHeight * (1 - Math.Min(percent, 120) / 120);
        double YPain(double nrs) => top + plotHeight * (1 - nrs / 10);
        var svg = Open(width, height, $"Weekly adherence of {participant} against the prescription, with mean pain (NRS)");
        foreach (var (percent, name, dash) in new[] { (100.0, "prescribed", ""), (80.0, "80 %", " stroke-dasharray=\"4 3\"") })
        {
            svg.Append(C, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{Y(percent):0.#}\" y2=\"{Y(percent):0.#}\" stroke=\"#555555\"{dash}/><text x=\"{left - 4}\" y=\"{Y(percent) + 4:0.#}\" text-anchor=\"end\" fill=\"{InkColour}\">{name}</text>\n");
        }

        var painPoints = new List<string>();
        for (var i = 0; i < weeks.Count; i++)
        {
            var x = left + i * slot;
            var week = weeks[i];
            if (week.AdherencePct is { } a)
            {
                svg.Append(C, $"<rect class=\"adherence-bar\" x=\"{x + slot * 0.15:0.#}\" y=\"{Y(a):0.#}\" width=\"{slot * 0.7:0.#}\" height=\"{Y(0) - Y(a):0.#}\" fill=\"{AdherenceColour}\"><title>{week.Label}: {a:0} %</title></rect>\n");
            }

            if (week.MeanNrs is { } nrs)
            {
                painPoints.Add(string.Create(C, $"{x + slot / 2:0.#},{YPain(nrs):0.#}"));
                svg.Append(C, $"<circle class=\"pain-point\" cx=\"{x + slot / 2:0.#}\" cy=\"{YPain(nrs):0.#}\" r=\"4\" fill=\"{PainColour}\"><title>{week.Label}: mean NRS {nrs:0.0}</title></circle>\n");
            }

            svg.Append(C, $"<text x=\"{x + slot / 2:0.#}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\" fill=\"{InkColour}\">{week.Label[5..]}</text>\n");
        }

        if (painPoints.Count > 1)
        {
            svg.Append(C, $"<polyline points=\"{string.Join(' ', painPoints)}\" fill=\"none\" stroke=\"{PainColour}\" stroke-width=\"2\"/>\n");
        }

        svg.Append(C, $"<text x=\"{left}\" y=\"{top - 10}\" fill=\"{AdherenceColour}\">adherence % (bars)</text>\n");
        svg.Append(C, $"<text x=\"{width - right}\" y=\"{top - 10}\" text-anchor=\"end\" fill=\"{PainColour}\">mean pain NRS 0–10 (line)</text>\n");
        svg.Append(C, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{Y(0):0.#}\" y2=\"{Y(0):0.#}\" stroke=\"{InkColour}\"/>\n");
        return svg.Append("</svg>\n").ToString();
    }

    /// <summary>Stacked bars of exercise minutes per ACSM zone (light, moderate, vigorous), one bar per label.</summary>
    public static string ZoneMinutesChart(string participant, IReadOnlyList<ZoneMinutes> bars)
    {
        const int width = 640, height = 260, left = 50, right = 20, top = 30, bottom = 40;
        var plotHeight = height - top - bottom;
        var slot = (width - left - right) / (double)Math.Max(1, bars.Count);
        var max = Math.Max(10, bars.Select(b => b.Light + b.Moderate + b.Vigorous).DefaultIfEmpty(0).Max());
        var scale = Math.Ceiling(max / 10) * 10;
        double H(double minutes) => plotHeight * minutes / scale;
        var svg = Open(width, height, $"Exercise minutes per intensity zone for {participant}");
        var zones = new[] { ("light", "#7fb3d5"), ("moderate", "#2e86c1"), ("vigorous", "#1b4f72") };
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var x = left + i * slot + slot * 0.15;
            var y = (double)(top + plotHeight);
            foreach (var ((name, colour), minutes) in zones.Zip(new[] { bar.Light, bar.Moderate, bar.Vigorous }))
            {
                if (minutes > 0)
                {
                    y -= H(minutes);
                    svg.Append(C, $"<rect class=\"zone-{name}\" x=\"{x:0.#}\" y=\"{y:0.#}\" width=\"{slot * 0.7:0.#}\" height=\"{H(minutes):0.#}\" fill=\"{colour}\"><title>{bar.Label}: {minutes:0.0} min {name}</title></rect>\n");
                }
            }

            svg.Append(C, $"<text x=\"{x + slot * 0.35:0.#}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\" fill=\"{InkColour}\">{Encode(bar.Label.Length > 5 ? bar.Label[5..] : bar.Label)}</text>\n");
        }

        svg.Append(C, $"<text x=\"{left - 4}\" y=\"{top + 4}\" text-anchor=\"end\" fill=\"{InkColour}\">{scale:0} min</text>\n");
        svg.Append(C, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{top + plotHeight}\" y2=\"{top + plotHeight}\" stroke=\"{InkColour}\"/>\n");
        var legendX = left;
        foreach (var (name, colour) in zones)
        {
            svg.Append(C, $"<rect x=\"{legendX}\" y=\"{top - 20}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{legendX + 16}\" y=\"{top - 10}\" fill=\"{InkColour}\">{name}</text>\n");
            legendX += 90;
        }

        return svg.Append("</svg>\n").ToString();
    }

    /// <summary>Each pain report as a point on a 0–10 scale over time, pre-session, post-session and daily marked apart.</summary>
    public static string PainTrend(string participant, IReadOnlyList<(DateTimeOffset Time, string Context, int Nrs)> reports, DateTimeOffset from, DateTimeOffset to)
    {
        const int width = 640, height = 220, left = 50, right = 20, top = 30, bottom = 40;
        var plotWidth = width - left - right;
        var plotHeight = height - top - bottom;
        var span = Math.Max(1, (to - from).TotalSeconds);
        double X(DateTimeOffset t) => left + plotWidth * Math.Clamp((t - from).TotalSeconds / span, 0, 1);
        double Y(int nrs) => top + plotHeight * (1 - nrs / 10.0);
        var svg = Open(width, height, $"Pain reports (NRS 0–10) of {participant} from {from:yyyy-MM-dd} to {to:yyyy-MM-dd}");
        foreach (var nrs in new[] { 0, 5, 10 })
        {
            svg.Append(C, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{Y(nrs):0.#}\" y2=\"{Y(nrs):0.#}\" stroke=\"#cccccc\"/><text x=\"{left - 4}\" y=\"{Y(nrs) + 4:0.#}\" text-anchor=\"end\" fill=\"{InkColour}\">{nrs}</text>\n");
        }

        var ordered = reports.OrderBy(r => r.Time).ToList();
        if (ordered.Count > 1)
        {
            svg.Append(C, $"<polyline points=\"{string.Join(' ', ordered.Select(r => string.Create(C, $"{X(r.Time):0.#},{Y(r.Nrs):0.#}")))}\" fill=\"none\" stroke=\"{PainColour}\" stroke-width=\"1.5\"/>\n");
        }

        foreach (var r in ordered)
        {
            var shape = r.Context switch
            {
                "pre" => string.Create(C, $"<rect x=\"{X(r.Time) - 4:0.#}\" y=\"{Y(r.Nrs) - 4:0.#}\" width=\"8\" height=\"8\""),
                "post" => string.Create(C, $"<circle cx=\"{X(r.Time):0.#}\" cy=\"{Y(r.Nrs):0.#}\" r=\"5\""),
                _ => string.Create(C, $"<circle cx=\"{X(r.Time):0.#}\" cy=\"{Y(r.Nrs):0.#}\" r=\"3\""),
            };
            svg.Append(C, $"{shape} class=\"pain-report\" fill=\"{PainColour}\"><title>{r.Time:yyyy-MM-dd HH:mm} UTC, {Encode(r.Context)}: NRS {r.Nrs}</title>{(r.Context == "pre" ? "</rect>" : "</circle>")}\n");
        }

        svg.Append(C, $"<text x=\"{left}\" y=\"{height - bottom + 16}\" fill=\"{InkColour}\">{from:yyyy-MM-dd}</text><text x=\"{width - right}\" y=\"{height - bottom + 16}\" text-anchor=\"end\" fill=\"{InkColour}\">{to:yyyy-MM-dd}</text>\n");
        svg.Append(C, $"<text x=\"{left}\" y=\"{top - 10}\" fill=\"{PainColour}\">NRS: ■ before a session, ● after, • daily</text>\n");
        return svg.Append("</svg>\n").ToString();
    }

    /// <summary>A strip of a session's classified windows, coloured by intensity zone, labelled by activity on hover.</summary>
    public static string ActivityTimeline(DateTimeOffset start, DateTimeOffset end, IReadOnlyList<TimelineWindow> windows)
    {
        const int width = 640, height = 56, left = 4, right = 4, top = 4, strip = 28;
        var span = Math.Max(1, (end - start).TotalSeconds);
        var scale = (width - left - right) / span;
        var svg = Open(width, height, $"Activity and intensity from {start:HH:mm} to {end:HH:mm} UTC");
        svg.Append(C, $"<rect x=\"{left}\" y=\"{top}\" width=\"{width - left - right}\" height=\"{strip}\" fill=\"#eeeeee\"/>\n");
        foreach (var w in windows)
        {
            var colour = w.Activity == "rest" ? "#d5d8dc" : w.Intensity switch { "vigorous" => "#1b4f72", "moderate" => "#2e86c1", "light" => "#7fb3d5", _ => "#909497" };
            var x = left + Math.Max(0, (w.Start - start).TotalSeconds) * scale;
            svg.Append(C, $"<rect class=\"timeline-window\" x=\"{x:0.##}\" y=\"{top}\" width=\"{Math.Max(0.5, w.DurationS * scale):0.##}\" height=\"{strip}\" fill=\"{colour}\"><title>{w.Start:HH:mm:ss} {Encode(w.Activity)}{(w.Intensity is { } i ? ", " + Encode(i) : "")}</title></rect>\n");
        }

        svg.Append(C, $"<text x=\"{left}\" y=\"{height - 6}\" fill=\"{InkColour}\">{start:HH:mm} UTC</text><text x=\"{width - right}\" y=\"{height - 6}\" text-anchor=\"end\" fill=\"{InkColour}\">{end:HH:mm} UTC</text>\n");
        return svg.Append("</svg>\n").ToString();
    }

    private static StringBuilder Open(int width, int height, string title)
    {
        var svg = new StringBuilder();
        svg.Append(C, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Encode(title)}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(C, $"<title>{Encode(title)}</title>\n");
        svg.Append(C, $"<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n");
        return svg;
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
