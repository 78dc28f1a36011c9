using System.Text.Json;
using System.Text.Json.Serialization;
using Plotly.Blazor;
using PlotlyLayout = Plotly.Blazor.Layout;
using Plotly.Blazor.LayoutLib;
using Plotly.Blazor.Traces;

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

/// <summary>Where the legend goes: right of the plot, or in a row below the x axis (clear of the title, for narrow charts).</summary>
public enum LegendPlace { Right, Below }

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

    /// <summary>What the chart waits for while it has no data, e.g. "Waiting for the first training step", shown instead of empty axes.</summary>
    public string? Waiting { get; init; }

    /// <summary>The most markers a line-and-markers trace draws; past that, the line alone carries the points.</summary>
    public const int LineMarkersShown = 50;

    /// <summary>
    /// A live trace's plotly.js mode when it is redrawn with <paramref name="points"/> points: a line with markers keeps
    /// them while it is short and drops them past <see cref="LineMarkersShown"/> points. plotly.js would go on drawing
    /// that many along the line, which shows nothing more and made each redraw of a live chart 15–35% dearer.
    /// </summary>
    public static string LiveMode(TraceKind kind, int points) => kind switch
    {
        TraceKind.Markers => "markers",
        TraceKind.LineMarkers when points <= LineMarkersShown => "lines+markers",
        _ => "lines",
    };

    /// <summary>The figure as Plotly.Blazor draws it: typed traces and layout, text and grid coloured for a light or dark page.</summary>
    public PlotlyFigure ToPlotly(bool dark = false) => new([.. Traces.Select(TraceToPlotly)], LayoutToPlotly(dark));

    /// <summary>A trace's points as Plotly.Blazor holds them (a list it can extend).</summary>
    private static List<object> Values<T>(IEnumerable<T> values) => [.. values.Cast<object>()];

    private static ITrace TraceToPlotly(ChartTrace trace)
    {
        var x = trace.XLabels is { } labels ? Values(labels) : Values(trace.X);
        switch (trace.Kind)
        {
            case TraceKind.Bar:
                return new Bar
                {
                    Name = trace.Name, X = x, Y = Values(trace.Y), Marker = new Plotly.Blazor.Traces.BarLib.Marker { Color = trace.Color },
                    YAxis = trace.SecondaryY ? "y2" : null,
                };
            case TraceKind.Heatmap:
                return new HeatMap
                {
                    Name = trace.Name, X = x, Y = Values(trace.Y),
                    // Rows as lists: a row is one value of Z, as plotly.js reads z[row][column].
                    Z = Values(trace.Z ?? []),
                    ColorScale = "Viridis",
                    HoverOnGaps = false,
                    TextTemplate = trace.CellText,
                    ZMin = trace.ZRange is var (min, _) ? (decimal?)min : null,
                    ZMax = trace.ZRange is var (_, max) ? (decimal?)max : null,
                    Text = trace.Text is { } text ? Values(text) : null,
                    HoverTemplate = trace.Text is null ? null : "%{x} · %{y}<br>%{z:.3g}<br>%{text}<extra></extra>",
                };
            default:
                return new Scatter
                {
                    Name = trace.Name, X = x, Y = Values(trace.Y),
                    Mode = trace.Kind switch
                    {
                        TraceKind.Markers => Plotly.Blazor.Traces.ScatterLib.ModeFlag.Markers,
                        TraceKind.LineMarkers => Plotly.Blazor.Traces.ScatterLib.ModeFlag.Lines | Plotly.Blazor.Traces.ScatterLib.ModeFlag.Markers,
                        _ => Plotly.Blazor.Traces.ScatterLib.ModeFlag.Lines,
                    },
                    Line = new Plotly.Blazor.Traces.ScatterLib.Line { Color = trace.Color, Dash = trace.Dash, Width = 2 },
                    Marker = new Plotly.Blazor.Traces.ScatterLib.Marker
                    {
                        Color = trace.Color, Size = 5,
                        // A line's markers show its points while they are few; past that plotly.js spaces this many along
                        // the visible line. Drawing each of 10,000 markers (an SVG path each) on every live append made
                        // the browser, not the data, the limit of a dashboard.
                        MaxDisplayed = trace.Kind == TraceKind.LineMarkers ? LineMarkersShown : null,
                    },
                    YAxis = trace.SecondaryY ? "y2" : null,
                };
        }
    }

    private PlotlyLayout LayoutToPlotly(bool dark)
    {
        var (text, grid) = dark ? ("#e0e0e0", "#424242") : ("#303030", "#e6e6e6");
        var categories = Traces.Count > 0 && Traces.All(t => t.XLabels is not null);
        var legendBelow = Legend == LegendPlace.Below;
        var layout = new PlotlyLayout
        {
            Height = Height,
            // The title sits left in the top margin; legends go below the plot or right of it, never over the title.
            Margin = new Margin { L = 64, R = SecondaryY is null ? 24 : 64, T = Title is null ? 16 : 40, B = legendBelow ? 96 : 56 },
            Font = new Font { Family = "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif", Size = 12, Color = text },
            PaperBgColor = "rgba(0,0,0,0)",
            PlotBgColor = "rgba(0,0,0,0)",
            Legend =
            [
                legendBelow
                    // At the foot of the whole chart (the container), so the x axis's labels and title stay above it.
                    ? new Plotly.Blazor.LayoutLib.Legend
                    {
                        Orientation = Plotly.Blazor.LayoutLib.LegendLib.OrientationEnum.H, X = 0, Y = 0,
                        YRef = Plotly.Blazor.LayoutLib.LegendLib.YRefEnum.Container, YAnchor = Plotly.Blazor.LayoutLib.LegendLib.YAnchorEnum.Bottom,
                    }
                    : new Plotly.Blazor.LayoutLib.Legend { X = SecondaryY is null ? 1.02m : 1.12m, Y = 1 },
            ],
            BarMode = BarModeEnum.Group,
            HoverMode = HoverModeEnum.Closest,
            XAxis = [XAxis(X, categories, grid)],
            YAxis = SecondaryY is null ? [YAxis(Y, grid)] : [YAxis(Y, grid), YAxis(SecondaryY, grid, overlaying: true)],
        };
        if (Title is not null)
            layout.Title = new Title { Text = Title, X = 0.01m, XAnchor = Plotly.Blazor.LayoutLib.TitleLib.XAnchorEnum.Left, Font = new Plotly.Blazor.LayoutLib.TitleLib.Font { Size = 14 } };
        if (Markers.Count > 0)
        {
            layout.Shapes = [.. Markers.Select(m => new Shape
            {
                Type = Plotly.Blazor.LayoutLib.ShapeLib.TypeEnum.Line, XRef = "x", YRef = "paper", X0 = m.X, X1 = m.X, Y0 = 0, Y1 = 1,
                Line = new Plotly.Blazor.LayoutLib.ShapeLib.Line { Color = m.Color, Width = 1, Dash = "dot" },
            })];
            // Plotly places shapes at data values but annotations on a log axis at log10 of them.
            layout.Annotations = [.. Markers.Select(m => new Annotation
            {
                X = X.Log ? Math.Log10(m.X) : m.X, XRef = "x", Y = 1, YRef = "paper", Text = m.Label, ShowArrow = false,
                XAnchor = Plotly.Blazor.LayoutLib.AnnotationLib.XAnchorEnum.Left, YAnchor = Plotly.Blazor.LayoutLib.AnnotationLib.YAnchorEnum.Top,
                Font = new Plotly.Blazor.LayoutLib.AnnotationLib.Font { Size = 10, Color = m.Color },
            })];
        }
        if (Waiting is not null && Traces.All(t => t.Y.Count == 0 && t.Z is null))
        {
            // No data yet: say what the chart waits for instead of drawing placeholder axes.
            layout.XAxis[0].Visible = false;
            foreach (var axis in layout.YAxis) axis.Visible = false;
            layout.Annotations = [new Annotation
            {
                Text = Waiting, X = 0.5, Y = 0.5, XRef = "paper", YRef = "paper", ShowArrow = false,
                Font = new Plotly.Blazor.LayoutLib.AnnotationLib.Font { Size = 13, Color = text },
            }];
        }
        return layout;
    }

    /// <summary>When every trace has labels they are categories, even those that read as numbers ("256", "512"), which plotly would place on a linear axis.</summary>
    private static XAxis XAxis(ChartAxis axis, bool categories, string grid) => new()
    {
        Title = new Plotly.Blazor.LayoutLib.XAxisLib.Title { Text = axis.Title },
        AutoMargin = Plotly.Blazor.LayoutLib.XAxisLib.AutoMarginFlag.True,
        Type = axis.Log ? Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Log
            : axis.Category || categories ? Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Category : null,
        // A log axis labels its decades and their 2 and 5 in plain numbers, not every minor tick.
        MinorLogLabels = axis.Log ? Plotly.Blazor.LayoutLib.XAxisLib.MinorLogLabelsEnum.None : null,
        TickFormat = axis.Log ? "~g" : null,
        Range = Range(axis),
        GridColor = grid,
        ZeroLineColor = grid,
    };

    private static YAxis YAxis(ChartAxis axis, string grid, bool overlaying = false) => new()
    {
        Title = new Plotly.Blazor.LayoutLib.YAxisLib.Title { Text = axis.Title },
        AutoMargin = Plotly.Blazor.LayoutLib.YAxisLib.AutoMarginFlag.True,
        Type = axis.Log ? Plotly.Blazor.LayoutLib.YAxisLib.TypeEnum.Log : axis.Category ? Plotly.Blazor.LayoutLib.YAxisLib.TypeEnum.Category : null,
        MinorLogLabels = axis.Log ? Plotly.Blazor.LayoutLib.YAxisLib.MinorLogLabelsEnum.None : null,
        TickFormat = axis.Log ? "~g" : null,
        Range = Range(axis),
        GridColor = grid,
        ZeroLineColor = grid,
        Overlaying = overlaying ? "y" : null,
        Side = overlaying ? Plotly.Blazor.LayoutLib.YAxisLib.SideEnum.Right : null,
        ShowGrid = overlaying ? false : null,
    };

    /// <summary>A fixed range, on a log axis in decades as plotly reads it.</summary>
    private static List<object>? Range(ChartAxis axis) =>
        axis.Range is var (min, max) ? axis.Log ? [Math.Log10(min), Math.Log10(max)] : [min, max] : null;
}

/// <summary>A figure as Plotly.Blazor's chart takes it: its traces and its layout.</summary>
public sealed record PlotlyFigure(IList<ITrace> Data, PlotlyLayout Layout)
{
    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>{ "data": [...], "layout": {...} } as plotly.js reads it: for a report page, and for tests to read what is drawn.</summary>
    public JsonElement ToJson() => JsonSerializer.SerializeToElement(new
    {
        data = Data.Select(t => JsonSerializer.SerializeToElement(t, t.GetType(), Options)).ToArray(),
        layout = JsonSerializer.SerializeToElement(Layout, Options),
    }, Options);
}
