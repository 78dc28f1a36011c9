using LongRecipe.Engine.Positions;

namespace LongRecipe.Engine.Tests.Positions;

public class DistanceCoverageTests
{
    private static int[] UnitEdges(int target) => Histogram.UniformEdges(1, target, target - 1);

    [Fact]
    public void Three_positions_worked_by_hand()
    {
        // {0, 1, 5}: pairs give 1 − 0 = 1, 5 − 0 = 5, 5 − 1 = 4, so distances {1, 4, 5} of 1..7 are covered.
        var coverage = DistanceCoverage.Measure([[0, 1, 5]], 8, UnitEdges(8));
        Assert.Equal(3, coverage.CoveredCount);
        Assert.Equal(3.0 / 7, coverage.Share, 12);
        Assert.Equal([1, 4, 5], Enumerable.Range(0, 10).Where(coverage.IsCovered));
        Assert.Equal([1L, 0, 0, 1, 1, 0, 0], coverage.Pairs.Counts);
    }

    [Fact]
    public void Samples_pool_their_distances_but_not_their_pairs()
    {
        // {0, 2} gives 2 and {1, 4} gives 3; 4 − 0 = 4 mixes samples and must not count.
        var coverage = DistanceCoverage.Measure([[0, 2], [1, 4]], 6, UnitEdges(6));
        Assert.Equal([2, 3], Enumerable.Range(0, 6).Where(coverage.IsCovered));
        Assert.Equal(2.0 / 5, coverage.Share, 12);
    }

    [Fact]
    public void Full_length_has_T_minus_d_pairs_at_each_distance()
    {
        const int T = 300;
        var coverage = DistanceCoverage.Measure([FullLengthPositions.Transform(T)], T, UnitEdges(T));
        Assert.Equal(1.0, coverage.Share);
        Assert.Equal(Enumerable.Range(1, T - 1).Select(d => (long)(T - d)), coverage.Pairs.Counts);

        var binned = DistanceCoverage.Measure([FullLengthPositions.Transform(T)], T, Histogram.UniformEdges(1, T, 7)).Pairs;
        for (var k = 0; k < 7; k++)
            Assert.Equal(Enumerable.Range(binned.Edges[k], binned.Edges[k + 1] - binned.Edges[k]).Sum(d => (long)(T - d)), binned.Counts[k]);
    }

    [Theory]
    [InlineData(PositionScheme.RandomPositions, 40, 300)]
    [InlineData(PositionScheme.Pose, 60, 1000)]
    [InlineData(PositionScheme.LongRecipe, 100, 777)]
    public void Bitset_and_pointer_counts_agree_with_every_pair(PositionScheme scheme, int length, int target)
    {
        // Targets that are not multiples of 64 exercise the bitset's word boundaries.
        var samples = Enumerable.Range(0, 20).Select(s =>
            PositionTransform.Apply(new PositionTransformSpec(scheme, target, 5, Chunks: 3), Sequences.Tokens(length, (ulong)s), s, Sequences.IsSentenceEnd)).ToList();
        var covered = new bool[target];
        var counts = new long[target - 1];
        foreach (var p in samples)
            for (var i = 0; i < p.Length; i++)
                for (var j = i + 1; j < p.Length; j++) { covered[p[j] - p[i]] = true; counts[p[j] - p[i] - 1]++; }

        var coverage = DistanceCoverage.Measure(samples, target, UnitEdges(target));
        Assert.Equal(Enumerable.Range(1, target - 1).Where(d => covered[d]), Enumerable.Range(1, target - 1).Where(coverage.IsCovered));
        Assert.Equal(counts, coverage.Pairs.Counts);
    }

    [Fact]
    public void Random_positions_exercise_each_distance_as_often_as_the_window_allows()
    {
        // For L positions uniform without replacement in [0, T), a pair (i < j) lands on each of the T − d
        // placements at distance d with probability L(L−1) / (T(T−1)), so E[pairs in bin] =
        // Σ_{d∈bin} (T − d)·L(L−1)/(T(T−1)): the same triangular shape as full-length training, scaled.
        // Tolerance: 5 standard errors of the per-sample mean, estimated from the samples themselves.
        const int L = 64, T = 1024, Samples = 400, Bins = 8;
        var edges = Histogram.UniformEdges(1, T, Bins);
        var perSample = Enumerable.Range(0, Samples)
            .Select(s => DistanceCoverage.Measure([PositionTransform.Apply(PositionTransformSpec.RandomPositions(T, 3), new int[L], s)], T, edges).Pairs.Counts)
            .ToArray();
        for (var k = 0; k < Bins; k++)
        {
            var expected = Enumerable.Range(edges[k], edges[k + 1] - edges[k]).Sum(d => (double)(T - d)) * L * (L - 1) / ((double)T * (T - 1));
            var values = perSample.Select(c => (double)c[k]).ToArray();
            var mean = values.Average();
            var se = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (Samples - 1) / Samples);
            Assert.True(Math.Abs(mean - expected) < 5 * se, $"bin {k}: mean {mean:F1} pairs, expected {expected:F1} ± {5 * se:F1}");
        }
    }

    [Fact]
    public void Two_chunk_pose_covers_short_distances_and_a_band_around_its_skip_only()
    {
        // Within a chunk distances are < L; across chunks they are (j − i) + u with 1 ≤ j − i ≤ L − 1.
        const int L = 32, T = 4096;
        var batch = Enumerable.Range(0, 50).Select(s => PositionTransform.Apply(PositionTransformSpec.Pose(T, 8), new int[L], s)).ToList();
        foreach (var positions in batch)
        {
            var skip = positions[^1] - (L - 1);
            var coverage = DistanceCoverage.Measure([positions], T, Histogram.UniformEdges(1, T, 1));
            Assert.Equal(coverage.CoveredCount, coverage.CountCovered(1, L) + (skip >= L ? coverage.CountCovered(skip + 1, skip + L) : coverage.CountCovered(L, skip + L)));
            Assert.True(coverage.Share <= 2.0 * (L - 1) / (T - 1));
        }
        // The batch shares the short cluster, so together it reaches at most 31 + 50·31 of 4095 distances.
        var pooled = DistanceCoverage.Measure(batch, T, Histogram.UniformEdges(1, T, 1));
        Assert.Equal(L - 2, pooled.CountCovered(1, L - 1)); // the longer chunk has up to L − 1 tokens
        Assert.True(pooled.CoveredCount <= (L - 1) * (1 + batch.Count), $"{pooled.CoveredCount} distances covered");
    }

    [Fact]
    public void Sixteen_thousand_positions_in_a_128k_window_are_measured_exactly()
    {
        // O(L·T/64) ≈ 3·10⁷ word operations for the covered set, O(L·bins) for the pairs.
        const int L = 16_384, T = 131_072;
        var positions = PositionTransform.Apply(PositionTransformSpec.RandomPositions(T, 1), new int[L]);
        var coverage = DistanceCoverage.Measure([positions], T, Histogram.UniformEdges(1, T, 64));
        Assert.Equal((long)L * (L - 1) / 2, coverage.Pairs.Counts.Sum());
        Assert.InRange(coverage.Share, 0.9, 1.0);
    }

    [Fact]
    public void Unsorted_or_out_of_window_positions_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => DistanceCoverage.Measure([[0, 1], [3, 2]], 8, UnitEdges(8)));
        Assert.Contains("sample 1: positions must be strictly increasing, 2 at index 1 follows 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => DistanceCoverage.Measure([[0, 8]], 8, UnitEdges(8)));
        Assert.Contains("sample 0: position 8 at index 1 is outside [0, 8)", e.Message);
    }
}
