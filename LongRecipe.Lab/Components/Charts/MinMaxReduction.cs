namespace LongRecipe.Lab.Components.Charts;

/// <summary>
/// Fewer points for a line that look the same at screen resolution: the first and last points, and from each run of
/// consecutive points (a bucket) its lowest and highest, so a spike or a dip survives however long the series is.
/// A bucket with a missing value (NaN, ±∞: a gap in the line) keeps its first missing point, so the gap survives too.
/// This is how plotting tools keep long series interactive (plotly-resampler's min-max, the sampled lines of
/// experiment trackers): what the browser redraws is bounded, not the series.
/// </summary>
public static class MinMaxReduction
{
    /// <summary>The smallest budget the reduction works with: first, last and one bucket's three points.</summary>
    public const int MinBudget = 5;

    /// <summary>At most <paramref name="budget"/> of the points (x ascending as given), all of them when they fit.</summary>
    public static (double[] X, double[] Y) Reduce(IReadOnlyList<double> x, IReadOnlyList<double> y, int budget)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(budget, MinBudget);
        if (x.Count != y.Count) throw new ArgumentException($"x has {x.Count} points and y {y.Count}", nameof(y));
        var n = x.Count;
        if (n <= budget) return ([.. x], [.. y]);

        // Up to three points a bucket (lowest, highest, first gap) between the two ends.
        var buckets = (budget - 2) / 3;
        var size = (n - 2 + buckets - 1) / buckets;
        var kept = new List<int>(budget) { 0 };
        for (var start = 1; start < n - 1; start += size)
        {
            var end = Math.Min(start + size, n - 1);
            int low = -1, high = -1, gap = -1;
            for (var i = start; i < end; i++)
            {
                if (!double.IsFinite(y[i]))
                {
                    if (gap < 0) gap = i;
                    continue;
                }
                if (low < 0 || y[i] < y[low]) low = i;
                if (high < 0 || y[i] > y[high]) high = i;
            }
            kept.AddRange(new[] { low, high, gap }.Where(i => i >= 0).Distinct().Order());
        }
        kept.Add(n - 1);
        return ([.. kept.Select(i => x[i])], [.. kept.Select(i => y[i])]);
    }
}
