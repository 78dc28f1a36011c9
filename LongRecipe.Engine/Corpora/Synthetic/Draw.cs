using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>
/// The choices every synthetic generator makes, over one <see cref="SplitMix64"/> stream, so a seed
/// gives the same text on every .NET version.
/// </summary>
internal sealed class Draw(ulong seed)
{
    private readonly SplitMix64 random = new(seed);

    /// <summary>Uniform on [min, max).</summary>
    public int Int(int min, int max) => random.NextInt(min, max - 1);

    public bool Chance(double probability) => random.NextDouble() < probability;

    public T Pick<T>(IReadOnlyList<T> items) => items[Int(0, items.Count)];

    /// <summary>A seed for an independent stream: sample i of a corpus gets DeriveSeed(seed, i).</summary>
    public static ulong DeriveSeed(ulong seed, ulong index) => new SplitMix64(seed ^ (index * 0xD1B54A32D192ED03UL)).NextUInt64();
}
