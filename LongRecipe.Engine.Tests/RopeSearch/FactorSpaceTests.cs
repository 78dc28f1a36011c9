using LongRecipe.Engine.Model;
using LongRecipe.Engine.Randomness;
using LongRecipe.Engine.RopeSearch;
using LongRecipe.Engine.Tests.Support;

namespace LongRecipe.Engine.Tests.RopeSearch;

public class FactorSpaceTests
{
    private static readonly int[] Choices = [0, 1, 2, 4];
    private static readonly FactorSpace Space = new(pairs: 8, factor: 4, upper: 5, Choices);

    private static void AssertInSpace(RopeCandidate candidate)
    {
        var factors = candidate.Factors;
        Assert.Equal(8, factors.Count);
        Assert.All(factors, f => Assert.InRange(f, 1, 5));
        Assert.All(factors, f => Assert.Equal(Math.Round(f * 100), f * 100, 9));
        Assert.All(factors.Zip(factors.Skip(1)), p => Assert.True(p.First <= p.Second, $"{p.First} > {p.Second}"));
        Assert.Contains(candidate.InitialUnscaledTokens, Choices);
    }

    [Fact]
    public void Repair_clamps_orders_by_running_maximum_and_rounds_to_the_grid()
    {
        Assert.Equal([1, 1, 2.5, 2.5, 3.12, 5, 5, 5], Space.Repair([0.2, 1, 2.5, 1.7, 3.123, 9, 4, 5]));
    }

    [Fact]
    public void Seeds_are_linear_ntk_and_yarn_curves_at_the_smallest_n_hat()
    {
        var seeds = Space.Seeds(new RopeScaling(), headDim: 16, originalWindow: 32).ToList();
        Assert.All(seeds, s => Assert.Equal(0, s.InitialUnscaledTokens));
        Assert.Equal(Enumerable.Repeat(4.0, 8), seeds[0].Factors);
        // NTK: λ_i = 4^(2i/14); i = 0 → 1, i = 7 → 4, i = 3 → 4^(3/7) = 1.811.
        Assert.Equal(1, seeds[1].Factors[0]);
        Assert.Equal(1.81, seeds[1].Factors[3]);
        Assert.Equal(4, seeds[1].Factors[7]);
        // YaRN at L = 32, θ = 10000, d = 16: pair i turns 32 / (2π 10000^(i/8)) times; none turns β_fast = 32
        // times, so the ramp starts at 0 and ends at ⌈dim(β_slow = 1)⌉ = ⌈16 ln(32 / 2π) / (2 ln 10000)⌉ = 2:
        // λ_0 = 1, λ_1 halfway (1 / (0.5/4 + 0.5) = 1.6), λ_i = 4 beyond.
        Assert.Equal([1, 1.6, 4, 4, 4, 4, 4, 4], seeds[2].Factors);
        seeds.ForEach(AssertInSpace);
    }

    [Fact]
    public void Mutations_and_crossovers_stay_monotone_in_bounds_and_on_the_grid_over_many_draws()
    {
        var random = new SplitMix64(3);
        var a = new RopeCandidate(2, Space.Repair([1, 1.2, 1.5, 2, 3, 4, 4.5, 5]));
        var b = new RopeCandidate(0, Space.Repair([1, 1, 1, 1, 4, 4, 4, 4]));
        for (var i = 0; i < 2000; i++)
        {
            // Chained, so that mutations also start from what earlier ones drew.
            a = Space.Mutate(a, 0.5, random);
            AssertInSpace(a);
            AssertInSpace(Space.Mutate(b, 1, random));
            AssertInSpace(Space.Crossover(a, b, random));
        }
    }

