using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.RopeSearch;
using LongRecipe.Engine.Runs;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Recipes;

/// <summary>The whole recipe on CPU from the built-in model, at sizes that take seconds.</summary>
public class RecipeRunnerTests
{
    internal static readonly string Builtin = Repository.Path("models", "builtin");

    /// <summary>The default recipe's shape (extend with LongRecipe positions, anneal with replay, average merge, eval), in miniature.</summary>
    private static RunSpec Miniature(int steps = 3) => RunPresets.LongRecipe() with
    {
        Name = "miniature",
        TargetLength = 512,
        Data = new DataSpec(Documents: 2, Replay: DataSpec.Synthetic, Selection: new SelectionSpec(SelectionMethod.Digits, 0.6)),
        Stages =
        [
            new ExtendStage(new TransformSpec(PositionScheme.LongRecipe, 1), SequenceLength: 160, Steps: steps, MicroBatchSize: 1, LearningRate: 1e-4, CheckpointEvery: 2),
            new AnnealStage(ReplayRatio: 0.5, Steps: 2, MicroBatchSize: 1, LearningRate: 1e-5),
            new MergeStage(MergeMethod.Average),
        ],
        Eval = new EvalSpec(
            Niah: new NeedleEvalSpec([256], [50], NeedlesPerCell: 1),
            Passkey: new PasskeyEvalSpec([256], Samples: 1),
            Perplexity: new PerplexityEvalSpec([512], Samples: 1),
            ShortRetention: true),
    };

    internal static (RunStatus Status, List<RunEvent> Events) Run(RecipeRunner runner, bool resume = false)
    {
        var events = new List<RunEvent>();
        var status = runner.Run(events.Add, resume, TestContext.Current.CancellationToken);
        return (status, events);
    }

    [Fact]
    public void The_recipe_runs_its_three_stages_saves_the_model_and_evaluates_it()
    {
        using var folder = new TempFolder();
        var runner = new RecipeRunner(Miniature(), folder.Path, Builtin);

        var (status, events) = Run(runner);

        var error = events.OfType<StatusEvent>().Last().Error;
        Assert.True(status == RunStatus.Completed, error);
        Assert.Equal(RunStatus.Running, events.OfType<StatusEvent>().First().Status);
        Assert.Single(events.OfType<StatusEvent>(), s => s.Status == RunStatus.Completed);
        // Stage timeline: every stage starts and completes, in order, the eval last.
        var stages = events.OfType<StageEvent>().Select(s => (s.Stage, s.Phase)).ToList();
        Assert.Equal([("extend", StagePhase.Started), ("extend", StagePhase.Completed), ("anneal", StagePhase.Started), ("anneal", StagePhase.Completed),
            ("merge", StagePhase.Started), ("merge", StagePhase.Completed), ("eval", StagePhase.Started), ("eval", StagePhase.Completed)], stages);
        Assert.Equal([1L, 2, 3], events.OfType<StepEvent>().Where(s => s.Stage == "extend").Select(s => s.Step));
        Assert.Equal([1L, 2], events.OfType<StepEvent>().Where(s => s.Stage == "anneal").Select(s => s.Step));
        Assert.All(events.OfType<StepEvent>(), s => Assert.True(double.IsFinite(s.Loss) && s.Loss > 0));
        // Short perplexity before (base) and after (eval), and every eval cell.
        Assert.Single(events.OfType<EvalEvent>(), e => e.Stage == RecipeRunner.BaseStage && e.Benchmark == Benchmarks.ShortPerplexity);
        var cells = events.OfType<EvalEvent>().Where(e => e.Stage == RecipeRunner.EvalStage).Select(e => (e.Benchmark, e.ContextLength, e.Metric)).ToList();
        Assert.Equal([(Benchmarks.Niah, 256, "accuracy"), (Benchmarks.Niah, 256, "needle_logprob"), (Benchmarks.Passkey, 256, "accuracy"),
            (Benchmarks.Passkey, 256, "needle_logprob"), (Benchmarks.Perplexity, 512, "perplexity"), (Benchmarks.Perplexity, 512, "bits_per_byte"), (Benchmarks.ShortPerplexity, 256, "perplexity")], cells);

        // The final model claims the target window, loads, and is the average of the annealed model and the base.
        using var final = PretrainedModel.Load(runner.FinalModel);
        Assert.Equal(512, final.Config.MaxPositionEmbeddings);
        using var annealed = PretrainedModel.Load(Path.Combine(folder.Path, "anneal", RecipeRunner.ModelFolder));
        using var original = PretrainedModel.Load(Builtin, dtype: DType.Float32);
        var name = final.Parameters.Names[^1];
        var expected = Expect.Values(annealed.Parameters[name]).Zip(Expect.Values(original.Parameters[name]), (a, b) => (a + b) / 2).ToArray();
        Expect.Close(expected, Expect.Values(final.Parameters[name]), 1e-6, "averaged with the base");
        Assert.True(File.Exists(Path.Combine(runner.FinalModel, "tokenizer.json")));
        Assert.Equal(Miniature().ToJson(), RunSpec.Load(Path.Combine(folder.Path, RecipeRunner.SpecFile)).ToJson());
    }

