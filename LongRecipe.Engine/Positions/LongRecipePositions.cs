using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.Positions;

/// <summary>
/// LongRecipe position ids. The first rt1 tokens keep positions 0..rt1 − 1. The remaining tokens are cut
/// into segments, each ending at a sentence-ending token (inclusive) or at the end of the sequence. The
/// blocks (the prefix if rt1 &gt; 0, then the segments; k of them) keep contiguous positions; the slack
/// S = T − L is split into k gaps g_1..g_k, gap g_b following block b (g_k is room left after the last
/// token), by a uniform random composition: k − 1 bars drawn without replacement among S + k − 1 slots,
/// every composition equally likely (stars and bars). The first block starts at 0 and the last position is
/// T − 1 − g_k &lt; T.
/// Source: FSProcessor.generate_res_lists in the reference places its n sentence chunks in T − L + n slots
/// drawn the same way, with the first chunk pinned to slot 0; it then overwrites the first rt1 positions
/// with 0..rt1 − 1, so the gaps of sentences inside the prefix pile up after it. We draw gaps for the
/// blocks after the prefix only, so every gap has the same mean S / k.
/// </summary>
public static class LongRecipePositions
{
    public static int[] Transform(ReadOnlySpan<int> tokens, int target, int rt1, Func<int, bool> isSentenceEnd, SplitMix64 rng)
    {
        var length = tokens.Length;
        var blockStarts = BlockStarts(tokens, rt1, isSentenceEnd);
        var gaps = RandomComposition(target - length, blockStarts.Count, rng);
        var positions = new int[length];
        var offset = 0;
        for (int b = 0, i = 0; b < blockStarts.Count; b++)
        {
            var end = b + 1 < blockStarts.Count ? blockStarts[b + 1] : length;
            for (; i < end; i++) positions[i] = i + offset;
            offset += gaps[b];
        }
        return positions;
    }

    /// <summary>The index of the first token of each block: 0 for the prefix, then the token after each sentence end.</summary>
    private static List<int> BlockStarts(ReadOnlySpan<int> tokens, int rt1, Func<int, bool> isSentenceEnd)
    {
        var starts = new List<int>();
        if (rt1 > 0) starts.Add(0);
        for (var i = rt1; i < tokens.Length; i++)
            if (i == rt1 || isSentenceEnd(tokens[i - 1])) starts.Add(i);
        return starts;
    }

    /// <summary><paramref name="total"/> split into <paramref name="parts"/> non-negative integers, every such split equally likely.</summary>
    private static int[] RandomComposition(int total, int parts, SplitMix64 rng)
    {
        var bars = rng.SortedSample(parts - 1, total + parts - 1);
        var sizes = new int[parts];
        var previous = -1;
        for (var k = 0; k < bars.Length; k++)
        {
            sizes[k] = bars[k] - previous - 1;
            previous = bars[k];
        }
        sizes[parts - 1] = total + parts - 1 - previous - 1;
        return sizes;
    }
}
