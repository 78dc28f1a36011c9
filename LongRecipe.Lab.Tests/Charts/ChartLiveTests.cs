using System.Text.Json;
using Bunit;
using TestContext = Xunit.TestContext;
using LongRecipe.Lab.Components.Charts;
using LongRecipe.Lab.Tests.Components;
using LongRecipe.Tests.Support;

namespace LongRecipe.Lab.Tests.Charts;

/// <summary>A live chart rendered by bunit (JavaScript answered with defaults): what it asks plotly.js to draw as its feed grows.</summary>
public sealed class ChartLiveTests : MudContext
{
    [Fact]
    public async Task A_live_line_redrawn_long_is_replaced_reduced_and_without_markers()
    {
        var figure = new ChartFigure([new ChartTrace("extend", [1], [3.0]) { Kind = TraceKind.LineMarkers }], new ChartAxis("step"), new ChartAxis("loss"));
        var feed = new LiveChartFeed();
        var liveChart = JSInterop.SetupModule(PlotlyScript.LiveChartModule);
        liveChart.Mode = JSRuntimeMode.Loose;
        Render<Chart>(p => p.Add(c => c.Figure, figure).Add(c => c.Feed, feed));
        // 2,100 points in all: past the 2,000 a trace may reach by appends, so the next flush redraws it reduced.
        for (var step = 2; step <= 2_100; step++) feed.Add(0, step, 3.0 - step * 1e-4);

        await ProgressWait.Until(
            () => Task.FromResult(liveChart.Invocations["replace"].Count > 0 ? null : "no reduced redraw yet"),
            () => liveChart.Invocations.Count, "the live chart's reduced redraw", TestContext.Current.CancellationToken);

        var replace = liveChart.Invocations["replace"][0];
        var update = JsonSerializer.SerializeToElement(replace.Arguments[1]);
        Assert.Equal(["lines"], JsonSerializer.SerializeToElement(replace.Arguments[3]).EnumerateArray().Select(m => m.GetString()));
        var x = update.GetProperty("x")[0].EnumerateArray().Select(v => v.GetDouble()).ToList();
        // Reduced to the browser's budget, from the first point to the last.
        Assert.InRange(x.Count, 2, LiveTraces.DefaultShownPoints);
        Assert.Equal((1.0, 2_100.0), (x[0], x[^1]));
    }
}
