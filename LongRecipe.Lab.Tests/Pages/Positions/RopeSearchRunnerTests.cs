using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.RopeSearch;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Lab.Components.Pages.Models;
using LongRecipe.Lab.Components.Pages.Positions;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LongRecipe.Lab.Tests.Pages.Positions;

/// <summary>Tiny searches on <see cref="TinyModel"/> (8 rotary pairs, a 256-token window) through the Lab's runner.</summary>
public sealed class RopeSearchRunnerTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("lab-ropesearch-").FullName;
    private readonly ModelCatalog catalog;
    private readonly RopeSearchRunner runner;

    public RopeSearchRunnerTests()
    {
        catalog = new ModelCatalog(Options.Create(new LabOptions { DataDirectory = "data" }), new HostingEnvironment { ContentRootPath = root });
        runner = new RopeSearchRunner(catalog, NullLogger<RopeSearchRunner>.Instance);
    }

    public void Dispose()
    {
        runner.Dispose();
        Directory.Delete(root, recursive: true);
    }

    /// <summary>Two long stages (1.5× and 2×) and the short phase, two reports each.</summary>
    private static readonly RopeSearchSpec Tiny =
        new(Factor: 2, Progressive: [1.5, 2], Population: 4, Generations: 1, Parents: 1, ShortGenerations: 1, Samples: 1, Seed: 3);

    private ModelEntry Model()
    {
        Assert.SkipUnless(TinyModel.TokenizerPresent, "No Llama-2 tokenizer in .cache (scripts/ensure-deps.sh --test fetches it).");
        var directory = Path.Combine(root, "models", "tiny");
        TinyModel.Write(directory);
        return ModelCatalog.Describe(directory, ModelSource.Repository);
    }

    [Fact]
    public async Task A_search_reports_every_generation_of_every_stage_in_order_and_keeps_its_result()
    {
        var session = runner.Start(new RopeSearchRequest(Model(), Tiny));
        await session.Completion;

        Assert.Equal(RopeSearchState.Completed, session.State);
        Assert.Equal(["long 1.5×", "long 2×", "short 2×"], session.StageNames);
        var steps = session.Steps;
        Assert.Equal(6, session.TotalSteps);
        Assert.Equal([1, 2, 3, 4, 5, 6], steps.Select(s => s.Step));
        Assert.Equal([0, 0, 1, 1, 2, 2], steps.Select(s => s.Stage));
        Assert.Equal([0, 1, 0, 1, 0, 1], steps.Select(s => s.Progress.Generation));
        Assert.Equal([1.5, 1.5, 2, 2, 2, 2], steps.Select(s => s.Progress.Factor));
        // The best survive each generation, so a stage's best perplexity never rises.
        foreach (var stage in steps.GroupBy(s => s.Stage))
            Assert.True(stage.Zip(stage.Skip(1)).All(p => p.Second.Progress.BestPerplexity <= p.First.Progress.BestPerplexity));

        var result = session.Result!;
        Assert.Equal(3, result.Stages.Count);
        for (var stage = 0; stage < 3; stage++)
        {
            Assert.Equal(steps[2 * stage + 1].Progress.BestPerplexity, result.Stages[stage].BestPerplexity);
            Assert.Equal(steps[2 * stage + 1].Progress.BestFactors, result.Stages[stage].Factors);
        }
        Assert.Equal(512, result.MaxPositionEmbeddings);
        Assert.Same(session, runner.Current);
        Assert.False(runner.Running);
    }

    [Fact]
    public async Task A_follower_gets_the_steps_so_far_then_each_later_one_exactly_once()
    {
        var session = runner.Start(new RopeSearchRequest(Model(), Tiny));
        var seen = new List<int>();
        IReadOnlyList<RopeSearchStep> before;
        IDisposable subscription;
        // Joins while the search runs (or after, if it is quick): either way nothing is lost or repeated.
        await Task.Delay(50, TestContext.Current.CancellationToken);
        lock (seen) before = session.Follow(step => { lock (seen) seen.Add(step.Step); }, out subscription);
        await session.Completion;
        subscription.Dispose();

        Assert.Equal(Enumerable.Range(1, 6), before.Select(s => s.Step).Concat(seen));
    }

    [Fact]
    public async Task Cancel_stops_the_search_and_a_second_search_waits_for_the_first()
    {
        var model = Model();
        var session = runner.Start(new RopeSearchRequest(model, Tiny with { Progressive = null, Generations = 1000 }));
        var firstStep = new TaskCompletionSource();
        session.Follow(_ => firstStep.TrySetResult(), out var subscription);
        await firstStep.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Throws<InvalidOperationException>(() => runner.Start(new RopeSearchRequest(model, Tiny)));
        runner.Cancel();
        await session.Completion.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        subscription.Dispose();

        Assert.Equal(RopeSearchState.Cancelled, session.State);
        Assert.Null(session.Result);
        Assert.InRange(session.Steps.Count, 1, session.TotalSteps - 1);

        var next = runner.Start(new RopeSearchRequest(model, Tiny with { Generations = 0, ShortGenerations = 0 }));
        await next.Completion;
        Assert.Equal(RopeSearchState.Completed, next.State);
        Assert.Equal(next.Id, session.Id + 1);
    }

    [Fact]
    public async Task Saving_writes_a_model_that_loads_with_the_searched_longrope_and_scores_the_searched_perplexity()
    {
        var model = Model();
        var session = runner.Start(new RopeSearchRequest(model, Tiny));
        await session.Completion;
        var result = session.Result!;

        var saved = runner.SaveAsModel(session, "tiny-longrope-2x");

        Assert.Equal(Path.Combine(catalog.DataModels, "tiny-longrope-2x"), saved);
        var listed = catalog.List().Single(m => m.Source == ModelSource.DataDirectory);
        Assert.True(listed.Usable);
        Assert.Equal(["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"],
            Directory.EnumerateFiles(saved).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var loaded = PretrainedModel.Load(saved);
        var rope = loaded.Config.RopeScaling;
        Assert.Equal(RopeType.LongRope, rope.Type);
        Assert.Equal(2.0, rope.Factor);
        Assert.Equal(256, rope.OriginalMaxPositionEmbeddings);
        Assert.Equal(512, loaded.Config.MaxPositionEmbeddings);
        Assert.Equal(result.Stages[1].Factors, rope.LongFactor);
        Assert.Equal(result.Stages[2].Factors, rope.ShortFactor);
        Assert.Equal(model.Config! with { MaxPositionEmbeddings = 512, RopeScaling = rope }, loaded.Config);

        // The same samples the search drew, scored by the saved model: the perplexity the search reported.
        var tokenizer = Tokenizer.Load(saved);
        var samples = SearchSamples.Synthetic(text => tokenizer.Encode(text, addSpecialTokens: true), Tiny.Samples, 512, Tiny.Seed);
        Assert.Equal(result.LongPerplexity, Perplexity.Of(loaded, samples, 1, TestContext.Current.CancellationToken), 3);

        Assert.Throws<IOException>(() => runner.SaveAsModel(session, "tiny-longrope-2x"));
        Assert.Throws<ArgumentException>(() => runner.SaveAsModel(session, "../elsewhere"));
        Assert.Throws<ArgumentException>(() => runner.SaveAsModel(session, " "));
        Assert.Empty(Directory.EnumerateDirectories(catalog.DataModels, ".*"));
    }

    [Fact]
    public async Task A_search_that_fails_says_why_and_frees_the_runner()
    {
        var model = Model();
        var session = runner.Start(new RopeSearchRequest(model, Tiny, "cuda:9"));
        await session.Completion;

        Assert.Equal(RopeSearchState.Failed, session.State);
        Assert.False(string.IsNullOrWhiteSpace(session.Status));
        Assert.Empty(session.Steps);
        Assert.False(runner.Running);
        var next = runner.Start(new RopeSearchRequest(model, Tiny with { Generations = 0, ShortGenerations = 0 }));
        await next.Completion;
        Assert.Equal(RopeSearchState.Completed, next.State);
    }

    [Fact]
    public void Requests_that_cannot_run_are_refused_before_anything_starts()
    {
        var model = Model();
        var extended = model with { Config = model.Config! with { RopeScaling = new RopeScaling { Type = RopeType.Linear, Factor = 2 } } };

        Assert.Contains("already uses rope_type 'linear'", new RopeSearchRequest(extended, Tiny).Problem());
        Assert.Contains("Population", new RopeSearchRequest(model, Tiny with { Population = 1 }).Problem());
        Assert.Contains("unknown device 'gpu'", new RopeSearchRequest(model, Tiny, "gpu").Problem());
        Assert.Throws<ArgumentException>(() => runner.Start(new RopeSearchRequest(model, Tiny with { Progressive = [3, 2] })));
        Assert.Null(runner.Current);
    }
}
