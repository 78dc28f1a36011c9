using LongRecipe.Engine.Experiments;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Engine.Tests.Support;
using Microsoft.Data.Sqlite;

namespace LongRecipe.Engine.Tests.Experiments;

/// <summary>A real experiment of real runs on the built-in model, at sizes that take seconds on a CPU.</summary>
public sealed class ExperimentRunnerTests
{
    private static ExperimentSpec Miniature()
    {
        var eval = new EvalSpec(Perplexity: new PerplexityEvalSpec([512], Samples: 1), Passkey: new PasskeyEvalSpec([256], Samples: 2));
        var pose = RunPresets.Pose() with
        {
            TargetLength = 512,
            Data = new DataSpec(Documents: 2),
            Stages = [new ExtendStage(new TransformSpec(PositionScheme.Pose, 1), SequenceLength: 256, Steps: 2, MicroBatchSize: 1, LearningRate: 1e-4)],
        };
        var baseline = pose with { Name = "base", Stages = [] };
        return new ExperimentSpec("runner-test", [baseline, pose], [1, 2], eval, [1e-4, 3e-4],
            new EvalSpec(Perplexity: new PerplexityEvalSpec([512], Samples: 1)), new SelectionCriterion("perplexity", "perplexity", 512), Parallel: 2);
    }

    [Fact]
    public async Task An_experiment_runs_its_grid_then_its_finals_and_a_second_call_reuses_every_run()
    {
        using var folder = new TempFolder();
        var cancel = TestContext.Current.CancellationToken;
        var spec = Miniature();
        try
        {
            using var store = RunStore.Open(Path.Combine(folder.Path, "runs.db"));
            var runner = new ExperimentRunner(new RunLauncher(store, Path.Combine(folder.Path, "runs"), Repository.Path("models", "builtin")));
            var progress = new List<ExperimentProgress>();

            var results = await runner.RunAsync(spec, progress: new SynchronousProgressFor<ExperimentProgress>(progress.Add), cancel: cancel);

            // Two grid runs, then base once (no stage, no seed to vary) and pose per seed.
            var runs = store.ListRuns(new RunFilter(Experiment: spec.Name));
            Assert.Equal(5, runs.Count);
            Assert.All(runs, r => Assert.Equal(RunStatus.Completed, r.Status));
            Assert.Equal(["pose lr=1e-04", "pose lr=3e-04"], runs.Where(r => r.Spec.Experiment!.Role == ExperimentRole.Selection).Select(r => r.Name).Order());
            var chosen = results.Selection.Single(r => r.Chosen);
            Assert.Equal(results.Selection.MinBy(r => r.Value)!.LearningRate, chosen.LearningRate);
            Assert.Equal(chosen.LearningRate, results.Method("pose")!.LearningRate);
            Assert.Equal((1, 2), (results.Method("base")!.Runs, results.Method("pose")!.Runs));
            Assert.Equal(4, results.Method("pose")!.Get("passkey", 256)!.N);  // 2 passkeys × 2 seeds, pooled
            Assert.Contains(progress, p => p is { Phase: ExperimentRole.Final, Done: 3, Total: 3, Event: null });
            var summary = Assert.Single(store.Experiments());
            Assert.Equal((spec.Name, 5, 5), (summary.Name, summary.Runs, summary.Completed));
            Assert.True(summary.Created <= runs.Min(r => r.Created));
            // The store keeps the experiment's spec, so its results read back by name alone (as the Lab does).
            Assert.Equal(results.ToJson(), ExperimentResults.Load(store, spec.Name).ToJson());

            // Run again: everything is found in the store, nothing runs.
            progress.Clear();
            var again = await runner.RunAsync(spec, progress: new SynchronousProgressFor<ExperimentProgress>(progress.Add), cancel: cancel);
            Assert.Equal(5, store.ListRuns(new RunFilter(Experiment: spec.Name)).Count);
            Assert.All(progress, p => Assert.Null(p.Event));
            Assert.Equal(results.ToJson(), again.ToJson());

            var files = ExperimentReport.Write(spec, again, Path.Combine(folder.Path, "report"));
            Assert.Equal(["results.json", "results.md", "passkey.svg", "needles.svg", "perplexity.svg"], files.Select(Path.GetFileName));
            var markdown = File.ReadAllText(Path.Combine(folder.Path, "report", "results.md"));
            Assert.Contains($"| pose | {ExperimentPlan.Format(chosen.LearningRate)} |", markdown);
            Assert.StartsWith("<svg", File.ReadAllText(files[2]));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }

    /// <summary>
    /// An experiment this machine cannot run used to be saved in the store, then stopped by its first run's launch with
    /// that run's problems alone, tagged with no method. Every problem of its methods' final and grid runs is named in one
    /// refusal at the experiment's paths, with its rules' problems, and the store holds neither the experiment nor a run.
    /// </summary>
    [Fact]
    public async Task An_experiment_this_machine_cannot_run_is_refused_whole_before_the_store_holds_it()
    {
        using var folder = new TempFolder();
        var cancel = TestContext.Current.CancellationToken;
        var model = Directory.CreateDirectory(folder.File("no-tokenizer")).FullName;
        foreach (var file in Directory.GetFiles(Repository.Path("models", "builtin")).Where(f => Path.GetFileName(f) != "tokenizer.json"))
            File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        var gone = folder.File("gone");
        var miniature = Miniature();
        var (baseline, pose) = (miniature.Methods[0], miniature.Methods[1]);
        var spec = miniature with
        {
            Parallel = 0,
            Methods =
            [
                baseline with { Model = model, NativeLength = null },
                pose with { Model = model, NativeLength = null, Stages = [((ExtendStage)pose.Stages[0]) with { MicroBatchSize = 1_000_000_000 }] },
            ],
            SelectionEval = miniature.SelectionEval! with { Corpus = gone },
        };
        try
        {
            using var store = RunStore.Open(folder.File("runs.db"));
            var runner = new ExperimentRunner(new RunLauncher(store, folder.File("runs"), Repository.Path("models", "builtin")));

            var error = await Assert.ThrowsAsync<RunSpecException>(() => runner.RunAsync(spec, cancel: cancel));

            var noTokenizer = $"{model} has no tokenizer.json, which a run tokenizes its text with";
            Assert.Equal(["parallel", "methods[0].model", "methods[1].model", "methods[1].stages[0].micro_batch_size", "selection_eval.corpus"],
                error.Problems.Select(p => p.Path));
            Assert.Equal((noTokenizer, noTokenizer, $"{gone}: no such file or folder"),
                (error.Problems[1].Message, error.Problems[2].Message, error.Problems[4].Message));
            Assert.StartsWith("the logits of 1000000000 × 256 tokens", error.Problems[3].Message);
            Assert.Empty(store.Experiments());
            Assert.Empty(store.ListRuns());
            Assert.False(Directory.Exists(folder.File("runs")));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }

    private sealed class SynchronousProgressFor<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
