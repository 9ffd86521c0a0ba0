using System.Globalization;
using System.Net;
using System.Text;
using AdherencePipeline.Activity;

namespace AdherencePipeline.Service.Commands;

/// <summary>The confusion matrix (row-normalised shading, counts in cells) and per-class precision/recall/F1 as an SVG picture.</summary>
internal static class ConfusionPicture
{
    private const int Cell = 44;
    private const int Left = 120;
    private const int Top = 120;

    public static string Svg(ActivityMetrics m, string title)
    {
        var c = CultureInfo.InvariantCulture;
        var n = m.ConfusionLabels.Count;
        var tableX = Left + n * Cell + 40;
        var width = tableX + 300;
        var height = Math.Max(Top + n * Cell + 60, Top + (m.PerClass.Count + 2) * 22 + 40);
        var s = new StringBuilder();
        s.Append(c, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        s.Append(c, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        s.Append(c, $"<text x=\"10\" y=\"24\" font-size=\"16\">{WebUtility.HtmlEncode(title)}: accuracy {m.Accuracy:0.000}, macro-F1 {m.MacroF1:0.000}, {m.Windows} windows</text>\n");
        s.Append(c, $"<text x=\"{Left}\" y=\"{Top - 70}\">predicted →</text><text x=\"10\" y=\"{Top - 10}\">truth ↓</text>\n");
        for (var j = 0; j < n; j++)
        {
            var x = Left + j * Cell + Cell / 2;
            s.Append(c, $"<text transform=\"translate({x},{Top - 6}) rotate(-50)\">{m.ConfusionLabels[j]}</text>\n");
        }

        for (var i = 0; i < n; i++)
        {
            var rowTotal = m.Confusion[i].Sum();
            s.Append(c, $"<text x=\"{Left - 6}\" y=\"{Top + i * Cell + Cell / 2 + 4}\" text-anchor=\"end\">{m.ConfusionLabels[i]}</text>\n");
            for (var j = 0; j < n; j++)
            {
                var share = rowTotal > 0 ? (double)m.Confusion[i][j] / rowTotal : 0;
                var level = (int)Math.Round(255 - share * 200);
                var fill = i == j ? $"rgb({level},{level},255)" : $"rgb(255,{level},{level})";
                var x = Left + j * Cell;
                var y = Top + i * Cell;
                s.Append(c, $"<rect x=\"{x}\" y=\"{y}\" width=\"{Cell}\" height=\"{Cell}\" fill=\"{fill}\" stroke=\"#ccc\"/>");
                s.Append(c, $"<text x=\"{x + Cell / 2}\" y=\"{y + Cell / 2 + 4}\" text-anchor=\"middle\">{m.Confusion[i][j]}</text>\n");
            }
        }

        s.Append(c, $"<text x=\"{tableX}\" y=\"{Top}\" font-weight=\"bold\">class</text><text x=\"{tableX + 110}\" y=\"{Top}\" font-weight=\"bold\">P</text><text x=\"{tableX + 160}\" y=\"{Top}\" font-weight=\"bold\">R</text><text x=\"{tableX + 210}\" y=\"{Top}\" font-weight=\"bold\">F1</text><text x=\"{tableX + 250}\" y=\"{Top}\" font-weight=\"bold\">n</text>\n");
        var row = 1;
        foreach (var (name, score) in m.PerClass)
        {
            var y = Top + row++ * 22;
            s.Append(c, $"<text x=\"{tableX}\" y=\"{y}\">{name}</text><text x=\"{tableX + 110}\" y=\"{y}\">{score.Precision:0.00}</text><text x=\"{tableX + 160}\" y=\"{y}\">{score.Recall:0.00}</text><text x=\"{tableX + 210}\" y=\"{y}\">{score.F1:0.00}</text><text x=\"{tableX + 250}\" y=\"{y}\">{score.Support}</text>\n");
        }

        s.Append("</svg>\n");
        return s.ToString();
    }
}
