using LongRecipe.Lab.Components.Charts;

namespace LongRecipe.Lab.Tests.Charts;

public sealed class LiveChartFeedTests
{
    [Fact]
    public void A_drain_hands_over_each_traces_points_in_order_and_empties_the_feed()
    {
        var feed = new LiveChartFeed();
        feed.Add(2, 1, 10);
        feed.Add(0, 1, 3.5);
        feed.Add(2, 2, 20);

        var extension = feed.Drain()!;

        Assert.Equal([0, 2], extension.Indices);
        Assert.Equal([[1.0], [1.0, 2.0]], extension.X);
        Assert.Equal([[3.5], [10.0, 20.0]], extension.Y);
        Assert.Null(feed.Drain());
    }

    [Fact]
    public async Task Points_added_from_many_threads_all_arrive_once()
    {
        var feed = new LiveChartFeed();
        var drained = new List<double>();
        var writers = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++) feed.Add(0, t * 1000 + i, 0);
        })).ToArray();
        while (!writers.All(w => w.IsCompleted))
        {
            if (feed.Drain() is { } extension) drained.AddRange(extension.X[0]);
            await Task.Yield();
        }
        if (feed.Drain() is { } last) drained.AddRange(last.X[0]);

        Assert.Equal(Enumerable.Range(0, 4000).Select(i => (double)i), drained.Order());
    }

    [Fact]
    public void A_feed_left_undrained_holds_no_more_than_twice_the_points_its_chart_keeps_and_always_the_newest()
    {
        var feed = new LiveChartFeed { MaxPoints = 10 };
        for (var i = 1; i <= 21; i++) feed.Add(0, i, -i);

        var extension = feed.Drain()!;

        // The 21st point made 21 > 2 × 10: the trace was cut back to its last 10 points.
        Assert.Equal(Enumerable.Range(12, 10).Select(i => (double)i), extension.X[0]);
        Assert.Equal(Enumerable.Range(12, 10).Select(i => (double)-i), extension.Y[0]);
        for (var i = 1; i <= 20; i++) feed.Add(0, i, 0);
        Assert.Equal(20, feed.Drain()!.X[0].Length);
    }

    [Fact]
    public void A_negative_trace_index_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LiveChartFeed().Add(-1, 0, 0));
    }
}
