using LongRecipe.Engine.Experiments;

namespace LongRecipe.Engine.Tests.Experiments;

public sealed class IntervalsTests
{
    [Theory]
    // Published Wilson intervals (e.g. Newcombe 1998, Table I): 8/10 → 0.4902–0.9433, 0/10 → 0–0.2775.
    [InlineData(8, 10, 0.8, 0.4902, 0.9433)]
    [InlineData(0, 10, 0.0, 0.0, 0.2775)]
    [InlineData(10, 10, 1.0, 0.7225, 1.0)]
    [InlineData(95, 100, 0.95, 0.8882, 0.9785)]
    public void Wilson_matches_published_intervals(long successes, long trials, double p, double low, double high)
    {
        var estimate = Intervals.Wilson(successes, trials);
        Assert.Equal(p, estimate.Value, 12);
        Assert.Equal(low, estimate.Low, 4);
        Assert.Equal(high, estimate.High, 4);
        Assert.Equal((int)trials, estimate.N);
    }

    [Fact]
    public void Wilson_narrows_as_trials_grow_and_refuses_impossible_counts()
    {
        Assert.True(Intervals.Wilson(50, 100).HalfWidth > Intervals.Wilson(500, 1000).HalfWidth);
        Assert.Throws<ArgumentOutOfRangeException>(() => Intervals.Wilson(11, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => Intervals.Wilson(0, 0));
    }

    [Theory]
    // Student's t table, two-sided 95%: t(0.975, df).
    [InlineData(1, 12.7062)]
    [InlineData(2, 4.3027)]
    [InlineData(3, 3.1824)]
    [InlineData(10, 2.2281)]
    [InlineData(30, 2.0423)]
    [InlineData(1000, 1.9623)]
    public void Student_quantiles_match_the_table(int df, double expected) =>
        Assert.Equal(expected, Intervals.StudentQuantile(0.975, df), 4);

    [Fact]
    public void StudentT_is_the_mean_plus_minus_t_times_the_standard_error()
    {
        // Mean 12, s = 2, n = 3: half-width 4.3027 · 2 / √3 = 4.9683.
        var estimate = Intervals.StudentT([10, 12, 14]);
        Assert.Equal(12, estimate.Value, 12);
        Assert.Equal(12 - 4.9683, estimate.Low, 3);
        Assert.Equal(12 + 4.9683, estimate.High, 3);
        Assert.Equal(3, estimate.N);
    }

    [Fact]
    public void One_value_has_no_interval_and_intervals_overlap_when_they_share_a_point()
    {
        var single = Intervals.StudentT([7.5]);
        Assert.Equal((7.5, 7.5, 7.5, 1), (single.Value, single.Low, single.High, single.N));
        Assert.True(new Estimate(1, 0, 2, 3).Overlaps(new Estimate(3, 2, 4, 3)));
        Assert.False(new Estimate(1, 0, 2, 3).Overlaps(new Estimate(3, 2.01, 4, 3)));
    }
}
