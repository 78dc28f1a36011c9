using LongRecipe.Lab.Components.Charts;

namespace LongRecipe.Lab.Tests.Charts;

public sealed class MinMaxReductionTests
{
    [Fact]
    public void Each_bucket_keeps_its_lowest_and_highest_point_in_order_between_the_two_ends()
    {
        double[] x = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        double[] y = [0, 5, 1, 2, 9, 3, 4, 8, 6, 7];

        // Budget 8: (8 − 2) / 3 = 2 buckets over points 1…8, four each: {5, 1, 2, 9} keeps 1 and 9, {3, 4, 8, 6} keeps 3 and 8.
        var (rx, ry) = MinMaxReduction.Reduce(x, y, budget: 8);

        Assert.Equal([0.0, 2, 4, 5, 7, 9], rx);
        Assert.Equal([0.0, 1, 9, 3, 8, 7], ry);
    }

    [Fact]
    public void A_series_that_fits_is_kept_whole()
    {
        var (rx, ry) = MinMaxReduction.Reduce([1.0, 2, 3], [3.0, double.NaN, 1], budget: 5);

        Assert.Equal([1.0, 2, 3], rx);
        Assert.Equal([3.0, double.NaN, 1], ry);
    }

    [Fact]
    public void A_long_series_keeps_its_spike_dip_gap_and_ends_within_the_budget()
    {
        var x = Enumerable.Range(0, 10_000).Select(i => (double)i).ToArray();
        var y = x.Select(i => 2 + 0.1 * Math.Sin(i / 50)).ToArray();
        (y[5_000], y[7_001], y[3_333]) = (100, -5, double.NaN);

        var (rx, ry) = MinMaxReduction.Reduce(x, y, budget: 1_000);

        Assert.InRange(rx.Length, 600, 1_000);
        Assert.Equal((0.0, 9_999.0), (rx[0], rx[^1]));
        Assert.True(rx.Zip(rx.Skip(1)).All(p => p.First < p.Second), "x stays ascending");
        Assert.Equal(100, ry[Array.IndexOf(rx, 5_000.0)]);
        Assert.Equal(-5, ry[Array.IndexOf(rx, 7_001.0)]);
        Assert.True(double.IsNaN(ry[Array.IndexOf(rx, 3_333.0)]), "the gap stays a gap");
        Assert.Equal(y.Where(double.IsFinite).Max(), ry.Where(double.IsFinite).Max());
        Assert.Equal(y.Where(double.IsFinite).Min(), ry.Where(double.IsFinite).Min());
    }

    [Fact]
    public void It_refuses_a_budget_too_small_or_mismatched_axes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MinMaxReduction.Reduce([1.0], [1.0], budget: 4));
        Assert.Throws<ArgumentException>(() => MinMaxReduction.Reduce([1.0, 2], [1.0], budget: 5));
    }
}
