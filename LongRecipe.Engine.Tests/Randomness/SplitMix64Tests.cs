using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.Tests.Randomness;

public class SplitMix64Tests
{
    [Fact]
    public void Seed_zero_gives_the_published_sequence()
    {
        var random = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, random.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, random.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, random.NextUInt64());
    }

    [Fact]
    public void Matches_the_reference_splitmix64_outputs()
    {
        // First outputs of Vigna's splitmix64.c seeded with 1234567 (the values other ports test against).
        var rng = new SplitMix64(1234567);
        ulong[] expected = [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821];
        Assert.Equal(expected, Enumerable.Range(0, 5).Select(_ => rng.NextUInt64()).ToArray());
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3, 7)]
    [InlineData(-5, 5)]
    public void NextInt_stays_within_both_inclusive_bounds_and_reaches_them(int min, int max)
    {
        var rng = new SplitMix64(11);
        var seen = Enumerable.Range(0, 2000).Select(_ => rng.NextInt(min, max)).ToHashSet();
        Assert.All(seen, v => Assert.InRange(v, min, max));
        Assert.Equal(max - min + 1, seen.Count);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(10, 10)]
    [InlineData(5, 1000)]
    public void SortedSample_is_ascending_distinct_and_in_range(int count, int range)
    {
        var values = new SplitMix64(3).SortedSample(count, range);
        Assert.Equal(count, values.Length);
        Assert.All(values, v => Assert.InRange(v, 0, range - 1));
        for (var i = 1; i < values.Length; i++) Assert.True(values[i] > values[i - 1]);
    }

    [Fact]
    public void SortedSample_picks_every_value_equally_often()
    {
        // 3 of 6 values, 60 000 draws: each value is taken with probability 1/2, so its count is
        // Binomial(60 000, 1/2) with standard deviation ≈ 122; 5 sd is 612.
        var rng = new SplitMix64(5);
        var counts = new int[6];
        for (var n = 0; n < 60_000; n++)
            foreach (var v in rng.SortedSample(3, 6)) counts[v]++;
        Assert.All(counts, c => Assert.InRange(c, 30_000 - 612, 30_000 + 612));
    }
}
