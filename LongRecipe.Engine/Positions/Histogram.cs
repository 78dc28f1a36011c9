namespace LongRecipe.Engine.Positions;

/// <summary>
/// Counts per bin: bin k counts values v with Edges[k] ≤ v &lt; Edges[k + 1]; values outside
/// [Edges[0], Edges[^1]) are not counted. Edges are strictly increasing.
/// </summary>
public sealed record Histogram(int[] Edges, long[] Counts)
{
    /// <summary>
    /// <paramref name="bins"/> + 1 edges splitting [<paramref name="from"/>, <paramref name="to"/>) into bins
    /// whose widths differ by at most one: edge k = from + ⌊k·(to − from) / bins⌋.
    /// </summary>
    public static int[] UniformEdges(int from, int to, int bins)
    {
        if (bins < 1 || bins > to - from)
            throw new ArgumentException($"bins must be in [1, {to - from}] to split [{from}, {to}), got {bins}", nameof(bins));
        var edges = new int[bins + 1];
        for (var k = 0; k <= bins; k++) edges[k] = from + (int)((long)k * (to - from) / bins);
        return edges;
    }

    internal static void CheckEdges(int[] edges)
    {
        if (edges.Length < 2) throw new ArgumentException("a histogram needs at least two edges", nameof(edges));
        for (var k = 1; k < edges.Length; k++)
            if (edges[k] <= edges[k - 1]) throw new ArgumentException($"edges must be strictly increasing: edges[{k}] = {edges[k]} after {edges[k - 1]}", nameof(edges));
    }
}
