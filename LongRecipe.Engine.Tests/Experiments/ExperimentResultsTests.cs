using LongRecipe.Engine.Experiments;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Engine.Tests.Support;
using Microsoft.Data.Sqlite;

namespace LongRecipe.Engine.Tests.Experiments;

/// <summary>Results read back from a real store seeded with hand-made runs, so every estimate is checked against known counts.</summary>
public sealed class ExperimentResultsTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);
    private readonly TempFolder folder = new();
    private readonly RunStore store;

    public ExperimentResultsTests() => store = RunStore.Open(Path.Combine(folder.Path, "runs.db"));

    public void Dispose()
    {
        store.Dispose();
        SqliteConnection.ClearAllPools();
        folder.Dispose();
    }

    /// <summary>A completed run of <paramref name="spec"/>: one training stage of 10 s and 1,000 tokens, then the given eval cells.</summary>
    private long Completed(RunSpec spec, params EvalEvent[] cells)
    {
        var id = store.CreateRun(spec, Path.Combine(folder.Path, Guid.NewGuid().ToString()), T0);
        var stage = spec.Stages.Count > 0 ? spec.Stages[0].Kind : null;
        var events = new List<RunEvent> { new StatusEvent(T0, "base", RunStatus.Running) };
        if (stage is not null)
            events.AddRange([
                new StageEvent(T0, stage, StagePhase.Started, 0, 2),
                new StepEvent(T0.AddSeconds(5), stage, 1, 2, 3.0, 1e-4, 1, 100, 500, 0, TimeSpan.Zero, 0),
                new StepEvent(T0.AddSeconds(10), stage, 2, 2, 2.5, 1e-4, 1, 100, 1000, 0, TimeSpan.Zero, 0),
                new StageEvent(T0.AddSeconds(10), stage, StagePhase.Completed, 0, 2),
            ]);
        events.AddRange(cells);
        events.Add(new StatusEvent(T0.AddSeconds(20), "eval", RunStatus.Completed));
        store.Append(id, events);
        return id;
    }

    private static EvalEvent Cell(string benchmark, int length, double? depth, string metric, double value, int samples) =>
        new(T0.AddSeconds(15), RecipeRunner.EvalStage, benchmark, length, depth, metric, value, samples);

    private static EvalEvent Perplexity(double value) => Cell("perplexity", 1024, null, "perplexity", value, 2);

    [Fact]
    public void The_rate_with_the_best_validation_value_is_chosen_and_only_planned_runs_count()
    {
        var spec = ExperimentPlanTests.Spec(1e-4, 3e-4);
        var grid = ExperimentPlan.Selection(spec);
        Completed(grid[0], Perplexity(20));   // longrecipe 1e-4
        Completed(grid[1], Perplexity(15));   // longrecipe 3e-4: best
        Completed(grid[2], Perplexity(30));   // pose 1e-4: best of what completed
        // pose 3e-4 never completed; a run of another spec in the experiment (an older grid) is ignored.
        Completed(grid[3] with { Seed = 99 }, Perplexity(1));

        var chosen = ExperimentResults.ChooseLearningRates(spec, store);

        Assert.Equal(new Dictionary<string, double> { ["longrecipe"] = 3e-4, ["pose"] = 1e-4 }, chosen);
        var rows = ExperimentResults.Load(spec, store).Selection;
        Assert.Equal([(1e-4, (double?)20, false), (3e-4, 15, true), (1e-4, 30, true), (3e-4, null, false)],
            rows.Select(r => (r.LearningRate, r.Value, r.Chosen)));
    }

    [Fact]
    public void An_experiment_without_runs_yet_reports_empty_tables_and_charts()
    {
        var spec = ExperimentPlanTests.Spec(1e-4, 3e-4);
        var results = ExperimentResults.Load(spec, store);

        Assert.All(results.Methods, m => Assert.Equal(0, m.Runs));
        Assert.All(results.Selection, r => Assert.Equal((null, false), (r.Value, r.Chosen)));
        var files = ExperimentReport.Write(spec, results, Path.Combine(folder.Path, "report"));
        Assert.Contains("| longrecipe | 0 | — |", File.ReadAllText(files[1]));
        Assert.All(files.Where(f => f.EndsWith(".svg", StringComparison.Ordinal)), f => Assert.StartsWith("<svg", File.ReadAllText(f)));
    }

    [Fact]
    public void Accuracies_pool_samples_over_seeds_and_perplexities_average_seeds_with_t_intervals()
    {
        var spec = ExperimentPlanTests.Spec();
        var finals = ExperimentPlan.Finals(spec, new Dictionary<string, double>());
        // longrecipe over three seeds: passkeys 8/10, 9/10, 10/10; perplexity 10, 12, 14; needles at two depths.
        var runs = finals.Where(f => f.Name == "longrecipe").ToList();
        Completed(runs[0], Cell("passkey", 1024, null, "accuracy", 0.8, 10), Perplexity(10), Cell("niah", 1024, 0, "accuracy", 1, 2), Cell("niah", 1024, 50, "accuracy", 0.5, 2));
        Completed(runs[1], Cell("passkey", 1024, null, "accuracy", 0.9, 10), Perplexity(12), Cell("niah", 1024, 0, "accuracy", 0.5, 2), Cell("niah", 1024, 50, "accuracy", 0, 2));
        Completed(runs[2], Cell("passkey", 1024, null, "accuracy", 1.0, 10), Perplexity(14), Cell("niah", 1024, 0, "accuracy", 1, 2), Cell("niah", 1024, 50, "accuracy", 0.5, 2));
        Completed(finals.Single(f => f.Name == "pi"), Perplexity(40));

        var results = ExperimentResults.Load(spec, store);

        var recipe = results.Method("longrecipe")!;
        Assert.Equal(3, recipe.Runs);
        Assert.Equal(Intervals.Wilson(27, 30), recipe.Get("passkey", 1024));
        Assert.Equal(Intervals.StudentT([10, 12, 14]), recipe.Get("perplexity", 1024, "perplexity"));
        Assert.Equal(Intervals.Wilson(5, 6), recipe.Get("niah", 1024, depth: 0));
        // A length's needle accuracy pools its depths: 7 of 12.
        Assert.Equal(Intervals.Wilson(7, 12), recipe.Get("niah", 1024));
        // Costs: the training stage's tokens and seconds, per run and as a mean over seeds.
        Assert.Equal(new Estimate(1000, 1000, 1000, 3), recipe.TrainingTokens);
        Assert.Equal(10, recipe.TrainingSeconds!.Value, 9);
        Assert.All(results.Runs.Where(r => r.Method == "longrecipe"), r => Assert.Equal((1000L, 10.0, 20.0), (r.TrainingTokens, r.TrainingSeconds, r.TotalSeconds)));
        // One deterministic run of PI: a value without an interval; PoSE has no completed run.
        Assert.Equal(new Estimate(40, 40, 40, 1), results.Method("pi")!.Get("perplexity", 1024, "perplexity"));
        Assert.Equal(0, results.Method("pose")!.Runs);
        Assert.Contains("\"method\": \"longrecipe\"", results.ToJson());
    }
}
