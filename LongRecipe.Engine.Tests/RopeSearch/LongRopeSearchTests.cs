using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.RopeSearch;
using LongRecipe.Engine.Runs;
using LongRecipe.Engine.Tests.Support;

namespace LongRecipe.Engine.Tests.RopeSearch;

/// <summary>One trained model and one search, shared by the tests that read them.</summary>
public sealed class SearchedModel : IDisposable
{
    internal PretrainedForTests Pretrained { get; } = new();

    public RopeSearchSpec Spec { get; }

    public long[][] SearchSamples { get; }

    public RopeSearchResult Result { get; }

    public List<RopeSearchProgress> Reports { get; } = [];

    public SearchedModel()
    {
        // The built-in model's native window is 256; a 2× search keeps its samples short enough for CPU.
        Spec = Pretrained.IsBuiltin
            ? new RopeSearchSpec(Factor: 2, Population: 6, Generations: 2, Parents: 2, ShortGenerations: 1, Samples: 2, Seed: 5)
            : new RopeSearchSpec(Factor: 4, Progressive: [2, 4], Population: 8, Generations: 4, Parents: 3, ShortGenerations: 2, Samples: 3, Seed: 5);
        var length = (int)(Spec.Factor * Pretrained.Model.Config.MaxPositionEmbeddings);
        SearchSamples = Engine.RopeSearch.SearchSamples.Synthetic(Pretrained.Encode, Spec.Samples, length, seed: 1);
        Result = LongRopeSearch.Run(Pretrained.Model, SearchSamples, Spec, new SynchronousProgress<RopeSearchProgress>(Reports.Add));
    }

    public void Dispose() => Pretrained.Dispose();
}

public class LongRopeSearchTests(SearchedModel searched) : IClassFixture<SearchedModel>
{
    private LlamaModel Model => searched.Pretrained.Model;

    private static double Ppl(LlamaModel model, long[][] samples) =>
        Perplexity.Of(model, samples, 1, TestContext.Current.CancellationToken);

    private LlamaConfig Linear(double factor) => Model.Config with
    {
        MaxPositionEmbeddings = (long)(factor * Model.Config.MaxPositionEmbeddings),
        RopeScaling = Model.Config.RopeScaling with { Type = RopeType.Linear, Factor = factor },
    };

    [Fact]
    public void The_search_lowers_held_out_long_perplexity_below_linear_interpolation()
    {
        var length = (int)searched.Result.MaxPositionEmbeddings;
        var heldOut = SearchSamples.Synthetic(searched.Pretrained.Encode, 2, length, seed: 2);
        Assert.DoesNotContain(heldOut, h => searched.SearchSamples.Any(s => s.SequenceEqual(h)));

        var searchedPpl = Ppl(Model.WithConfig(searched.Result.Apply(Model.Config)), heldOut);
        var linearPpl = Ppl(Model.WithConfig(Linear(searched.Spec.Factor)), heldOut);
        Assert.True(searchedPpl < linearPpl, $"held-out perplexity: searched {searchedPpl:F3}, linear {linearPpl:F3}");
    }

    [Fact]
    public void Factors_are_non_decreasing_and_within_the_bounds()
    {
        var s = searched.Spec.Factor;
        foreach (var factors in new[] { searched.Result.Rope.LongFactor!, searched.Result.Rope.ShortFactor! })
        {
            Assert.Equal(Model.Config.HeadDim / 2, factors.Count);
            Assert.All(factors, f => Assert.InRange(f, 1, 1.25 * s));
            Assert.All(factors.Zip(factors.Skip(1)), p => Assert.True(p.First <= p.Second, $"{p.First} > {p.Second}"));
        }
    }

    [Fact]
    public void Each_stage_is_at_least_as_good_as_its_seeds_and_reports_linear_interpolation_beside_it()
    {
        var stages = searched.Result.Stages;
        Assert.Equal(searched.Spec.Stages, stages.Where(st => st.Phase == RopeSearchPhase.Long).Select(st => st.Factor));
        Assert.Equal(RopeSearchPhase.Short, stages[^1].Phase);
        Assert.Equal(Model.Config.MaxPositionEmbeddings, stages[^1].Length);
        var last = stages[^2];
        Assert.Equal(searched.Result.LongPerplexity, last.BestPerplexity);
        // The short phase starts from all-ones factors, so it ends no worse than them; its linear
        // column is the plain model at L.
        var window = (int)Model.Config.MaxPositionEmbeddings;
        var shortSamples = searched.SearchSamples.Select(x => x[..window]).ToArray();
        var ones = searched.Result.Rope with { ShortFactor = Enumerable.Repeat(1.0, Model.Config.HeadDim / 2).ToArray() };
        var withOnes = Ppl(Model.WithConfig(searched.Result.Apply(Model.Config) with { RopeScaling = ones }), shortSamples);
        Assert.True(stages[^1].BestPerplexity <= withOnes, $"short: searched {stages[^1].BestPerplexity}, ones {withOnes}");
        Assert.Equal(Ppl(Model, shortSamples), stages[^1].LinearPerplexity, 12);
        var linearAtS = Ppl(Model.WithConfig(Linear(last.Factor)), searched.SearchSamples);
        Assert.Equal(linearAtS, last.LinearPerplexity, 12);
    }

