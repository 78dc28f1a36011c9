using LongRecipe.Engine.Randomness;
using LongRecipe.Engine.Positions;

namespace LongRecipe.Engine.Tests.Positions;

/// <summary>Synthetic token sequences: token 0 plays the sentence end ("."), about one token in eight.</summary>
internal static class Sequences
{
    public const int SentenceEnd = 0;
    public static bool IsSentenceEnd(int token) => token == SentenceEnd;

    public static int[] Tokens(int length, ulong seed)
    {
        var rng = new SplitMix64(seed);
        return Enumerable.Range(0, length).Select(_ => rng.NextInt(0, 7)).ToArray();
    }

    public static void AssertValid(int[] positions, int length, int target)
    {
        Assert.Equal(length, positions.Length);
        Assert.True(positions[0] >= 0, $"first position {positions[0]} < 0");
        Assert.True(positions[^1] < target, $"last position {positions[^1]} ≥ T = {target}");
        for (var i = 1; i < positions.Length; i++)
            Assert.True(positions[i] > positions[i - 1], $"not strictly increasing at {i}: {positions[i - 1]}, {positions[i]}");
    }
}
