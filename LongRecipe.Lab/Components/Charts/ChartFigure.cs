namespace LongRecipe.Lab.Components.Charts;

/// <summary>How a trace is drawn.</summary>
public enum TraceKind { Line, Markers, LineMarkers, Bar, Heatmap }

/// <summary>
/// One series of a chart. X is numeric, or categorical when <see cref="XLabels"/> is set (bars such
/// as histogram bins). A heatmap reads Z[row][column] at rows Y and columns X; null cells stay empty.
/// </summary>
public sealed record ChartTrace(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)
{
    public TraceKind Kind { get; init; } = TraceKind.Line;

    public IReadOnlyList<string>? XLabels { get; init; }

    /// <summary>A CSS colour, e.g. #1f77b4; null lets plotly pick from its palette.</summary>
    public string? Color { get; init; }

    /// <summary>Plots against the second y axis (right side), e.g. a share beside a count.</summary>
    public bool SecondaryY { get; init; }

    public IReadOnlyList<IReadOnlyList<double?>>? Z { get; init; }

    /// <summary>A heatmap's colour range, e.g. (0, 1) for an accuracy, so that heatmaps side by side read alike; null fits Z.</summary>
    public (double Min, double Max)? ZRange { get; init; }

    /// <summary>Per-cell hover text of a heatmap, shaped like Z, shown under the cell's value.</summary>
    public IReadOnlyList<IReadOnlyList<string?>>? Text { get; init; }

    /// <summary>Plotly's texttemplate for a heatmap's cells, e.g. "%{z:.0%}" writes each value as a percentage; null writes none.</summary>
    public string? CellText { get; init; }

    /// <summary>Plotly's dash style for lines: solid, dash, dot.</summary>
    public string Dash { get; init; } = "solid";
}

/// <summary>Where the legend goes: right of the plot, or in a row above it (for narrow charts without a title).</summary>
public enum LegendPlace { Right, Top }

/// <summary>A vertical line across the plot at X (in data units of a numeric x axis), labelled at its top, e.g. where a stage begins.</summary>
public sealed record ChartMarker(double X, string Label, string Color = "#888888");

/// <summary>
/// An axis: its title, whether it is logarithmic, whether its values are categories (evenly spaced labels, e.g.
/// context lengths of a heatmap), and a fixed range, e.g. (0, 1) for an accuracy; null fits the data.
/// </summary>
public sealed record ChartAxis(string Title, bool Log = false, bool Category = false, (double Min, double Max)? Range = null);

/// <summary>
/// What a <see cref="Chart"/> draws: traces over an x and y axis (and an optional right-hand y axis).
/// Immutable: a page builds a new figure when its inputs change and the chart redraws it.
/// </summary>
public sealed record ChartFigure(IReadOnlyList<ChartTrace> Traces, ChartAxis X, ChartAxis Y)
{
    public string? Title { get; init; }

    public ChartAxis? SecondaryY { get; init; }

    public LegendPlace Legend { get; init; } = LegendPlace.Right;

    public IReadOnlyList<ChartMarker> Markers { get; init; } = [];

    /// <summary>Pixel height of the plot, e.g. 320.</summary>
    public int Height { get; init; } = 320;

    /// <summary>The figure as plotly.js reads it: { data: [...], layout: {...} }.</summary>
    public object ToPlotly() => new
    {
        data = Traces.Select(TraceToPlotly).ToArray(),
        layout = LayoutToPlotly(),
    };

    private static Dictionary<string, object?> TraceToPlotly(ChartTrace trace)
    {
        var data = new Dictionary<string, object?>
        {
            ["name"] = trace.Name,
            ["x"] = trace.XLabels ?? (object)trace.X,
            ["y"] = trace.Y,
        };
        switch (trace.Kind)
        {
            case TraceKind.Bar:
                data["type"] = "bar";
                data["marker"] = new { color = trace.Color };
                break;
            case TraceKind.Heatmap:
                data["type"] = "heatmap";
                data["z"] = trace.Z;
                data["colorscale"] = "Viridis";
                data["hoverongaps"] = false;
                if (trace.CellText is not null) data["texttemplate"] = trace.CellText;
                if (trace.ZRange is var (min, max))
                {
                    data["zmin"] = min;
                    data["zmax"] = max;
                }
                if (trace.Text is not null)
                {
                    data["text"] = trace.Text;
                    data["hovertemplate"] = "%{x} · %{y}<br>%{z:.3g}<br>%{text}<extra></extra>";
                }
                break;
            default:
                data["type"] = "scatter";
                data["mode"] = trace.Kind switch
                {
                    TraceKind.Markers => "markers",
                    TraceKind.LineMarkers => "lines+markers",
                    _ => "lines",
                };
                data["line"] = new { color = trace.Color, dash = trace.Dash, width = 2 };
                data["marker"] = new { color = trace.Color, size = 5 };
                break;
        }
        if (trace.SecondaryY) data["yaxis"] = "y2";
        return data;
    }

    private Dictionary<string, object?> LayoutToPlotly()
    {
        var layout = new Dictionary<string, object?>
        {
            ["height"] = Height,
            // A title with a legend row above the plot needs room for both.
            ["margin"] = new { l = 64, r = SecondaryY is null ? 24 : 64, t = Title is null ? 16 : Legend == LegendPlace.Top ? 64 : 44, b = 56 },
            ["font"] = new { family = "Roboto, Helvetica, Arial, sans-serif", size = 12 },
            // Outside the plot area plotly widens the margin to fit the legend instead of covering an axis title.
            ["legend"] = Legend == LegendPlace.Top
                ? new { orientation = "h", x = 0.0, y = 1.02, yanchor = "bottom" }
                : (object)new { x = SecondaryY is null ? 1.02 : 1.12, y = 1 },
            ["barmode"] = "group",
            ["hovermode"] = "closest",
            ["xaxis"] = Axis(X, categories: Traces.Count > 0 && Traces.All(t => t.XLabels is not null)),
            ["yaxis"] = Axis(Y),
        };
        if (Title is not null) layout["title"] = new { text = Title, font = new { size = 14 } };
        if (Markers.Count > 0)
        {
            layout["shapes"] = Markers.Select(m => new
            {
                type = "line", xref = "x", yref = "paper", x0 = m.X, x1 = m.X, y0 = 0.0, y1 = 1.0,
                line = new { color = m.Color, width = 1, dash = "dot" },
            }).ToArray();
            // Plotly places shapes at data values but annotations on a log axis at log10 of them.
            layout["annotations"] = Markers.Select(m => new
            {
                x = X.Log ? Math.Log10(m.X) : m.X, xref = "x", y = 1.0, yref = "paper", text = m.Label, showarrow = false,
                xanchor = "left", yanchor = "top", font = new { size = 10, color = m.Color },
            }).ToArray();
        }
        if (SecondaryY is not null)
        {
            var axis = Axis(SecondaryY);
            axis["overlaying"] = "y";
            axis["side"] = "right";
            axis["showgrid"] = false;
            layout["yaxis2"] = axis;
        }
        return layout;
    }

    /// <summary>When every trace has labels they are categories, even those that read as numbers ("256", "512"), which plotly would place on a linear axis.</summary>
    private static Dictionary<string, object?> Axis(ChartAxis axis, bool categories = false)
    {
        var result = new Dictionary<string, object?> { ["title"] = new { text = axis.Title }, ["automargin"] = true };
        if (axis.Log) result["type"] = "log";
        else if (axis.Category || categories) result["type"] = "category";
        if (axis.Range is var (min, max)) result["range"] = new[] { min, max };
        return result;
    }
}
