using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Lab.Components.Pages.Runs;

namespace LongRecipe.Lab.Tests.Pages.Runs;

public sealed class RunRowsTests : SeededStoreTests
{
    [Fact]
    public void A_row_holds_the_runs_last_loss_longest_evals_duration_and_paths()
    {
        var (recipe, pose) = Seeded.SeedRecipeAndPose();

        var rows = RunRow.Load(Seeded.Store, new RunQuery(), Start.AddDays(3));

        Assert.Equal([pose, recipe], rows.Select(r => r.Id));
        var done = rows[1];
        Assert.Equal(("longrecipe", RunStatus.Completed, "cpu"), (done.Name, done.Status, done.Device));
        Assert.Equal(TimeSpan.FromSeconds(90), done.Duration);
        Assert.Equal(2.75, done.FinalLoss);
        Assert.Equal(new AtLength(1024, 0.25), done.Passkey);
        Assert.Equal(new AtLength(1024, 40), done.Perplexity);
        Assert.Equal("/runs/r/anneal/checkpoint-2", done.Checkpoint);
        Assert.Equal(Path.Combine(Seeded.FolderOf(recipe), "model"), done.FinalModel);
        Assert.True(done.CanDelete);

        var other = rows[0];
        Assert.Equal((TimeSpan.FromSeconds(30), 3.8), (other.Duration, other.FinalLoss));
        Assert.Equal(new AtLength(256, 0.5), other.Passkey);
        Assert.Null(other.Checkpoint);
        Assert.Null(other.FinalModel);
    }

    [Fact]
    public void The_query_filters_by_status_name_in_any_case_and_creation_day()
    {
        var (recipe, pose) = Seeded.SeedRecipeAndPose();
        IEnumerable<long> Ids(RunQuery query) => RunRow.Load(Seeded.Store, query, Start.AddDays(2)).Select(r => r.Id);

        Assert.Equal([pose, recipe], Ids(new RunQuery(Status: RunStatus.Completed)));
        Assert.Equal([pose], Ids(new RunQuery(Name: "  PoS ")));
        Assert.Equal([pose, recipe], Ids(new RunQuery(Name: "   ")));
        Assert.Empty(Ids(new RunQuery(Status: RunStatus.Failed)));
        // Days are UTC: the recipe run was created at 09:00 on the 20th, the PoSE run on the 21st.
        Assert.Equal([pose], Ids(new RunQuery(CreatedOnOrAfter: new DateTime(2026, 11, 21, 23, 59, 0))));
        Assert.Equal([pose, recipe], Ids(new RunQuery(CreatedOnOrAfter: new DateTime(2026, 11, 20))));
        Assert.Equal([recipe], Ids(new RunQuery(Status: RunStatus.Completed, Name: "recipe", CreatedOnOrAfter: new DateTime(2026, 11, 1))));
    }

    [Fact]
    public void A_run_not_started_has_no_duration_a_running_one_runs_until_now_and_a_cancelled_one_ends_at_its_cancel()
    {
        var queued = Seeded.Create(RunPresets.Flt(), Start);
        var cancelled = Seeded.Create(RunPresets.Rpes(), Start);
        Seeded.Status(cancelled, Start.AddSeconds(10), RunStatus.Running);
        Seeded.Status(cancelled, Start.AddSeconds(25), RunStatus.Cancelled);
        var running = Seeded.Create(RunPresets.Pose(), Start);
        Seeded.Status(running, Start.AddSeconds(5), RunStatus.Running);

        var rows = RunRow.Load(Seeded.Store, new RunQuery(), Start.AddHours(1)).ToDictionary(r => r.Id);

        Assert.Equal(TimeSpan.FromSeconds(3595), rows[running].Duration);
        Assert.False(rows[running].CanDelete);

        Assert.Null(rows[queued].Duration);
        Assert.Null(rows[queued].FinalLoss);
        Assert.False(rows[queued].CanDelete);
        Assert.Equal(TimeSpan.FromSeconds(15), rows[cancelled].Duration);
        Assert.True(rows[cancelled].CanDelete);
    }

    [Fact]
    public void Eval_results_take_the_final_models_cells_the_last_of_a_repeated_cell_and_the_bases_short_perplexity()
    {
        var run = Seeded.Create(RunPresets.LongRecipe(), Start);
        Seeded.Eval(run, Benchmarks.ShortPerplexity, 256, "perplexity", 9.5, stage: RecipeRunner.BaseStage);
        Seeded.Passkey(run, 512, 0.25);
        Seeded.Passkey(run, 512, 0.75);
        Seeded.Eval(run, Benchmarks.Passkey, 512, "needle_logprob", -3.0);
        Seeded.Needle(run, 256, 0, 1.0);
        Seeded.Needle(run, 256, 100, 0.0);
        Seeded.Needle(run, 512, 50, 0.5);
        Seeded.Eval(run, Benchmarks.ShortPerplexity, 256, "perplexity", 11.0);

        var results = EvalResults.From(Seeded.Store.Evals(run));

        Assert.Equal([new AtLength(512, 0.75)], results.PasskeyAccuracy);
        Assert.Equal((9.5, 11.0), (results.ShortPerplexityBase!.Value, results.ShortPerplexityFinal!.Value));
        Assert.Equal(0.5, results.MeanNeedleAccuracy(256));
        Assert.Equal(0.5, results.MeanNeedleAccuracy(512));
        Assert.Null(results.MeanNeedleAccuracy(1024));
        Assert.Null(results.LongestPerplexity);
    }

    [Fact]
    public void Training_totals_add_each_stages_steps_and_tokens()
    {
        var run = Seeded.Create(RunPresets.LongRecipe(), Start);
        Seeded.Steps(run, "extend", Start, [4.0, 3.0, 2.0], tokensPerStep: 608);
        Seeded.Steps(run, "anneal", Start.AddMinutes(1), [1.9, 1.8], tokensPerStep: 1024);

        var totals = TrainingTotals.From(Seeded.Store.Steps(run));

        Assert.Equal(new TrainingTotals(1.8, 5, 3 * 608 + 2 * 1024), totals);
        Assert.Equal(new TrainingTotals(null, 0, 0), TrainingTotals.From([]));
    }

    [Fact]
    public void The_selection_compares_two_to_four_listed_runs_in_the_order_ticked()
    {
        var selection = new RunSelection();
        Assert.False(selection.CanCompare);
        Assert.Equal("Tick 2 to 4 runs to compare them.", selection.Problem);

        foreach (var id in new long[] { 7, 3, 9, 3 }) selection.Toggle(id, true);
        Assert.True(selection.CanCompare);
        Assert.Null(selection.Problem);
        Assert.Equal("/runs/compare?ids=7,3,9", selection.CompareUrl);

        selection.Toggle(1, true);
        selection.Toggle(2, true);
        Assert.False(selection.CanCompare);
        Assert.Equal("Compare at most 4 runs at once (5 are ticked).", selection.Problem);

        selection.KeepOnly([3, 2, 100]);
        Assert.Equal([3L, 2], selection.Ids);
        selection.Toggle(3, false);
        Assert.Equal([2L], selection.Ids);
    }
}