    [Fact]
    public void A_cancelled_run_resumes_from_its_checkpoint_and_completes_without_redoing_done_stages()
    {
        using var folder = new TempFolder();
        using var cancel = new CancellationTokenSource();
        var spec = Miniature(steps: 4) with { Stages = [Miniature(steps: 4).Stages[0]], Eval = new EvalSpec(ShortRetention: true) };
        var runner = new RecipeRunner(spec, folder.Path, Builtin);

        Assert.Equal(RunStatus.Cancelled, runner.Run(e =>
        {
            if (e is StepEvent { Step: 2 }) cancel.Cancel();
        }, cancel: cancel.Token));

        var (status, events) = Run(new RecipeRunner(spec, folder.Path, Builtin), resume: true);

        Assert.Equal(RunStatus.Completed, status);
        var steps = events.OfType<StepEvent>().Select(s => s.Step).ToList();
        Assert.Equal(4, steps[^1]);
        Assert.DoesNotContain(1L, steps);
        // The base's short perplexity was measured before the cancel; the resume does not measure it again.
        Assert.DoesNotContain(events.OfType<EvalEvent>(), e => e.Stage == RecipeRunner.BaseStage);

        // With the run's folder gone, a resume starts over and says so, rather than passing it off as a resume.
        Directory.Delete(folder.Path, recursive: true);
        var (again, lost) = Run(new RecipeRunner(spec, folder.Path, Builtin), resume: true);
        Assert.Equal(RunStatus.Completed, again);
        Assert.Contains(lost.OfType<LogEvent>(), e => e.Level == RunLogLevel.Warning
            && e.Message == $"the run's folder {folder.Path} is gone, and with it everything the run had done: it starts over");
        Assert.Equal(1L, lost.OfType<StepEvent>().First().Step);
    }

    [Fact]
    public void A_training_free_run_rescales_rope_and_evaluates_only()
    {
        using var folder = new TempFolder();
        var spec = RunPresets.Yarn() with { TargetLength = 512, Eval = new EvalSpec(Perplexity: new PerplexityEvalSpec([512], Samples: 1)) };

        var (status, events) = Run(new RecipeRunner(spec, folder.Path, Builtin));

        Assert.Equal(RunStatus.Completed, status);
        Assert.Empty(events.OfType<StepEvent>());
        using var final = PretrainedModel.Load(Path.Combine(folder.Path, RecipeRunner.ModelFolder));
        Assert.Equal(RopeType.Yarn, final.Config.RopeScaling.Type);
        Assert.Equal(256, final.Config.RopeScaling.OriginalMaxPositionEmbeddings);
        Assert.Single(events.OfType<EvalEvent>(), e => e.Benchmark == Benchmarks.Perplexity && e.Metric == Metrics.Perplexity);
    }

