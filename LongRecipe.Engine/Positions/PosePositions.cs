using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.Positions;

/// <summary>
/// PoSE (Zhu et al. 2023, arXiv 2309.10400): the L tokens are cut into c contiguous, non-empty chunks at
/// c − 1 distinct cut points drawn uniformly from [1, L − 1]; chunk k is shifted by a skip u_k with
/// u_0 = 0 and u_k uniform in [u_{k−1}, T − L]. Token i of chunk k gets position i + u_k, so chunks stay
/// contiguous, the first starts at 0 and the last position ≤ L − 1 + (T − L) = T − 1.
/// With c = 2 this is one uniform split point and one skip uniform in [0, T − L]. (The reference script
/// draws its split point from [0, T − L] instead of [0, L], which overflows L when T &gt; 2L; we follow the paper.)
/// </summary>
public static class PosePositions
{
    public static int[] Transform(int length, int target, int chunks, SplitMix64 rng)
    {
        var cuts = rng.SortedSample(chunks - 1, length - 1);
        var positions = new int[length];
        var skip = 0;
        var chunk = 0;
        for (var i = 0; i < length; i++)
        {
            // cuts[k] + 1 is the first token of chunk k + 1.
            if (chunk < cuts.Length && i == cuts[chunk] + 1)
            {
                skip = rng.NextInt(skip, target - length);
                chunk++;
            }
            positions[i] = i + skip;
        }
        return positions;
    }
}