    [Fact]
    public void The_emitted_config_reproduces_the_reported_perplexities()
    {
        using var folder = new TempFolder();
        var file = searched.Result.Apply(Model.Config).Save(Path.Combine(folder.Path, "config.json"));
        var loaded = LlamaConfig.Load(file);
        Assert.Equal(RopeType.LongRope, loaded.RopeScaling.Type);
        Assert.Equal(searched.Result.Rope, loaded.RopeScaling);

        var reloaded = Model.WithConfig(loaded);
        Assert.Equal(searched.Result.LongPerplexity, Ppl(reloaded, searched.SearchSamples));
        var window = (int)Model.Config.MaxPositionEmbeddings;
        Assert.Equal(searched.Result.ShortPerplexity, Ppl(reloaded, searched.SearchSamples.Select(x => x[..window]).ToArray()));

        var json = searched.Result.RopeScalingJson();
        Assert.Equal("longrope", (string?)json["rope_type"]);
        Assert.Equal(window, (long?)json["original_max_position_embeddings"]);
        Assert.Equal(searched.Spec.Factor, (double?)json["factor"]);
    }

    [Fact]
    public void Progress_arrives_per_generation_with_a_best_that_never_worsens()
    {
        var perStage = searched.Reports.GroupBy(r => (r.Phase, r.Factor)).ToList();
        Assert.Equal(searched.Result.Stages.Count, perStage.Count);
        foreach (var stage in perStage)
        {
            var reports = stage.ToList();
            Assert.Equal(Enumerable.Range(0, reports[0].Generations + 1), reports.Select(r => r.Generation));
            Assert.All(reports.Zip(reports.Skip(1)), p => Assert.True(p.Second.BestPerplexity <= p.First.BestPerplexity));
            Assert.All(reports.Zip(reports.Skip(1)), p => Assert.True(p.Second.Evaluated >= p.First.Evaluated));
        }
        Assert.Equal(searched.Result.Rope.LongFactor, searched.Reports.Last(r => r.Phase == RopeSearchPhase.Long).BestFactors);
    }

    [Fact]
    public void N_hat_is_searched_among_its_candidates_and_kept_by_the_short_phase()
    {
        var choices = searched.Spec.UnscaledChoices(Model.Config.MaxPositionEmbeddings);
        var stages = searched.Result.Stages;
        Assert.All(stages.Where(s => s.Phase == RopeSearchPhase.Long), s => Assert.Contains(s.InitialUnscaledTokens, choices));
        Assert.Equal(stages[^2].InitialUnscaledTokens, stages[^1].InitialUnscaledTokens);
        Assert.Equal(stages[^2].InitialUnscaledTokens, searched.Result.Rope.InitialUnscaledTokens);
        Assert.Equal(stages[^2].InitialUnscaledTokens, searched.Reports.Last(r => r.Phase == RopeSearchPhase.Long).BestUnscaledTokens);
    }

    [Fact]
    public void A_search_stopped_mid_stage_resumes_from_its_checkpoint_to_the_same_result()
    {
        // One seed, one result, stopped or not: the resumed search ends exactly where the fixture's uninterrupted one did.
        using var folder = new TempFolder();
        var file = folder.File("search_state.json");
        using (var cancel = new CancellationTokenSource())
        {
            // Stop as soon as the first stage's generation 1 is checkpointed and reported.
            var stopping = new SynchronousProgress<RopeSearchProgress>(p =>
            {
                if (p is { Phase: RopeSearchPhase.Long, Generation: 1 }) cancel.Cancel();
            });
            Assert.ThrowsAny<OperationCanceledException>(() =>
                LongRopeSearch.Run(Model, searched.SearchSamples, searched.Spec, stopping, cancel.Token, file));
        }
        Assert.True(File.Exists(file));

        var resumed = new List<RopeSearchProgress>();
        var result = LongRopeSearch.Run(Model, searched.SearchSamples, searched.Spec,
            new SynchronousProgress<RopeSearchProgress>(resumed.Add), TestContext.Current.CancellationToken, file);

        Assert.Equal((RopeSearchPhase.Long, searched.Spec.Stages[0], 2), (resumed[0].Phase, resumed[0].Factor, resumed[0].Generation));
        Assert.Equal(searched.Reports.Skip(2).Select(r => (r.Phase, r.Factor, r.Generation, r.Evaluated, r.BestPerplexity)),
            resumed.Select(r => (r.Phase, r.Factor, r.Generation, r.Evaluated, r.BestPerplexity)));
        Assert.Equal(searched.Result.Rope, result.Rope);
        Assert.Equal((searched.Result.LongPerplexity, searched.Result.ShortPerplexity), (result.LongPerplexity, result.ShortPerplexity));

        // A finished checkpoint holds the answer: nothing is scored again.
        var again = new List<RopeSearchProgress>();
        var replay = LongRopeSearch.Run(Model, searched.SearchSamples, searched.Spec,
            new SynchronousProgress<RopeSearchProgress>(again.Add), TestContext.Current.CancellationToken, file);
        Assert.Empty(again);
        Assert.Equal(searched.Result.Rope, replay.Rope);
    }

