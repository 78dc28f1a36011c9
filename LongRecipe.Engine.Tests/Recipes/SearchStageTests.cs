using System.Threading.Channels;
using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.RopeSearch;
using LongRecipe.Engine.Runs;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Recipes;

/// <summary>One uninterrupted training-free search run (the built-in model 256 → 512), shared by the tests that read it.</summary>
public sealed class SearchedRun : IDisposable
{
    internal TempFolder Folder { get; } = new();

    public RunSpec Spec { get; } = RecipeRunnerTests.SearchRun();

    public RunStatus Status { get; }

    public List<RunEvent> Events { get; }

    public string FinalModel => Path.Combine(Folder.Path, RecipeRunner.ModelFolder);

    public SearchedRun() =>
        (Status, Events) = RecipeRunnerTests.Run(new RecipeRunner(Spec, Folder.Path, RecipeRunnerTests.Builtin));

    public void Dispose() => Folder.Dispose();
}

/// <summary>The search as a stage of a run: its events, the RoPE it leaves on the saved model, and resuming it.</summary>
public class SearchStageTests(SearchedRun run) : IClassFixture<SearchedRun>
{
    private IEnumerable<SearchEvent> Generations(RopeSearchPhase phase) => run.Events.OfType<SearchEvent>().Where(g => g.Phase == phase);

    [Fact]
    public void Every_generation_of_both_phases_is_an_event_of_the_search_stage()
    {
        Assert.True(run.Status == RunStatus.Completed, run.Events.OfType<StatusEvent>().Last().Error);
        Assert.Equal([("search", StagePhase.Started), ("search", StagePhase.Completed), ("eval", StagePhase.Started), ("eval", StagePhase.Completed)],
            run.Events.OfType<StageEvent>().Select(s => (s.Stage, s.Phase)));
        Assert.All(run.Events.OfType<SearchEvent>(), g => Assert.Equal(("search", 2.0, 1), (g.Stage, g.Factor, g.Generations)));
        Assert.Equal([0, 1], Generations(RopeSearchPhase.Long).Select(g => g.Generation));
        Assert.Equal([0, 1], Generations(RopeSearchPhase.Short).Select(g => g.Generation));
        Assert.All(run.Events.OfType<SearchEvent>(), g => Assert.Contains(g.InitialUnscaledTokens, new[] { 0, 2 }));
        Assert.Empty(run.Events.OfType<StepEvent>());
        Assert.True(File.Exists(Path.Combine(run.Folder.Path, "search", RecipeRunner.SearchStateFile)));
    }

    [Fact]
    public void The_saved_model_carries_the_searched_rope_and_scores_the_search_sample_at_the_reported_perplexity()
    {
        using var model = PretrainedModel.Load(run.FinalModel);
        var rope = model.Config.RopeScaling;
        var (longBest, shortBest) = (Generations(RopeSearchPhase.Long).Last(), Generations(RopeSearchPhase.Short).Last());
        Assert.Equal((RopeType.LongRope, 2.0, 256L, 512L), (rope.Type, rope.Factor, rope.OriginalMaxPositionEmbeddings, model.Config.MaxPositionEmbeddings));
        Assert.Equal(longBest.InitialUnscaledTokens, rope.InitialUnscaledTokens);
        Assert.Equal(longBest.Factors, rope.LongFactor!);
        Assert.Equal(shortBest.Factors, rope.ShortFactor!);

        // The fitness sample is the run corpus's first document of 512 tokens or more, cut to 512.
        using var corpus = TokenStore.Open(Path.Combine(run.Folder.Path, "data", "corpus"));
        var sample = corpus.Documents().First(d => d.Length >= 512)[..512].Select(id => (long)id).ToArray();
        var perplexity = Perplexity.Of(model, [sample], 1, TestContext.Current.CancellationToken);
        Expect.Close(longBest.BestPerplexity, perplexity, 1e-9 * perplexity, "the saved model on the search sample");
    }

    [Fact]
    public void A_run_stopped_mid_search_resumes_after_the_last_generation_it_reported_to_the_same_rope()
    {
        using var folder = new TempFolder();
        using var cancel = new CancellationTokenSource();
        var before = new List<SearchEvent>();
        // Stop at the first generation reported; the runner works on this thread, so the cancel lands mid-search.
        var stopped = new RecipeRunner(run.Spec, folder.Path, RecipeRunnerTests.Builtin).Run(e =>
        {
            if (e is not SearchEvent generation) return;
            before.Add(generation);
            cancel.Cancel();
        }, cancel: cancel.Token);
        Assert.Equal(RunStatus.Cancelled, stopped);

        var (status, events) = RecipeRunnerTests.Run(new RecipeRunner(run.Spec, folder.Path, RecipeRunnerTests.Builtin), resume: true);

        Assert.Equal(RunStatus.Completed, status);
        // Each generation is checkpointed before it is reported: the resumed search reports exactly the ones not reported yet.
        var all = run.Events.OfType<SearchEvent>().Select(g => (g.Phase, g.Generation)).ToList();
        Assert.InRange(before.Count, 1, all.Count - 1);
        Assert.Equal(all.Skip(before.Count), events.OfType<SearchEvent>().Select(g => (g.Phase, g.Generation)));
        using var resumed = PretrainedModel.Load(Path.Combine(folder.Path, RecipeRunner.ModelFolder), dtype: DType.Float32);
        Assert.Equal(LlamaConfig.Load(run.FinalModel).RopeScaling, resumed.Config.RopeScaling);
    }
}
