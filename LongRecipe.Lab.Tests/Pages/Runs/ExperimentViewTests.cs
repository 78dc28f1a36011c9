using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Lab.Components.Pages.Runs;

namespace LongRecipe.Lab.Tests.Pages.Runs;

public sealed class ExperimentViewTests : IDisposable
{
    private readonly SeededStore seeded = new();

    public void Dispose() => seeded.Dispose();

    /// <summary>PoSE over seeds 1 and 2 and PI (training-free, one run), each measured on passkeys and perplexity at 1024.</summary>
    private static ExperimentSpec Spec() => new("miniature", [RunPresets.Pose(), RunPresets.PositionInterpolation()], [1, 2],
        new EvalSpec(Passkey: new PasskeyEvalSpec([1024], Samples: 4), Perplexity: new PerplexityEvalSpec([1024], Samples: 2)));

    private long Completed(RunSpec spec, params (string Benchmark, string Metric, double Value, int Samples)[] cells)
    {
        var id = seeded.Create(spec, SeededStore.Start);
        seeded.Status(id, SeededStore.Start, RunStatus.Running);
        seeded.Store.Append(id, cells.Select(c => (RunEvent)new EvalEvent(SeededStore.Start, RecipeRunner.EvalStage, c.Benchmark, 1024, null, c.Metric, c.Value, c.Samples)));
        seeded.Status(id, SeededStore.Start.AddMinutes(1), RunStatus.Completed);
        return id;
    }

    [Fact]
    public void Methods_show_means_with_95_percent_intervals_over_seeds_and_link_their_runs()
    {
        var spec = Spec();
        seeded.Store.SaveExperiment(spec.Name, spec.ToJson(), SeededStore.Start);
        var finals = ExperimentPlan.Finals(spec, new Dictionary<string, double>());
        var pose1 = Completed(finals.Single(f => f.Experiment!.Method == "pose" && f.Seed == 1), ("passkey", "accuracy", 0.75, 4), ("perplexity", "perplexity", 10, 2));
        var pose2 = Completed(finals.Single(f => f.Experiment!.Method == "pose" && f.Seed == 2), ("passkey", "accuracy", 1.0, 4), ("perplexity", "perplexity", 14, 2));
        var pi = Completed(finals.Single(f => f.Experiment!.Method == "pi"), ("perplexity", "perplexity", 40, 2));

        var view = ExperimentView.Load(seeded.Store, "miniature");

        Assert.Equal(["passkey @ 1024", "perplexity @ 1024"], view.Columns.Select(c => c.Label));
        var pose = view.Methods[0];
        Assert.Equal(("pose", 2, 2), (pose.Method, pose.Completed, pose.Planned));
        // Passkeys pool 7 of 8 samples: Wilson's interval by hand, p̂ = 0.875, centre 0.7534 ± 0.2243.
        // Perplexity is a mean over the two seeds, 12 ± t(0.975, 1) · 2√2/√2 = 12 ± 25.41.
        Assert.Equal(["0.88 [0.53, 0.98]", "12.0 [-13.4, 37.4]"], pose.Cells);
        Assert.Equal([pose1, pose2], pose.Runs.Select(r => r.RunId));
        // PI runs once (no seed changes it): a value without an interval, and no passkey cell.
        Assert.Equal(("pi", 1, 1), (view.Methods[1].Method, view.Methods[1].Completed, view.Methods[1].Planned));
        Assert.Equal(["—", "40.0"], view.Methods[1].Cells);
        Assert.Equal(RunComparison.Url([pose1, pi]), view.CompareUrl(1));
        Assert.Equal(RunComparison.Url([pose2, pi]), view.CompareUrl(2));
        Assert.Equal("/runs/experiments/miniature", ExperimentView.Url("miniature"));
    }

    [Fact]
    public void An_unknown_experiment_is_named()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => ExperimentView.Load(seeded.Store, "nothing"));
        Assert.Equal("The run store has no experiment 'nothing'.", e.Message);
    }
}