    [Fact]
    public void A_checkpoint_written_by_other_settings_is_refused_naming_the_file()
    {
        using var folder = new TempFolder();
        var file = folder.File("search_state.json");
        SearchCheckpoint.Start(searched.Spec with { Seed = 99 }).Save(file);
        var e = Assert.Throws<InvalidDataException>(() =>
            LongRopeSearch.Run(Model, searched.SearchSamples, searched.Spec, cancel: TestContext.Current.CancellationToken, checkpointFile: file));
        Assert.StartsWith($"{file}: written by a search with other settings", e.Message);
    }

    [Fact]
    public void A_longrope_model_is_searched_further_from_its_own_factors_scaled_to_the_new_factor()
    {
        // The progressive route's second search, on the searched model (standing in for one fine-tuned at its window).
        var window = (int)Model.Config.MaxPositionEmbeddings;
        var first = searched.Result.Rope;
        var extended = Model.WithConfig(searched.Result.Apply(Model.Config));
        var s = searched.Spec.Factor + 1;
        var spec = new RopeSearchSpec(Factor: s, Generations: 0, ShortGenerations: 0, Samples: 1, Seed: 5);
        var samples = SearchSamples.Synthetic(searched.Pretrained.Encode, 1, (int)(s * window), seed: 3);

        var result = LongRopeSearch.Run(extended, samples, spec, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(window, result.Rope.OriginalMaxPositionEmbeddings);
        Assert.Equal((long)(s * window), result.MaxPositionEmbeddings);
        // The seed from the model itself: its long factors × s / s₁ on the grid, its n̂, and the default multiplier at s.
        var scaled = first.LongFactor!.Select(f => Math.Min(Math.Round(f * s / first.Factor!.Value * 100) / 100, 1.25 * s)).ToArray();
        var seed = Model.Config with
        {
            MaxPositionEmbeddings = (long)(s * window),
            RopeScaling = first with { Factor = s, LongFactor = scaled, AttentionFactor = Math.Sqrt(1 + Math.Log(s) / Math.Log(window)) },
        };
        var seedPpl = Ppl(Model.WithConfig(seed), samples);
        Assert.True(result.LongPerplexity <= seedPpl, $"searched {result.LongPerplexity}, the model's own factors scaled {seedPpl}");
        Assert.InRange(result.Stages[0].Evaluated, 2, 4);
    }

    [Fact]
    public void Perplexity_is_the_exponentiated_mean_negative_log_prob_over_all_tokens_in_any_batching()
    {
        var samples = searched.SearchSamples;
        var logProbs = samples.SelectMany(x => Scoring.LogProbs(Model, x)).ToArray();
        var expected = Math.Exp(-logProbs.Average());
        Assert.Equal(expected, Ppl(Model, samples), 12);
        // Batched rows go through other f32 kernels: equal to a part in a million, not to the last bit.
        Expect.Close(expected, Perplexity.Of(Model, samples, batchSize: 2, TestContext.Current.CancellationToken), 1e-6 * expected, "batched perplexity");
    }

    [Fact]
    public void Cancellation_stops_the_search()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            LongRopeSearch.Run(Model, searched.SearchSamples, searched.Spec, cancel: cancel.Token));
    }

    [Fact]
    public void Too_few_or_too_short_samples_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => LongRopeSearch.Run(Model, searched.SearchSamples[..1], searched.Spec, cancel: TestContext.Current.CancellationToken));
        Assert.Contains($"Samples = {searched.Spec.Samples}", e.Message);
        var cut = searched.SearchSamples.Select(x => x[..^1]).ToArray();
        e = Assert.Throws<ArgumentException>(() => LongRopeSearch.Run(Model, cut, searched.Spec, cancel: TestContext.Current.CancellationToken));
        Assert.Contains("s × L", e.Message);
    }
}
