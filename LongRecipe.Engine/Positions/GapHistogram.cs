namespace LongRecipe.Engine.Positions;

/// <summary>
/// Distribution of the steps between neighbouring tokens, gᵢ = pos[i + 1] − pos[i], over a batch:
/// 1 everywhere for full-length training, a few large jumps for PoSE and LongRecipe. O(L·log bins) per sample.
/// </summary>
public static class GapHistogram
{
    public static Histogram Measure(IEnumerable<int[]> samples, int targetLength, int[] edges)
    {
        Histogram.CheckEdges(edges);
        var counts = new long[edges.Length - 1];
        var sample = 0;
        foreach (var positions in samples)
        {
            PositionChecks.StrictlyIncreasingWithin(positions, targetLength, sample++);
            for (var i = 0; i + 1 < positions.Length; i++)
            {
                var bin = BinOf(edges, positions[i + 1] - positions[i]);
                if (bin >= 0) counts[bin]++;
            }
        }
        return new Histogram(edges, counts);
    }

    /// <summary>k with edges[k] ≤ value &lt; edges[k + 1], or −1 outside the edges.</summary>
    private static int BinOf(int[] edges, int value)
    {
        if (value < edges[0] || value >= edges[^1]) return -1;
        var found = Array.BinarySearch(edges, value);
        return found >= 0 ? found : ~found - 1;
    }
}
