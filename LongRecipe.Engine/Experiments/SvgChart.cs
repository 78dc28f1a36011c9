using System.Globalization;
using System.Net;
using System.Text;

namespace LongRecipe.Engine.Experiments;

/// <summary>One line of a chart: a value with its interval at each x category (null where not measured).</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<Estimate?> Points);

/// <summary>
/// A self-contained SVG line chart for reports: categorical x (context lengths), one line per series with
/// its 95% interval as error bars, a linear or log y axis, the legend beside the plot. No scripts, no fonts
/// beyond the viewer's sans-serif, so it renders on GitHub and in any browser.
/// </summary>
public static class SvgChart
{
    private const int Width = 760, Height = 420, Left = 70, Right = 190, Top = 40, Bottom = 50;

    // Distinguishable in print and for common colour blindness (Okabe–Ito, then greys).
    private static readonly string[] Colours =
        ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000", "#999999", "#882255", "#44AA99", "#117733"];

    public static string Render(string title, string xLabel, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<ChartSeries> series,
        bool logY = false, double? yMin = null, double? yMax = null)
    {
        var values = series.SelectMany(s => s.Points).OfType<Estimate>().SelectMany(e => new[] { e.Low, e.High, e.Value })
            .Where(v => double.IsFinite(v) && (!logY || v > 0)).ToList();
        // An empty chart still gets an axis: [0, 1], or a decade on a log axis.
        var (low, high) = (yMin ?? (values.Count > 0 ? values.Min() : logY ? 1 : 0), yMax ?? (values.Count > 0 ? values.Max() : logY ? 10 : 1));
        if (high <= low) high = low + (logY ? low : 1);
        double Transform(double v) => logY ? Math.Log10(v) : v;
        var (tLow, tHigh) = (Transform(low), Transform(high));
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        double X(int i) => Left + plotWidth * (categories.Count == 1 ? 0.5 : (0.05 + 0.9 * i / (categories.Count - 1)));
        double Y(double v) => Top + plotHeight * (1 - (Transform(Math.Clamp(v, low, high)) - tLow) / (tHigh - tLow));

        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" "))
            .Append("font-family=\"sans-serif\" font-size=\"12\">\n")
            .Append(Invariant($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n"))
            .Append(Invariant($"<text x=\"{Width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>\n"));

        foreach (var tick in Ticks(low, high, logY))
        {
            var y = Y(tick);
            svg.Append(Invariant($"<line x1=\"{Left}\" x2=\"{Left + plotWidth}\" y1=\"{y:F1}\" y2=\"{y:F1}\" stroke=\"#e5e5e5\"/>"))
                .Append(Invariant($"<text x=\"{Left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{Label(tick)}</text>\n"));
        }
        for (var i = 0; i < categories.Count; i++)
            svg.Append(Invariant($"<text x=\"{X(i):F1}\" y=\"{Top + plotHeight + 18}\" text-anchor=\"middle\">{Escape(categories[i])}</text>\n"));
        svg.Append(Invariant($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"#333\"/>\n"))
            .Append(Invariant($"<text x=\"{Left + plotWidth / 2}\" y=\"{Height - 12}\" text-anchor=\"middle\">{Escape(xLabel)}</text>\n"))
            .Append(Invariant($"<text transform=\"translate(16 {Top + plotHeight / 2}) rotate(-90)\" text-anchor=\"middle\">{Escape(yLabel)}{(logY ? " (log)" : "")}</text>\n"));

        for (var s = 0; s < series.Count; s++)
        {
            var colour = Colours[s % Colours.Length];
            // Series sit a little apart at each category so their error bars do not hide each other.
            var offset = (s - (series.Count - 1) / 2.0) * Math.Min(4, 40.0 / Math.Max(1, series.Count));
            var points = series[s].Points.Select((e, i) => (e, x: X(i) + offset)).Where(p => p.e is { } v && double.IsFinite(v.Value) && (!logY || v.Value > 0)).ToList();
            if (points.Count > 1)
                svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{string.Join(" ", points.Select(p => Invariant($"{p.x:F1},{Y(p.e!.Value):F1}")))}\"/>\n"));
            foreach (var (e, x) in points)
            {
                if (e!.N > 1 || e.High > e.Low)
                    svg.Append(Invariant($"<line x1=\"{x:F1}\" x2=\"{x:F1}\" y1=\"{Y(e.Low):F1}\" y2=\"{Y(e.High):F1}\" stroke=\"{colour}\" stroke-width=\"1.5\"/>"));
                svg.Append(Invariant($"<circle cx=\"{x:F1}\" cy=\"{Y(e.Value):F1}\" r=\"3.5\" fill=\"{colour}\"><title>{Escape(series[s].Name)}: {Label(e.Value)} [{Label(e.Low)}, {Label(e.High)}]</title></circle>\n"));
            }
            var legendY = Top + 10 + 18 * s;
            svg.Append(Invariant($"<line x1=\"{Width - Right + 14}\" x2=\"{Width - Right + 34}\" y1=\"{legendY}\" y2=\"{legendY}\" stroke=\"{colour}\" stroke-width=\"3\"/>"))
                .Append(Invariant($"<text x=\"{Width - Right + 40}\" y=\"{legendY + 4}\">{Escape(series[s].Name)}</text>\n"));
        }
        return svg.Append("</svg>\n").ToString();
    }

    /// <summary>About five round values across the axis: 1-2-5 steps, or powers of ten (with 2 and 5 between when few) on a log axis.</summary>
    private static IEnumerable<double> Ticks(double low, double high, bool logY)
    {
        if (logY)
        {
            var decades = Enumerable.Range((int)Math.Floor(Math.Log10(low)), (int)Math.Ceiling(Math.Log10(high)) - (int)Math.Floor(Math.Log10(low)) + 1)
                .Select(k => Math.Pow(10, k)).ToList();
            var steps = decades.Count <= 3 ? new[] { 1.0, 2, 5 } : [1.0];
            return decades.SelectMany(d => steps.Select(m => d * m)).Where(v => v >= low * 0.999 && v <= high * 1.001);
        }
        var raw = (high - low) / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        var first = Math.Ceiling(low / step) * step;
        return Enumerable.Range(0, (int)Math.Floor((high - first) / step + 1e-9) + 1).Select(i => first + i * step);
    }

    private static string Label(double v) =>
        v.ToString(Math.Abs(v) >= 1000 ? "#,0" : v != 0 && Math.Abs(v) < 0.01 ? "G3" : "0.###", CultureInfo.InvariantCulture);

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
