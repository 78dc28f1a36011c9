namespace LongRecipe.Engine.Randomness;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014; Vigna's splitmix64.c): state ← state + 0x9E3779B97F4A7C15,
/// output z ← (z ⊕ z≫30)·0xBF58476D1CE4E5B9, z ← (z ⊕ z≫27)·0x94D049BB133111EB, z ⊕ z≫31.
/// Ours rather than System.Random so that a seed gives the same position ids (and any sample) on every .NET version
/// and stored fixtures never change; data-side sampling (sentence selection, synthetic corpora) uses it too.
/// </summary>
public sealed class SplitMix64(ulong seed)
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;
    private ulong _state = seed;

    /// <summary>The stream for one sample of a run: state = Mix(seed) ⊕ Mix(sample + 1), so samples never share a stream.</summary>
    public static SplitMix64 ForSample(ulong seed, int sample) => new(Mix(seed) ^ Mix((ulong)sample + 1));

    /// <summary>The SplitMix64 finalizer on its own (a bijection of 64-bit words).</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64() => Mix(_state += Gamma);

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [min, max], both inclusive like Python's random.randint; unbiased by rejection.</summary>
    public int NextInt(int min, int max)
    {
        if (max < min) throw new ArgumentException($"empty range [{min}, {max}]");
        var range = (ulong)((long)max - min + 1);
        // Values below `threshold` would make r % range favour small residues.
        var threshold = (0UL - range) % range;
        while (true)
        {
            var r = NextUInt64();
            if (r >= threshold) return (int)(min + (long)(r % range));
        }
    }

    /// <summary>
    /// <paramref name="count"/> distinct values from [0, <paramref name="range"/>) in ascending order, every
    /// subset equally likely: Knuth's selection sampling (TAOCP 3.4.2, Algorithm S) takes value t with
    /// probability (count − chosen) / (range − t). O(range) time, output already sorted.
    /// </summary>
    public int[] SortedSample(int count, int range)
    {
        if (count < 0 || count > range) throw new ArgumentException($"cannot draw {count} distinct values from [0, {range})");
        var values = new int[count];
        var chosen = 0;
        for (var t = 0; t < range && chosen < count; t++)
            if ((range - t) * NextDouble() < count - chosen) values[chosen++] = t;
        return values;
    }
}
