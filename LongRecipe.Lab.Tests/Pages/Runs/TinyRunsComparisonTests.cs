using LongRecipe.Engine.Events;
using LongRecipe.Engine.Runs;
using LongRecipe.Lab.Components.Pages.Runs;

namespace LongRecipe.Lab.Tests.Pages.Runs;

/// <summary>The list and the comparison over two runs really executed (the recipe and PoSE, shrunk to seconds).</summary>
public sealed class TinyRunsComparisonTests : IDisposable
{
    private readonly Workspace workspace = new(Workspace.LocateRoot(), Directory.CreateTempSubdirectory("lab-tiny-runs-").FullName);

    public void Dispose() => Directory.Delete(workspace.DataDirectory, recursive: true);

    [Fact]
    public async Task Two_executed_runs_list_and_compare_with_every_chart_filled()
    {
        var ids = await TinyRuns.ExecuteAsync(workspace, [TinyRuns.LongRecipe, TinyRuns.Pose], TestContext.Current.CancellationToken);
        using var store = RunStore.Open(workspace.StoreFile);

        var rows = RunRow.Load(store, new RunQuery(), DateTimeOffset.UtcNow);
        Assert.Equal(ids.Reverse(), rows.Select(r => r.Id));
        Assert.All(rows, r =>
        {
            Assert.Equal(RunStatus.Completed, r.Status);
            Assert.True(Directory.Exists(r.FinalModel), $"{r.Name}: no final model");
            Assert.Equal(TinyRuns.Target, r.Passkey?.Length);
            Assert.InRange(r.Passkey!.Value.Value, 0, 1);
            Assert.True(r.Perplexity?.Value > 1, $"{r.Name}: perplexity {r.Perplexity}");
        });

        var view = RunComparison.Load(store, ids, DateTimeOffset.UtcNow);

        // The recipe: 3 extend steps then 2 anneal steps; PoSE: 4 extend steps.
        Assert.Equal([1.0, 2, 3, 4, 5], view.Loss.Traces[0].X);
        Assert.Equal([1.0, 2, 3, 4], view.Loss.Traces[1].X);
        Assert.Equal(["anneal"], view.Loss.Markers.Select(m => m.Label));
        Assert.All(view.Needles, n => Assert.All(n.Figure!.Traces.Single().Z!.SelectMany(row => row),
            cell => Assert.InRange(cell!.Value, 0, 1)));
        Assert.All(view.Needles, n => Assert.Equal(3, n.Figure!.Traces.Single().Z!.Count));
        var metrics = view.Metrics.ToDictionary(r => r.Label);
        // Extend trains L-token sequences (160 and 256), anneal full 512-token ones, one per step.
        Assert.Equal([3 * 160 + 2 * 512.0, 4 * 256], metrics["Tokens trained"].Values);
        // Both start from the same built-in model and score the same held-out documents.
        var bases = metrics["Short perplexity, base model"].Values;
        Assert.NotNull(bases[0]);
        Assert.Equal(bases[0], bases[1]);
        Assert.Contains(view.SpecDifferences, d => d.Path == "stages[0].transform.scheme" && d.Values.SequenceEqual(["long_recipe", "pose"]));
    }
}
