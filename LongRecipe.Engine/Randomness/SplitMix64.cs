namespace LongRecipe.Engine.Randomness;

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood, 2014): a tiny seeded generator of our own, so data-side
/// sampling (sentence selection, position transforms) gives the same result for a seed on every
/// .NET version, unlike System.Random's unspecified algorithm.
/// </summary>
public struct SplitMix64(ulong seed)
{
    private ulong state = seed;

    public ulong NextUInt64()
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform on [0, 1), from the top 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
