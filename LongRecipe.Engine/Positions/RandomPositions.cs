using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.Positions;

/// <summary>
/// Random positional encoding (RPES, the reference's `R`): L distinct positions drawn uniformly from
/// [0, T), sorted, as `sorted(random.sample(range(T), L))`. O(T) by selection sampling.
/// </summary>
public static class RandomPositions
{
    public static int[] Transform(int length, int target, SplitMix64 rng) => rng.SortedSample(length, target);
}
