using LongRecipe.Engine.Positions;
using LongRecipe.Lab.Components.Pages.Positions;

namespace LongRecipe.Lab.Tests.Pages.Positions;

public sealed class PositionsExplorerTests
{
    [Fact]
    public void Full_length_places_0_to_T_minus_1_with_unit_gaps_and_covers_every_distance()
    {
        const int target = 64, samples = 3;
        var view = PositionsExplorer.Build(new PositionsRequest([PositionScheme.FullLength], 16, target, 5, samples));

        var positions = view.Positions.Traces.Single();
        Assert.Equal(Enumerable.Range(0, target).Select(i => (double)i), positions.Y);
        // Every one of the T − 1 neighbour gaps per sample is 1: all in the first of the bins [1, 2) … [32, 64).
        Assert.Equal([(double)(target - 1) * samples, 0, 0, 0, 0, 0], view.Gaps.Traces.Single().Y);
        Assert.All(view.Coverage.Traces.Single().Y, share => Assert.Equal(100, share));
        Assert.Equal(new SchemeSummary(PositionScheme.FullLength, target, 1.0, 1, target - 1), view.Summaries.Single());
    }

    [Fact]
    public void Every_scheme_keeps_L_ids_strictly_increasing_inside_the_window_one_trace_each()
    {
        PositionScheme[] schemes = [PositionScheme.RandomPositions, PositionScheme.Pose, PositionScheme.LongRecipe];
        var view = PositionsExplorer.Build(new PositionsRequest(schemes, 100, 1000, 11, Samples: 4, Chunks: 3));

        Assert.Equal(["RPES", "PoSE", "LongRecipe"], view.Positions.Traces.Select(t => t.Name));
        foreach (var trace in view.Positions.Traces)
        {
            Assert.Equal(100, trace.Y.Count);
            Assert.True(trace.Y.Zip(trace.Y.Skip(1)).All(p => p.Second > p.First), $"{trace.Name} is not increasing");
            Assert.InRange(trace.Y[^1], 99, 999);
        }
        // Each sample has L − 1 gaps; the histogram's bins up to 1024 catch them all.
        Assert.All(view.Gaps.Traces, t => Assert.Equal(4 * 99, t.Y.Sum()));
        Assert.All(view.Summaries, s => Assert.InRange(s.CoveredShare, 0.01, 1));
    }

    [Fact]
    public void The_same_request_draws_the_same_positions()
    {
        var request = new PositionsRequest([PositionScheme.Pose, PositionScheme.LongRecipe], 50, 400, 3, Samples: 2);

        Assert.Equal(PositionsExplorer.Build(request).Positions.Traces.Select(t => t.Y.ToArray()),
            PositionsExplorer.Build(request).Positions.Traces.Select(t => t.Y.ToArray()));
    }

    [Fact]
    public void Long_samples_are_thinned_to_the_plotted_maximum_keeping_both_ends()
    {
        var shown = PositionsExplorer.Thin(10_000, PositionsRequest.MaxPlottedPoints);

        Assert.Equal(PositionsRequest.MaxPlottedPoints, shown.Length);
        Assert.Equal((0, 9_999), (shown[0], shown[^1]));
        Assert.Equal([0, 1, 2], PositionsExplorer.Thin(3, 5));
    }

    [Fact]
    public void Gap_bins_double_up_to_the_largest_gap_and_are_labelled_by_their_integers()
    {
        var edges = PositionsExplorer.PowerOfTwoEdges(9);

        Assert.Equal([1, 2, 4, 8, 16], edges);
        Assert.Equal(["1", "2–3", "4–7", "8–15"], PositionsExplorer.BinLabels(edges));
    }

    [Theory]
    [InlineData(0, 100, 1000, 16, "Choose at least one scheme.")]
    [InlineData(1, 2000, 1000, 16, "Training length L must be in [2, T = 1000], got 2000.")]
    [InlineData(1, 100, 1, 16, "Target window T must be at least 2, got 1.")]
    [InlineData(1, 100, 1000, 0, "Samples must be in [1, 256], got 0.")]
    public void Bad_forms_are_named(int schemes, int length, int target, int samples, string problem)
    {
        var request = new PositionsRequest(Enumerable.Repeat(PositionScheme.Pose, schemes).ToList(), length, target, 0, samples);

        Assert.Equal(problem, request.Problem());
        Assert.Equal(problem, Assert.Throws<ArgumentException>(() => PositionsExplorer.Build(request)).Message);
    }
}