    /// <summary>A LongRoPE search small enough for seconds: n̂ ∈ {0, 2}, 4 candidates, one generation per phase, one sample.</summary>
    internal static SearchStage TinySearch(double? factor = null) =>
        new(factor, UnscaledTokens: [0, 2], Population: 4, Generations: 1, Parents: 2, ShortGenerations: 1, Samples: 1);

    /// <summary>The built-in model 256 → 512 with the given stages (a search alone by default), perplexity at 512 after.</summary>
    internal static RunSpec SearchRun(params StageSpec[] stages) => RunPresets.LongRope() with
    {
        Name = "search", TargetLength = 512,
        Data = new DataSpec(Documents: 2),
        Stages = stages.Length > 0 ? stages : [TinySearch()],
        Eval = new EvalSpec(Perplexity: new PerplexityEvalSpec([512], Samples: 1)),
    };

    [Fact]
    public void The_progressive_route_trains_at_the_first_searchs_window_then_searches_on_from_the_trained_model()
    {
        using var folder = new TempFolder();
        var spec = SearchRun(TinySearch(1.5), new ExtendStage(new TransformSpec(PositionScheme.FullLength), 384, Steps: 2, MicroBatchSize: 1, LearningRate: 1e-4), TinySearch());

        var (status, events) = Run(new RecipeRunner(spec, folder.Path, Builtin));

        Assert.True(status == RunStatus.Completed, events.OfType<StatusEvent>().Last().Error);
        Assert.Equal(["search-1", "search-1", "extend", "extend", "search-2", "search-2", "eval", "eval"],
            events.OfType<StageEvent>().Select(s => s.Stage));
        Assert.All(events.OfType<SearchEvent>().Where(g => g.Stage == "search-1"), g => Assert.Equal(1.5, g.Factor));
        Assert.All(events.OfType<SearchEvent>().Where(g => g.Stage == "search-2"), g => Assert.Equal(2, g.Factor));
        Assert.Equal([1L, 2], events.OfType<StepEvent>().Select(s => s.Step));
        // The extend stage trained under the first search's RoPE; the final model carries the second's.
        var extended = LlamaConfig.Load(Path.Combine(folder.Path, "extend", RecipeRunner.ModelFolder));
        Assert.Equal((RopeType.LongRope, 1.5, 256L), (extended.RopeScaling.Type, extended.RopeScaling.Factor, extended.RopeScaling.OriginalMaxPositionEmbeddings));
        Assert.Equal(events.OfType<SearchEvent>().Last(g => g.Stage == "search-1" && g.Phase == RopeSearchPhase.Long).Factors, extended.RopeScaling.LongFactor);
        var final = LlamaConfig.Load(Path.Combine(folder.Path, RecipeRunner.ModelFolder));
        Assert.Equal((RopeType.LongRope, 2.0, 256L, 512L),
            (final.RopeScaling.Type, final.RopeScaling.Factor, final.RopeScaling.OriginalMaxPositionEmbeddings, final.MaxPositionEmbeddings));
        Assert.Equal(events.OfType<SearchEvent>().Last(g => g.Stage == "search-2" && g.Phase == RopeSearchPhase.Long).Factors, final.RopeScaling.LongFactor);
    }

    [Fact]
    public void Bad_data_fails_the_run_with_a_message_naming_it()
    {
        using var folder = new TempFolder();
        var spec = Miniature() with { Data = new DataSpec(Corpus: folder.File("missing.jsonl"), Replay: DataSpec.Synthetic) };

        var (status, events) = Run(new RecipeRunner(spec, folder.Path, Builtin));

        Assert.Equal(RunStatus.Failed, status);
        Assert.Contains("missing.jsonl", events.OfType<StatusEvent>().Last().Error);
    }
}
