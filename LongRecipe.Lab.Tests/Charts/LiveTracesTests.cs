using LongRecipe.Lab.Components.Charts;

namespace LongRecipe.Lab.Tests.Charts;

public sealed class LiveTracesTests
{
    private static ChartExtension Points(int trace, int from, int count) =>
        new([trace], [[.. Enumerable.Range(from, count).Select(i => (double)i)]], [[.. Enumerable.Range(from, count).Select(i => -(double)i)]]);

    [Fact]
    public void It_keeps_each_traces_newest_points_in_order_up_to_its_bound()
    {
        var live = new LiveTraces(maxPoints: 10);
        Assert.Null(live.Kept());
        live.Append(Points(3, 1, 4));
        live.Append(Points(0, 1, 2));
        // 4 + 25 points on trace 3: 29 > 2 × 10 trims the list, and what is handed back is always the last 10.
        for (var from = 5; from < 30; from += 5) live.Append(Points(3, from, 5));

        var kept = live.Kept()!;

        Assert.Equal([0, 3], kept.Indices);
        Assert.Equal([1.0, 2.0], kept.X[0]);
        Assert.Equal(Enumerable.Range(20, 10).Select(i => (double)i), kept.X[1]);
        Assert.Equal(Enumerable.Range(20, 10).Select(i => -(double)i), kept.Y[1]);
    }

    [Fact]
    public void Appending_for_hours_holds_at_most_twice_the_bound()
    {
        var live = new LiveTraces(maxPoints: 100);
        for (var from = 0; from < 1_000_000; from += 48) live.Append(Points(0, from, 48));
        Assert.Equal(100, live.Kept()!.X[0].Length);
        Assert.Equal(1_000_000 + 32 - 1, live.Kept()!.X[0][^1]);
    }

    [Fact]
    public void Clearing_forgets_every_point_and_a_bound_must_be_positive()
    {
        var live = new LiveTraces(5);
        live.Append(Points(1, 0, 3));
        live.Clear();
        Assert.Null(live.Kept());
        Assert.Throws<ArgumentOutOfRangeException>(() => new LiveTraces(0));
    }
}
