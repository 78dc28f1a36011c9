namespace LongRecipe.Engine.Positions;

/// <summary>
/// Which relative distances a batch of position-id sequences trains, and how often. Distance d in
/// [1, T) is covered when some sample has a pair i &lt; j with pos[j] − pos[i] = d;
/// Share = |covered| / (T − 1). Pairs counts, per bin, the pairs (i &lt; j) over all samples whose
/// distance falls in the bin; full-length training at T has T − d pairs at distance d.
/// </summary>
public sealed class DistanceCoverage
{
    private readonly ulong[] _covered;

    private DistanceCoverage(int targetLength, ulong[] covered, Histogram pairs)
    {
        TargetLength = targetLength;
        _covered = covered;
        Pairs = pairs;
        CoveredCount = CountCovered(1, targetLength);
    }

    public int TargetLength { get; }
    public int CoveredCount { get; }
    public Histogram Pairs { get; }
    public double Share => TargetLength > 1 ? (double)CoveredCount / (TargetLength - 1) : 0;

    public bool IsCovered(int distance) =>
        distance >= 1 && distance < TargetLength && (_covered[distance >> 6] >> (distance & 63) & 1) != 0;

    /// <summary>How many distances in [from, to) are covered (per-bin coverage for the Lab).</summary>
    public int CountCovered(int from, int to)
    {
        var count = 0;
        for (var d = Math.Max(from, 1); d < Math.Min(to, TargetLength); d++)
            if (IsCovered(d)) count++;
        return count;
    }

    /// <summary>
    /// Exact coverage and pair histogram. Samples must be strictly increasing within [0, T).
    /// Covered set: with P the bitset of a sample's positions, covered |= ⋃ᵢ (P ≫ pᵢ), one shifted OR per
    /// position over the words above pᵢ: O(L·T/64) per sample (16k positions in 128k: ~3·10⁷ word ops).
    /// Pair histogram: below(e) = Σᵢ #{j &gt; i : pⱼ &lt; pᵢ + e} by a pointer that only moves forward,
    /// bin k = below(Edges[k+1]) − below(Edges[k]): O(L·bins) per sample, no L² pair loop.
    /// </summary>
    public static DistanceCoverage Measure(IEnumerable<int[]> samples, int targetLength, int[] edges)
    {
        if (targetLength <= 0) throw new ArgumentException($"targetLength must be positive, got {targetLength}", nameof(targetLength));
        Histogram.CheckEdges(edges);
        var words = (targetLength + 63) >> 6;
        var covered = new ulong[words];
        var present = new ulong[words];
        var counts = new long[edges.Length - 1];
        var sample = 0;
        foreach (var positions in samples)
        {
            PositionChecks.StrictlyIncreasingWithin(positions, targetLength, sample++);
            Array.Clear(present);
            foreach (var p in positions) present[p >> 6] |= 1UL << (p & 63);
            foreach (var p in positions) OrShiftedDown(covered, present, p);
            AddPairCounts(counts, positions, edges);
        }
        covered[0] &= ~1UL; // distance 0 is each position paired with itself
        return new DistanceCoverage(targetLength, covered, new Histogram(edges, counts));
    }

    /// <summary>target |= source ≫ shift, word by word.</summary>
    private static void OrShiftedDown(ulong[] target, ulong[] source, int shift)
    {
        var wordShift = shift >> 6;
        var bitShift = shift & 63;
        for (var w = 0; w + wordShift < source.Length; w++)
        {
            var low = source[w + wordShift] >> bitShift;
            // A zero bit shift must not shift the next word by 64 (C# masks the count to 0).
            var high = bitShift != 0 && w + wordShift + 1 < source.Length ? source[w + wordShift + 1] << (64 - bitShift) : 0;
            target[w] |= low | high;
        }
    }

    private static void AddPairCounts(long[] counts, int[] positions, int[] edges)
    {
        var previousBelow = PairsBelow(positions, edges[0]);
        for (var k = 0; k < counts.Length; k++)
        {
            var below = PairsBelow(positions, edges[k + 1]);
            counts[k] += below - previousBelow;
            previousBelow = below;
        }
    }

    /// <summary>#{(i, j) : i &lt; j, pⱼ − pᵢ &lt; bound} for strictly increasing p.</summary>
    private static long PairsBelow(int[] positions, int bound)
    {
        long pairs = 0;
        var j = 0;
        for (var i = 0; i < positions.Length; i++)
        {
            if (j <= i) j = i + 1;
            while (j < positions.Length && positions[j] - positions[i] < bound) j++;
            pairs += j - i - 1;
        }
        return pairs;
    }
}
