using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.Tests.Randomness;

public class SplitMix64Tests
{
    [Fact]
    public void Seed_zero_gives_the_published_sequence()
    {
        // The first outputs of SplitMix64 from seed 0, as in the reference C implementation.
        var random = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, random.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, random.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, random.NextUInt64());
    }

    [Fact]
    public void Doubles_are_in_the_unit_interval_with_mean_one_half()
    {
        var random = new SplitMix64(42);
        var draws = Enumerable.Range(0, 100_000).Select(_ => random.NextDouble()).ToArray();
        Assert.All(draws, d => Assert.InRange(d, 0.0, 0.9999999999999999));
        Assert.InRange(draws.Average(), 0.497, 0.503);
    }
}
