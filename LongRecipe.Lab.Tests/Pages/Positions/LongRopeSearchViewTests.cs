using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.RopeSearch;
using LongRecipe.Lab.Components.Pages.Models;
using LongRecipe.Lab.Components.Pages.Positions;

namespace LongRecipe.Lab.Tests.Pages.Positions;

public sealed class LongRopeSearchViewTests
{
    private static readonly ModelEntry Model = new("builtin", "/models/builtin", ModelSource.Repository,
        LlamaConfig.Tiny(maxPositionEmbeddings: 256), null, 1000, HasWeights: true, WeightBytes: 4000, HasTokenizer: true);

    private static RopeSearchRequest Request(RopeSearchForm form)
    {
        var request = form.ToRequest(Model, out var problem);
        Assert.Null(problem);
        return request!;
    }

    [Fact]
    public void The_form_becomes_a_spec_with_its_stages_and_a_quarter_of_the_population_as_parents()
    {
        var request = Request(new RopeSearchForm(Factor: 8, Progressive: "2, 4;8", Population: 12, Generations: 3, ShortGenerations: 1, Samples: 2, Seed: 5, Device: " cpu "));

        Assert.Equal([2, 4, 8], request.Spec.Stages);
        Assert.Equal((12, 3, 3, 1, 2, 5ul), (request.Spec.Population, request.Spec.Generations, request.Spec.Parents, request.Spec.ShortGenerations, request.Spec.Samples, request.Spec.Seed));
        Assert.Equal("cpu", request.Device);
        Assert.Equal([4.0], Request(new RopeSearchForm(Progressive: "", Population: 2)).Spec.Stages);
        Assert.Equal(1, Request(new RopeSearchForm(Progressive: "", Population: 2)).Spec.Parents);
        Assert.Equal("builtin-longrope-4x", RopeSearchForm.ModelName(Request(new RopeSearchForm())));
    }

    [Fact]
    public void A_running_search_shows_the_form_that_started_it()
    {
        var form = new RopeSearchForm(Factor: 4, Progressive: "1.5, 4", Population: 6, Generations: 2, ShortGenerations: 0, Samples: 3, Seed: 9, Device: "cpu");

        Assert.Equal(form, RopeSearchForm.From(Request(form)));
    }

    [Theory]
    [InlineData("2, x", "Progressive stage 'x' is not a number.")]
    [InlineData("4, 2", "stages must increase")]
    [InlineData("2, 3", "must equal Factor")]
    public void Bad_stages_are_named(string stages, string expected)
    {
        Assert.Null(new RopeSearchForm(Progressive: stages).ToRequest(Model, out var problem));
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void Bad_numbers_are_named()
    {
        Assert.Null(new RopeSearchForm(Seed: -1).ToRequest(Model, out var problem));
        Assert.Equal("Seed must not be negative, got -1.", problem);
        new RopeSearchForm(Samples: 0).ToRequest(Model, out problem);
        Assert.Contains("Samples must be at least 1", problem);
        new RopeSearchForm(Device: "tpu").ToRequest(Model, out problem);
        Assert.Contains("unknown device 'tpu'", problem);
    }

    [Fact]
    public void The_perplexity_chart_has_one_trace_per_stage_holding_that_stages_steps()
    {
        var session = new RopeSearchSession(1, Request(new RopeSearchForm(Progressive: "2, 4", Generations: 1, ShortGenerations: 1)));
        double[] ones = [1, 1, 1, 1];
        session.Report(new RopeSearchProgress(RopeSearchPhase.Long, 2, 0, 1, 5, 40, ones));
        session.Report(new RopeSearchProgress(RopeSearchPhase.Long, 2, 1, 1, 9, 30, ones));
        session.Report(new RopeSearchProgress(RopeSearchPhase.Long, 4, 0, 1, 5, 60, ones));

        var figure = LongRopeSearchView.Perplexity(session, session.Steps);

        Assert.Equal(["long 2×", "long 4×", "short 4×"], figure.Traces.Select(t => t.Name));
        Assert.Equal([1.0, 2.0], figure.Traces[0].X);
        Assert.Equal([40.0, 30.0], figure.Traces[0].Y);
        Assert.Equal([3.0], figure.Traces[1].X);
        Assert.Empty(figure.Traces[2].X);
        Assert.Equal(2 * 2 + 2, session.TotalSteps);
        Assert.Equal("long 4×: generation 0/1, best perplexity 60.000", session.Status);
    }

    [Fact]
    public void The_factor_chart_draws_the_best_factors_beside_linear_interpolation()
    {
        var step = new RopeSearchStep(3, 1, new RopeSearchProgress(RopeSearchPhase.Long, 4, 2, 3, 12, 7.5, [1, 1.5, 3.25, 5]));

        var figure = LongRopeSearchView.Factors(step, "long 4×");

        Assert.Equal("best (long 4×, generation 2)", figure.Traces[0].Name);
        Assert.Equal([0.0, 1, 2, 3], figure.Traces[0].X);
        Assert.Equal([1, 1.5, 3.25, 5], figure.Traces[0].Y);
        Assert.Equal([4.0, 4.0], figure.Traces[1].Y);
        Assert.Equal([0.0, 3.0], figure.Traces[1].X);
    }

    [Fact]
    public void The_stage_table_sets_each_searched_perplexity_beside_its_baseline()
    {
        var rope = new RopeScaling { Type = RopeType.LongRope, Factor = 4, OriginalMaxPositionEmbeddings = 256, LongFactor = [1, 2.5, 5], ShortFactor = [1, 1, 1] };
        var result = new RopeSearchResult(rope, 1024, 12, 8, [
            new RopeSearchStage(RopeSearchPhase.Long, 4, 1024, [1, 2.5, 5], 12, 16, 20),
            new RopeSearchStage(RopeSearchPhase.Short, 4, 256, [1, 1, 1], 8, 8, 3),
        ]);

        var rows = LongRopeSearchView.Stages(result);

        Assert.Equal(new LongRopeSearchView.StageRow("long 4×", 1024, 12, 16, "linear (PI) 4×", 20), rows[0]);
        Assert.Equal(0.75, rows[0].Ratio);
        Assert.Equal(("short 4×", "plain RoPE", 1.0), (rows[1].Stage, rows[1].BaselineName, rows[1].Ratio));
        Assert.Equal("1, 2.5, 5", LongRopeSearchView.LongFactorText(result));

        var factors = LongRopeSearchView.FinalFactors(result);
        Assert.Equal(["long_factor (beyond 256 tokens)", "short_factor", "PI: s = 4"], factors.Traces.Select(t => t.Name));
        Assert.Equal([1, 2.5, 5], factors.Traces[0].Y);
        Assert.Equal([1.0, 1, 1], factors.Traces[1].Y);
        Assert.Equal([0.0, 2.0], factors.Traces[2].X);
    }
}
