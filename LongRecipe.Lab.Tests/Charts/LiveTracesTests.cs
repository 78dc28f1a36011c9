using LongRecipe.Lab.Components.Charts;

namespace LongRecipe.Lab.Tests.Charts;

public sealed class LiveTracesTests
{
    private static ChartExtension Points(int trace, int from, int count) =>
        new([trace], [[.. Enumerable.Range(from, count).Select(i => (double)i)]], [[.. Enumerable.Range(from, count).Select(i => -(double)i)]]);

    [Fact]
    public void It_keeps_each_traces_newest_points_in_order_up_to_its_bound()
    {
        var live = new LiveTraces(maxPoints: 10, shownPoints: 100);
        Assert.Null(live.Shown());
        live.Add(Points(3, 1, 4));
        live.Add(Points(0, 1, 2));
        // 4 + 25 points on trace 3: 29 > 2 × 10 trims the list, and what is shown is always the last 10.
        for (var from = 5; from < 30; from += 5) live.Add(Points(3, from, 5));

        var shown = live.Shown()!;

        Assert.Equal([0, 3], shown.Indices);
        Assert.Equal([1.0, 2.0], shown.X[0]);
        Assert.Equal(Enumerable.Range(20, 10).Select(i => (double)i), shown.X[1]);
        Assert.Equal(Enumerable.Range(20, 10).Select(i => -(double)i), shown.Y[1]);
    }

    [Fact]
    public void Points_are_appended_as_they_come_until_a_trace_would_pass_twice_the_shown_points_then_every_trace_is_redrawn_reduced()
    {
        var live = new LiveTraces(maxPoints: 10_000, shownPoints: 100);
        live.Add(Points(1, 0, 7));

        // 7 + 190 = 197 points on trace 1 and 3 on trace 0: within 2 × 100, appended as they are.
        var within = live.Add(new ChartExtension([0, 1], [[0, 1, 2], [.. Enumerable.Range(7, 190).Select(i => (double)i)]], [[5, 6, 7], [.. Enumerable.Range(7, 190).Select(i => -(double)i)]]));
        Assert.False(within.Redraw);
        Assert.Equal([0, 1], within.Points.Indices);
        Assert.Equal(190, within.Points.X[1].Length);

        // 197 + 4 = 201 > 200: trace 1 is redrawn as its 201 points reduced to at most 100, trace 0 as its 3 points.
        var past = live.Add(Points(1, 197, 4));
        Assert.True(past.Redraw);
        Assert.Equal([0, 1], past.Points.Indices);
        Assert.Equal([0.0, 1, 2], past.Points.X[0]);
        Assert.InRange(past.Points.X[1].Length, 50, 100);
        Assert.Equal((0.0, 200.0), (past.Points.X[1][0], past.Points.X[1][^1]));

        // The browser now holds the reduced trace: a hundred more points go out as they are again.
        Assert.False(live.Add(Points(1, 201, 100)).Redraw);
    }

    [Fact]
    public void A_figures_lines_are_its_first_points_and_a_redraw_gets_them_and_every_point_streamed_since()
    {
        var figure = new ChartFigure(
            [
                new ChartTrace("loss", [1, 2, 3], [4, 3.5, 3.25]),
                new ChartTrace("bins", [], [1, 2]) { Kind = TraceKind.Bar, XLabels = ["a", "b"] },
                new ChartTrace("eval", [2], [3.9]) { Kind = TraceKind.LineMarkers },
            ],
            new ChartAxis("step"), new ChartAxis("loss"));
        var live = LiveTraces.Of(figure, maxPoints: 10_000);

        live.Add(new ChartExtension([0], [[4, 5]], [[3.0, double.NaN]]));
        var shown = live.Shown()!;

        Assert.Equal([0, 2], shown.Indices);
        Assert.Equal([1.0, 2, 3, 4, 5], shown.X[0]);
        Assert.Equal([4, 3.5, 3.25, 3.0, double.NaN], shown.Y[0]);
        Assert.Equal([2.0], shown.X[1]);
    }

    [Fact]
    public void Appending_for_hours_holds_at_most_twice_the_bound()
    {
        var live = new LiveTraces(maxPoints: 100, shownPoints: 100);
        for (var from = 0; from < 1_000_000; from += 48) live.Add(Points(0, from, 48));
        Assert.Equal(100, live.Shown()!.X[0].Length);
        Assert.Equal(1_000_000 + 32 - 1, live.Shown()!.X[0][^1]);
    }

    [Fact]
    public void Bounds_must_be_positive_and_leave_room_for_a_reduction()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LiveTraces(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LiveTraces(10, shownPoints: MinMaxReduction.MinBudget - 1));
    }
}
