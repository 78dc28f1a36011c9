using LongRecipe.Engine.Model;
using LongRecipe.Engine.Randomness;
using LongRecipe.Engine.RopeSearch;
using LongRecipe.Engine.Tests.Support;

namespace LongRecipe.Engine.Tests.RopeSearch;

public class FactorSpaceTests
{
    private static readonly FactorSpace Space = new(pairs: 8, factor: 4, upper: 5);

    private static void AssertInSpace(IReadOnlyList<double> factors)
    {
        Assert.Equal(8, factors.Count);
        Assert.All(factors, f => Assert.InRange(f, 1, 5));
        Assert.All(factors, f => Assert.Equal(Math.Round(f * 100), f * 100, 9));
        Assert.All(factors.Zip(factors.Skip(1)), p => Assert.True(p.First <= p.Second, $"{p.First} > {p.Second}"));
    }

    [Fact]
    public void Repair_clamps_orders_by_running_maximum_and_rounds_to_the_grid()
    {
        Assert.Equal([1, 1, 2.5, 2.5, 3.12, 5, 5, 5], Space.Repair([0.2, 1, 2.5, 1.7, 3.123, 9, 4, 5]));
    }

    [Fact]
    public void Seeds_are_linear_ntk_and_yarn_curves()
    {
        var seeds = Space.Seeds(new RopeScaling(), headDim: 16, originalWindow: 32).ToList();
        Assert.Equal(Enumerable.Repeat(4.0, 8), seeds[0]);
        // NTK: λ_i = 4^(2i/14); i = 0 → 1, i = 7 → 4, i = 3 → 4^(3/7) = 1.811.
        Assert.Equal(1, seeds[1][0]);
        Assert.Equal(1.81, seeds[1][3]);
        Assert.Equal(4, seeds[1][7]);
        // YaRN at L = 32, θ = 10000, d = 16: pair i turns 32 / (2π 10000^(i/8)) times; none turns β_fast = 32
        // times, so the ramp starts at 0 and ends at ⌈dim(β_slow = 1)⌉ = ⌈16 ln(32 / 2π) / (2 ln 10000)⌉ = 2:
        // λ_0 = 1, λ_1 halfway (1 / (0.5/4 + 0.5) = 1.6), λ_i = 4 beyond.
        Assert.Equal([1, 1.6, 4, 4, 4, 4, 4, 4], seeds[2]);
        seeds.ForEach(AssertInSpace);
    }

    [Fact]
    public void Mutations_and_crossovers_stay_in_the_space()
    {
        var random = new SplitMix64(3);
        var a = Space.Repair([1, 1.2, 1.5, 2, 3, 4, 4.5, 5]);
        var b = Space.Repair([1, 1, 1, 1, 4, 4, 4, 4]);
        for (var i = 0; i < 200; i++)
        {
            AssertInSpace(Space.Mutate(a, 0.5, 0.3, random));
            AssertInSpace(Space.Crossover(a, b, random));
        }
    }

    [Fact]
    public void A_mutation_moves_each_factor_by_at_most_the_step_before_repair()
    {
        var random = new SplitMix64(9);
        var flat = Enumerable.Repeat(3.0, 8).ToArray();
        for (var i = 0; i < 100; i++)
            Assert.All(Space.Mutate(flat, 1, 0.1, random), f => Assert.InRange(f, 3 - 0.4, 3 + 0.4));
    }

    [Fact]
    public void Keys_are_equal_exactly_for_equal_grid_vectors()
    {
        Assert.Equal(FactorSpace.Key([1, 2.5]), FactorSpace.Key([1.0, 2.50]));
        Assert.NotEqual(FactorSpace.Key([1, 2.5]), FactorSpace.Key([1, 2.51]));
    }
}

public class RopeSearchSpecTests
{
    [Theory]
    [InlineData("Factor")]
    [InlineData("Progressive")]
    [InlineData("Population")]
    [InlineData("Parents")]
    [InlineData("MutationProbability")]
    [InlineData("CrossoverProbability")]
    [InlineData("MaxFactorRatio")]
    [InlineData("Samples")]
    [InlineData("BatchSize")]
    public void Bad_fields_are_named(string field)
    {
        var spec = field switch
        {
            "Factor" => new RopeSearchSpec(Factor: 1),
            "Progressive" => new RopeSearchSpec(Factor: 4, Progressive: [2, 8]),
            "Population" => new RopeSearchSpec(Population: 1),
            "Parents" => new RopeSearchSpec(Population: 4, Parents: 4),
            "MutationProbability" => new RopeSearchSpec(MutationProbability: 0),
            "CrossoverProbability" => new RopeSearchSpec(CrossoverProbability: 1.5),
            "MaxFactorRatio" => new RopeSearchSpec(MaxFactorRatio: 0.9),
            "Samples" => new RopeSearchSpec(Samples: 0),
            _ => new RopeSearchSpec(BatchSize: 0),
        };
        var e = Assert.Throws<ArgumentException>(() => spec.Validate());
        Assert.Equal(field, e.ParamName);
        Assert.Contains($"rope search {field}", e.Message);
    }

    [Fact]
    public void Stages_default_to_the_factor_alone()
    {
        Assert.Equal([4.0], new RopeSearchSpec(Factor: 4).Stages);
        Assert.Equal([2.0, 4, 8], new RopeSearchSpec(Factor: 8, Progressive: [2, 4, 8]).Validate().Stages);
    }

    [Fact]
    public void A_stage_that_reaches_no_position_beyond_the_window_is_refused()
    {
        using var model = LlamaModel.Initialize(LlamaConfig.Tiny(), 1);
        var e = Assert.Throws<ArgumentException>(() => LongRopeSearch.Run(model, [new long[256]],
            new RopeSearchSpec(Factor: 1.001, Samples: 1), cancel: TestContext.Current.CancellationToken));
        Assert.Contains("1.001× stage over a 64-token window", e.Message);
    }

    [Fact]
    public void A_model_with_scaled_rope_is_refused()
    {
        using var model = LlamaModel.Initialize(LlamaConfig.Tiny(rope: new RopeScaling { Type = RopeType.Linear, Factor = 2 }), 1);
        var e = Assert.Throws<ArgumentException>(() => LongRopeSearch.Run(model, [new long[256]], new RopeSearchSpec(Samples: 1), cancel: TestContext.Current.CancellationToken));
        Assert.Contains("rope_type is 'linear'", e.Message);
    }
}

public class SearchSamplesTests
{
    private static int[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();

    [Fact]
    public void Samples_have_the_length_asked_for_and_follow_the_seed()
    {
        var a = SearchSamples.Synthetic(Bytes, 3, 200, seed: 1);
        Assert.Equal(3, a.Length);
        Assert.All(a, s => Assert.Equal(200, s.Length));
        Assert.Equal(a, SearchSamples.Synthetic(Bytes, 3, 200, seed: 1));
        var b = SearchSamples.Synthetic(Bytes, 3, 200, seed: 2);
        Assert.DoesNotContain(b, s => a.Any(x => x.SequenceEqual(s)));
        // The text is the synthetic document's, byte for byte.
        Assert.All(a, s => Assert.All(s, id => Assert.InRange(id, 0, 255)));
    }
}
