using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>
/// The choices every synthetic generator makes, over one <see cref="SplitMix64"/> stream, so a seed
/// gives the same text on every .NET version. A class (not the struct itself) so that helpers
/// passed the same instance advance one shared stream instead of copies of it.
/// </summary>
internal sealed class Draw(ulong seed)
{
    private SplitMix64 random = new(seed);

    /// <summary>Uniform on [min, max); the modulo bias is below 2^-40 for the ranges used here.</summary>
    public int Int(int min, int max) => min + (int)(random.NextUInt64() % (ulong)(max - min));

    public bool Chance(double probability) => random.NextDouble() < probability;

    public T Pick<T>(IReadOnlyList<T> items) => items[Int(0, items.Count)];

    /// <summary>A seed for an independent stream: sample i of a corpus gets DeriveSeed(seed, i).</summary>
    public static ulong DeriveSeed(ulong seed, ulong index) => new SplitMix64(seed ^ (index * 0xD1B54A32D192ED03UL)).NextUInt64();
}