    [Fact]
    public void A_mutated_factor_is_redrawn_anywhere_between_its_neighbours_values_and_nowhere_else()
    {
        // λ_2 sits between λ_1 = 1.00 and λ_3 = 1.05: a redraw takes one of 1.00 … 1.05, each as likely.
        var parent = new RopeCandidate(0, [1, 1, 1.02, 1.05, 3, 4, 4.5, 5]);
        var random = new SplitMix64(11);
        var drawn = new Dictionary<double, int>();
        for (var i = 0; i < 20_000; i++)
        {
            var child = Space.Mutate(parent, 1.0 / 8, random);
            var changed = Enumerable.Range(0, 8).Where(j => child.Factors[j] != parent.Factors[j]).ToList();
            if (changed is not [2]) continue;
            drawn[child.Factors[2]] = drawn.GetValueOrDefault(child.Factors[2]) + 1;
        }
        Assert.Equal([1.00, 1.01, 1.03, 1.04, 1.05], drawn.Keys.Order());
        Assert.All(drawn.Values, n => Assert.InRange(n, drawn.Values.Average() * 0.7, drawn.Values.Average() * 1.3));
    }

    [Fact]
    public void The_ends_are_redrawn_between_one_and_the_first_neighbour_and_between_the_last_neighbour_and_the_bound()
    {
        var parent = new RopeCandidate(0, [1.03, 1.03, 2, 2, 2, 2, 4.97, 4.97]);
        var random = new SplitMix64(5);
        var (first, last) = (new HashSet<double>(), new HashSet<double>());
        for (var i = 0; i < 5000; i++)
        {
            var child = Space.Mutate(parent, 1.0 / 8, random);
            if (child.Factors[1] == 1.03) first.Add(child.Factors[0]);
            if (child.Factors[6] == 4.97) last.Add(child.Factors[7]);
        }
        Assert.Equal([1.00, 1.01, 1.02, 1.03], first.Order());
        Assert.Equal([4.97, 4.98, 4.99, 5.00], last.Order());
    }

    [Fact]
    public void N_hat_is_redrawn_from_its_candidate_set_and_crossed_over_from_either_parent()
    {
        var random = new SplitMix64(7);
        var parent = new RopeCandidate(2, Space.Repair([1, 2, 3, 4, 4, 4, 4, 4]));
        var mutated = Enumerable.Range(0, 400).Select(_ => Space.Mutate(parent, 0.5, random).InitialUnscaledTokens).ToHashSet();
        Assert.Equal(Choices, mutated.Order());
        var other = parent with { InitialUnscaledTokens = 4 };
        var crossed = Enumerable.Range(0, 100).Select(_ => Space.Crossover(parent, other, random).InitialUnscaledTokens).ToHashSet();
        Assert.Equal([2, 4], crossed.Order());
    }

    [Fact]
    public void Keys_are_equal_exactly_for_equal_n_hat_and_grid_vectors()
    {
        Assert.Equal(new RopeCandidate(1, [1, 2.5]).Key, new RopeCandidate(1, [1.0, 2.50]).Key);
        Assert.NotEqual(new RopeCandidate(1, [1, 2.5]).Key, new RopeCandidate(1, [1, 2.51]).Key);
        Assert.NotEqual(new RopeCandidate(1, [1, 2.5]).Key, new RopeCandidate(2, [1, 2.5]).Key);
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
    [InlineData("UnscaledTokens")]
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
            "UnscaledTokens" => new RopeSearchSpec(UnscaledTokens: [0, 4, 4]),
            _ => new RopeSearchSpec(BatchSize: 0),
        };
        var e = Assert.Throws<ArgumentException>(() => spec.Validate());
        Assert.Equal(field, e.ParamName);
        Assert.Contains($"rope search {field}", e.Message);
    }

    [Fact]
    public void N_hat_candidates_default_to_the_papers_set_up_to_a_sixteenth_of_the_window()
    {
        Assert.Equal([0, 1, 2, 4, 8, 12, 16], new RopeSearchSpec().UnscaledChoices(256));
        Assert.Equal([0, 1, 2, 4], new RopeSearchSpec().UnscaledChoices(64));
        Assert.Equal(RopeSearchSpec.PaperUnscaledTokens, new RopeSearchSpec().UnscaledChoices(4096));
        Assert.Equal([0], new RopeSearchSpec(UnscaledTokens: [0]).UnscaledChoices(4096));
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
