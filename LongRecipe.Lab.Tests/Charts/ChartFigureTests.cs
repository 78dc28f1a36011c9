using System.Text.Json;
using LongRecipe.Lab.Components.Charts;

namespace LongRecipe.Lab.Tests.Charts;

public sealed class ChartFigureTests
{
    private static JsonElement Plotly(ChartFigure figure) => figure.ToPlotly().ToJson();

    [Fact]
    public void Lines_bars_and_axes_become_plotlys_traces_and_layout()
    {
        var figure = new ChartFigure(
            [
                new ChartTrace("loss", [1, 2], [3.5, 3.25]) { Color = "#123456" },
                new ChartTrace("gaps", [], [4, 5]) { Kind = TraceKind.Bar, XLabels = ["1", "2–3"] },
            ],
            new ChartAxis("step"), new ChartAxis("count", Log: true)) { Title = "Training", Height = 250 };

        var plotly = Plotly(figure);
        var line = plotly.GetProperty("data")[0];
        var bar = plotly.GetProperty("data")[1];
        var layout = plotly.GetProperty("layout");

        Assert.Equal(("scatter", "lines", "#123456"), (line.GetProperty("type").GetString(), line.GetProperty("mode").GetString(), line.GetProperty("line").GetProperty("color").GetString()));
        Assert.Equal([3.5, 3.25], line.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal("bar", bar.GetProperty("type").GetString());
        Assert.Equal(["1", "2–3"], bar.GetProperty("x").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(250, layout.GetProperty("height").GetInt32());
        Assert.Equal("Training", layout.GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("log", layout.GetProperty("yaxis").GetProperty("type").GetString());
        Assert.False(layout.GetProperty("xaxis").TryGetProperty("type", out _));
        Assert.False(layout.TryGetProperty("yaxis2", out _));
        Assert.Equal(1.02, layout.GetProperty("legend").GetProperty("x").GetDouble());
    }

    [Fact]
    public void A_lines_markers_are_capped_and_a_scatters_are_not()
    {
        var figure = new ChartFigure(
            [
                new ChartTrace("loss", [1, 2], [3.5, 3.25]) { Kind = TraceKind.LineMarkers },
                new ChartTrace("samples", [1, 2], [3.5, 3.25]) { Kind = TraceKind.Markers },
            ],
            new ChartAxis("step"), new ChartAxis("loss"));

        var data = Plotly(figure).GetProperty("data");

        Assert.Equal(ChartFigure.LineMarkersShown, data[0].GetProperty("marker").GetProperty("maxdisplayed").GetInt32());
        Assert.False(data[1].GetProperty("marker").TryGetProperty("maxdisplayed", out _));
    }

    [Theory]
    [InlineData(TraceKind.LineMarkers, 1, "lines+markers")]
    [InlineData(TraceKind.LineMarkers, ChartFigure.LineMarkersShown, "lines+markers")]
    [InlineData(TraceKind.LineMarkers, ChartFigure.LineMarkersShown + 1, "lines")]
    [InlineData(TraceKind.Line, 1, "lines")]
    [InlineData(TraceKind.Markers, 10_000, "markers")]
    public void A_live_line_redrawn_long_drops_its_markers_and_other_kinds_keep_their_mode(TraceKind kind, int points, string mode) =>
        Assert.Equal(mode, ChartFigure.LiveMode(kind, points));

    [Fact]
    public void A_legend_below_lies_in_a_row_under_the_x_axis_clear_of_the_title()
    {
        var figure = new ChartFigure([new ChartTrace("a", [0], [1])], new ChartAxis("x"), new ChartAxis("y")) { Legend = LegendPlace.Below, Title = "T" };

        var layout = Plotly(figure).GetProperty("layout");
        var legend = layout.GetProperty("legend");

        Assert.Equal(("h", "bottom", "container", 0.0), (legend.GetProperty("orientation").GetString(), legend.GetProperty("yanchor").GetString(),
            legend.GetProperty("yref").GetString(), legend.GetProperty("y").GetDouble()));
        Assert.Equal("left", layout.GetProperty("title").GetProperty("xanchor").GetString());
    }

    [Fact]
    public void Log_axes_label_in_plain_numbers_without_minor_labels_and_take_fixed_ranges_in_decades()
    {
        var figure = new ChartFigure([new ChartTrace("ppl", [1, 2], [4, 7])], new ChartAxis("step"), new ChartAxis("perplexity", Log: true, Range: (1, 100)));

        var axis = Plotly(figure).GetProperty("layout").GetProperty("yaxis");

        Assert.Equal(("log", "none", "~g"), (axis.GetProperty("type").GetString(), axis.GetProperty("minorloglabels").GetString(), axis.GetProperty("tickformat").GetString()));
        Assert.Equal([0.0, 2.0], axis.GetProperty("range").EnumerateArray().Select(v => v.GetDouble()));
    }

    [Fact]
    public void A_chart_without_data_says_what_it_waits_for_instead_of_drawing_empty_axes()
    {
        var waiting = new ChartFigure([new ChartTrace("extend", [], [])], new ChartAxis("step"), new ChartAxis("loss")) { Waiting = "Waiting for the first extend step" };

        var layout = Plotly(waiting).GetProperty("layout");

        Assert.Equal("Waiting for the first extend step", layout.GetProperty("annotations")[0].GetProperty("text").GetString());
        Assert.False(layout.GetProperty("xaxis").GetProperty("visible").GetBoolean());
        var drawn = Plotly(waiting with { Traces = [new ChartTrace("extend", [1], [2.5])] }).GetProperty("layout");
        Assert.False(drawn.TryGetProperty("annotations", out _));
        Assert.False(drawn.GetProperty("xaxis").TryGetProperty("visible", out _));
    }

    [Fact]
    public void Dark_mode_colours_text_and_grid_for_a_dark_page_on_a_transparent_background()
    {
        var figure = new ChartFigure([new ChartTrace("a", [0], [1])], new ChartAxis("x"), new ChartAxis("y"));

        var light = Plotly(figure).GetProperty("layout");
        var dark = figure.ToPlotly(dark: true).ToJson().GetProperty("layout");

        Assert.NotEqual(light.GetProperty("font").GetProperty("color").GetString(), dark.GetProperty("font").GetProperty("color").GetString());
        Assert.Equal("#e0e0e0", dark.GetProperty("font").GetProperty("color").GetString());
        Assert.Equal("rgba(0,0,0,0)", dark.GetProperty("paper_bgcolor").GetString());
    }

    [Fact]
    public void A_secondary_y_trace_goes_to_a_right_hand_axis_over_the_first()
    {
        var figure = new ChartFigure([new ChartTrace("lr", [0], [1e-4]) { SecondaryY = true }], new ChartAxis("step"), new ChartAxis("loss"))
        { SecondaryY = new ChartAxis("learning rate") };

        var plotly = Plotly(figure);

        Assert.Equal("y2", plotly.GetProperty("data")[0].GetProperty("yaxis").GetString());
        var axis = plotly.GetProperty("layout").GetProperty("yaxis2");
        Assert.Equal(("y", "right"), (axis.GetProperty("overlaying").GetString(), axis.GetProperty("side").GetString()));
    }

    [Fact]
    public void A_heatmap_carries_its_cells_with_gaps_left_empty()
    {
        var figure = new ChartFigure([new ChartTrace("niah", [1024, 2048], [0, 50]) { Kind = TraceKind.Heatmap, Z = [[1, null], [0.5, 1]] }],
            new ChartAxis("context"), new ChartAxis("depth %"));

        var trace = Plotly(figure).GetProperty("data")[0];

        Assert.Equal("heatmap", trace.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, trace.GetProperty("z")[0][1].ValueKind);
        Assert.Equal(0.5, trace.GetProperty("z")[1][0].GetDouble());
    }

    [Fact]
    public void Heatmaps_side_by_side_share_a_fixed_colour_scale_and_write_their_cells_and_numeric_labels_stay_categories()
    {
        var figure = new ChartFigure(
            [new ChartTrace("niah", [0, 1], [0, 50]) { Kind = TraceKind.Heatmap, XLabels = ["256", "512"], Z = [[1, 0], [0, 1]], ZRange = (0, 1), CellText = "%{z:.0%}" }],
            new ChartAxis("context"), new ChartAxis("depth %"));

        var plotly = Plotly(figure);
        var trace = plotly.GetProperty("data")[0];

        Assert.Equal((0.0, 1.0), (trace.GetProperty("zmin").GetDouble(), trace.GetProperty("zmax").GetDouble()));
        Assert.Equal("%{z:.0%}", trace.GetProperty("texttemplate").GetString());
        Assert.Equal("category", plotly.GetProperty("layout").GetProperty("xaxis").GetProperty("type").GetString());
    }

    [Fact]
    public void Markers_are_dotted_vertical_lines_labelled_at_the_top_and_on_a_log_axis_the_label_sits_at_log10_x()
    {
        ChartFigure Figure(bool log) => new([new ChartTrace("ppl", [256, 1024], [20, 40])], new ChartAxis("length", Log: log), new ChartAxis("ppl"))
        { Markers = [new ChartMarker(100, "native window", "#ff0000")] };

        var linear = Plotly(Figure(log: false)).GetProperty("layout");
        var logarithmic = Plotly(Figure(log: true)).GetProperty("layout");

        var shape = linear.GetProperty("shapes")[0];
        Assert.Equal(("line", "paper", 100.0, 100.0), (shape.GetProperty("type").GetString(), shape.GetProperty("yref").GetString(),
            shape.GetProperty("x0").GetDouble(), shape.GetProperty("x1").GetDouble()));
        Assert.Equal(("dot", "#ff0000"), (shape.GetProperty("line").GetProperty("dash").GetString(), shape.GetProperty("line").GetProperty("color").GetString()));
        Assert.Equal(("native window", 100.0), (linear.GetProperty("annotations")[0].GetProperty("text").GetString(),
            linear.GetProperty("annotations")[0].GetProperty("x").GetDouble()));
        Assert.Equal(100.0, logarithmic.GetProperty("shapes")[0].GetProperty("x0").GetDouble());
        Assert.Equal(2.0, logarithmic.GetProperty("annotations")[0].GetProperty("x").GetDouble(), 12);
        Assert.False(Plotly(new ChartFigure([], new ChartAxis("x"), new ChartAxis("y"))).GetProperty("layout").TryGetProperty("shapes", out _));
    }
}
