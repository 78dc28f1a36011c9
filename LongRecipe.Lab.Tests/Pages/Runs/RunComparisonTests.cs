using LongRecipe.Engine.Recipes;
using LongRecipe.Lab.Components.Charts;
using LongRecipe.Lab.Components.Pages.Runs;

namespace LongRecipe.Lab.Tests.Pages.Runs;

public sealed class RunComparisonTests : SeededStoreTests
{
    [Fact]
    public void Curves_put_stages_end_to_end_one_trace_per_run_in_its_colour_with_the_stage_boundary_marked()
    {
        var (recipe, pose) = Seeded.SeedRecipeAndPose();

        var view = RunComparison.Load(Seeded.Store, [recipe, pose], Start.AddHours(1));

        Assert.Equal(["longrecipe", "pose"], view.Runs.Select(r => r.Label));
        Assert.Equal(RunComparison.Palette.Take(2), view.Runs.Select(r => r.Color));
        var loss = view.Loss.Traces;
        Assert.Equal(["longrecipe", "pose"], loss.Select(t => t.Name));
        Assert.Equal([1.0, 2, 3, 4, 5], loss[0].X);
        Assert.Equal([4.0, 3.5, 3.0, 2.9, 2.75], loss[0].Y);
        Assert.Equal([1.0, 2, 3, 4], loss[1].X);
        Assert.Equal(RunComparison.Palette[0], loss[0].Color);
        // Anneal starts after the recipe's 3 extend steps; PoSE has one stage and no boundary.
        Assert.Equal([new ChartMarker(3, "anneal", RunComparison.Palette[0])], view.Loss.Markers);
        Assert.Equal([1e-4 * 1, 1e-4 * 2, 1e-4 * 3, 1e-4 * 1, 1e-4 * 2], view.LearningRate.Traces[0].Y);
        Assert.Equal(view.Loss.Markers, view.Throughput.Markers);
    }

    [Fact]
    public void A_stage_boundary_both_runs_share_is_drawn_once_in_grey()
    {
        var a = Seeded.Create(RunPresets.LongRecipe(), Start);
        var b = Seeded.Create(RunPresets.LongRecipe(), Start.AddMinutes(1));
        foreach (var run in new[] { a, b })
        {
            Seeded.Steps(run, "extend", Start, [3.0, 2.0]);
            Seeded.Steps(run, "anneal", Start.AddMinutes(1), [1.5]);
        }

        var view = RunComparison.Load(Seeded.Store, [a, b], Start.AddHours(1));

        Assert.Equal([new ChartMarker(2, "anneal", RunComparison.SharedMarkerColor)], view.Loss.Markers);
        // Same names: the legend tells the runs apart by id.
        Assert.Equal([$"longrecipe #{a}", $"longrecipe #{b}"], view.Runs.Select(r => r.Label));
    }

    [Fact]
    public void Needle_heatmaps_share_lengths_depths_and_a_zero_to_one_scale_with_empty_cells_where_a_run_did_not_measure()
    {
        var (recipe, pose) = Seeded.SeedRecipeAndPose();

        var view = RunComparison.Load(Seeded.Store, [recipe, pose], Start.AddHours(1));

        Assert.Equal(2, view.Needles.Count);
        var maps = view.Needles.Select(n => n.Figure!.Traces.Single()).ToList();
        Assert.All(maps, m =>
        {
            Assert.Equal(TraceKind.Heatmap, m.Kind);
            Assert.Equal(["256", "512"], m.XLabels!);
            Assert.Equal([0.0, 50, 100], m.Y);
            Assert.Equal((0.0, 1.0), m.ZRange);
        });
        // Z[depth][length]
        Assert.Equal(new double?[][] { [1.0, 0.5], [null, null], [0.0, null] }, maps[0].Z!.Select(row => row.ToArray()));
        Assert.Equal(new double?[][] { [null, null], [1.0, null], [null, null] }, maps[1].Z!.Select(row => row.ToArray()));
        Assert.Equal(["longrecipe", "pose"], view.Needles.Select(n => n.Figure!.Title));
    }

