namespace LongRecipe.Engine.Positions;

/// <summary>What the statistics assume of a sample's position ids: strictly increasing, within [0, T).</summary>
internal static class PositionChecks
{
    public static void StrictlyIncreasingWithin(ReadOnlySpan<int> positions, int target, int sample)
    {
        for (var i = 0; i < positions.Length; i++)
        {
            if (positions[i] < 0 || positions[i] >= target)
                throw new ArgumentException($"sample {sample}: position {positions[i]} at index {i} is outside [0, {target})", nameof(positions));
            if (i > 0 && positions[i] <= positions[i - 1])
                throw new ArgumentException($"sample {sample}: positions must be strictly increasing, {positions[i]} at index {i} follows {positions[i - 1]}", nameof(positions));
        }
    }
}