    [Fact]
    public void Passkey_and_perplexity_by_length_have_one_trace_per_run_and_the_native_window_marked()
    {
        var (recipe, pose) = Seeded.SeedRecipeAndPose();

        var view = RunComparison.Load(Seeded.Store, [recipe, pose], Start.AddHours(1));

        Assert.Equal(["256", "512", "1024"], view.Passkey.Traces[0].XLabels!);
        Assert.Equal([1.0, 0.5, 0.25], view.Passkey.Traces[0].Y);
        Assert.Equal([0.5], view.Passkey.Traces[1].Y);
        Assert.All(view.Passkey.Traces, t => Assert.Equal(TraceKind.Bar, t.Kind));
        Assert.Equal(new double[][] { [10.0, 40.0], [55.0] }, view.Perplexity.Traces.Select(t => t.Y.ToArray()));
        Assert.True(view.Perplexity.X.Log && view.Perplexity.Y.Log);
        // Both presets start from the 256-token built-in model.
        Assert.Equal([new ChartMarker(256, "native window")], view.Perplexity.Markers);
    }

    [Fact]
    public void The_metrics_table_has_one_value_per_run_and_a_dash_where_a_run_has_none()
    {
        var (recipe, pose) = Seeded.SeedRecipeAndPose();

        var view = RunComparison.Load(Seeded.Store, [recipe, pose], Start.AddHours(1));

        var rows = view.Metrics.ToDictionary(r => r.Label);
        Assert.Equal([2.75, 3.8], rows["Final loss"].Values);
        Assert.Equal([5.0, 4], rows["Optimizer steps"].Values);
        Assert.Equal([3 * 304 + 2 * 1024.0, 4 * 512], rows["Tokens trained"].Values);
        Assert.Equal([90.0, 30], rows["Duration"].Values);
        Assert.Equal([0.25, null], rows["Passkey accuracy @ 1024"].Values);
        Assert.Equal(["25%", "—"], new[] { rows["Passkey accuracy @ 1024"].Text(0), rows["Passkey accuracy @ 1024"].Text(1) });
        Assert.Equal([0.5, 1.0], rows["Needle accuracy @ 256 (mean over depths)"].Values);
        Assert.Equal("1 min 30 s", rows["Duration"].Text(0));
        Assert.Equal([null, null], rows["Short perplexity, base model"].Values);
        Assert.Contains(view.SpecDifferences, d => d.Path == "stages[0].transform.scheme" && d.Values.SequenceEqual(["long_recipe", "pose"]));
    }

    [Theory]
    [InlineData("3,7", new long[] { 3, 7 })]
    [InlineData(" 12 , 4,12,9 ", new long[] { 12, 4, 9 })]
    public void Compare_ids_parse_in_order_without_repeats(string text, long[] expected) =>
        Assert.Equal(expected, RunComparison.ParseIds(text));

    [Theory]
    [InlineData(null, "ids=: compare 2 to 4 runs, got 0")]
    [InlineData("", "ids=: compare 2 to 4 runs, got 0")]
    [InlineData("5,5", "ids=5,5: compare 2 to 4 runs, got 1")]
    [InlineData("1,2,3,4,5", "ids=1,2,3,4,5: compare 2 to 4 runs, got 5")]
    [InlineData("abc", "ids=abc: 'abc' is not a run id")]
    [InlineData("1,x", "ids=1,x: 'x' is not a run id")]
    [InlineData("1,-2", "ids=1,-2: '-2' is not a run id")]
    public void Bad_compare_ids_say_what_is_wrong(string? text, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => RunComparison.ParseIds(text)).Message);

    [Fact]
    public void A_deleted_run_is_named_missing_and_the_others_compared()
    {
        var (recipe, pose) = Seeded.SeedRecipeAndPose();
        Seeded.Store.Delete(pose);

        var view = RunComparison.Load(Seeded.Store, [pose, recipe, 99], Start);

        Assert.Equal([recipe], view.Runs.Select(r => r.Id));
        Assert.Equal([pose, 99], view.Missing);
        Assert.Equal($"There are no runs {pose}, 99; they may have been deleted.", RunFormat.NoRuns(view.Missing));
    }

    [Fact]
    public void Runs_none_of_which_exist_are_named()
    {
        var (recipe, pose) = Seeded.SeedRecipeAndPose();
        Seeded.Store.Delete(pose);
        Seeded.Store.Delete(recipe);

        var error = Assert.Throws<KeyNotFoundException>(() => RunComparison.Load(Seeded.Store, [recipe, pose], Start));

        Assert.Equal($"There are no runs {recipe}, {pose}; they may have been deleted.", error.Message);
        Assert.Equal($"There is no run {pose}; it may have been deleted.", RunFormat.NoRuns([pose]));
    }
}
