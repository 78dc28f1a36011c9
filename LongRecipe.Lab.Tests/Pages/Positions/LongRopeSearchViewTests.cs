using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Lab.Components.Pages.Positions;
using LongRecipe.Lab.Components.Shared;

namespace LongRecipe.Lab.Tests.Pages.Positions;

public sealed class LongRopeSearchViewTests
{
    [Fact]
    public void The_form_becomes_a_longrope_run_with_a_search_stage_per_progressive_factor_and_evaluations_up_to_s_times_native()
    {
        var form = new SearchRunForm(Factor: 4, Progressive: "2; 4", Population: 12, Generations: 3, ShortGenerations: 1, Samples: 3, Seed: 5, Device: " cpu ");

        var spec = form.ToSpec(native: 256);

        Assert.Empty(spec.Problems());
        Assert.Equal(("builtin-longrope-4x", RunSpec.BuiltinModel, 256, 1024, 5ul), (spec.Name, spec.Model, spec.NativeLength, spec.TargetLength, spec.Seed));
        var stages = spec.Stages.Cast<SearchStage>().ToList();
        // The last search leaves its factor to the run (target / native = 4); a quarter of the population are parents.
        Assert.Equal([2.0, null], stages.Select(s => s.Factor));
        Assert.All(stages, s => Assert.Equal((12, 3, 3, 1, 3), (s.Population, s.Generations, s.Parents, s.ShortGenerations, s.Samples)));
        Assert.Equal(["search-1", "search-2"], spec.StageNames);
        Assert.Equal([256, 512, 1024], spec.Eval.Perplexity!.Lengths);
        Assert.Equal([256, 512, 1024], spec.Eval.Passkey!.Lengths);
        Assert.True(spec.Eval.ShortRetention);
        Assert.Equal(3, spec.Data.Documents);
    }

    [Fact]
    public void A_model_directory_gives_its_own_window_and_name_and_no_progressive_factor_searches_at_s_alone()
    {
        var spec = new SearchRunForm(Model: "/models/small/", Factor: 2.5, Progressive: "").ToSpec(native: 2048);

        Assert.Equal(("small-longrope-2.5x", (int?)null, 5120), (spec.Name, spec.NativeLength, spec.TargetLength));
        Assert.Equal([null], spec.Stages.Cast<SearchStage>().Select(s => s.Factor));
        Assert.Equal([2048, 4096, 5120], spec.Eval.Perplexity!.Lengths);
    }

    [Theory]
    [InlineData("Progressive", "stages: progressive factor 'x' is not a number", "Progressive", "2, x")]
    [InlineData("Progressive", "stages[1].factor: must exceed the earlier search's factor (3)", "Progressive", "3, 2")]
    [InlineData("Seed", "seed: must not be negative, got -1", "Seed", "-1")]
    [InlineData("Samples", "stages[0].samples", "Samples", "0")]
    [InlineData("Population", "stages[0].population", "Population", "1")]
    [InlineData("Device", "device: ", "Device", "tpu")]
    [InlineData("Factor", "target_length: the factor s must be above 1, got 0.5", "Factor", "0.5")]
    public void Each_problem_shows_at_the_field_that_causes_it(string field, string expected, string set, string value)
    {
        var form = set switch
        {
            "Progressive" => new SearchRunForm(Progressive: value),
            "Seed" => new SearchRunForm(Seed: long.Parse(value)),
            "Samples" => new SearchRunForm(Samples: int.Parse(value)),
            "Population" => new SearchRunForm(Population: int.Parse(value)),
            "Device" => new SearchRunForm(Device: value),
            _ => new SearchRunForm(Factor: double.Parse(value, System.Globalization.CultureInfo.InvariantCulture), Progressive: ""),
        };

        // As the panel shows them: the fields that do not parse, else the run's rules' problems, each at its field.
        IReadOnlyList<FieldProblem> problems;
        try { problems = SearchRunForm.AtFields(form.ToSpec(native: 256).Problems()); }
        catch (RunSpecException e) { problems = SearchRunForm.AtFields(e.Problems); }

        Assert.Equal([field], problems.Select(p => p.Field).Distinct());
        Assert.Contains(problems, p => p.Message.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_queued_search_run_is_listed_and_once_done_draws_its_searched_long_factors()
    {
        var data = Directory.CreateTempSubdirectory("search-runs-").FullName;
        try
        {
            var workspace = new Workspace(Workspace.LocateRoot(), data);
            var spec = new SearchRunForm(Factor: 2, Progressive: "", Population: 4, Generations: 1, ShortGenerations: 1, Samples: 1).ToSpec(native: 256)
                with { Stages = [new SearchStage(UnscaledTokens: [0, 2], Population: 4, Generations: 1, Parents: 2, ShortGenerations: 1, Samples: 1)] };
            var ids = await TinyRuns.ExecuteAsync(workspace, [spec], TestContext.Current.CancellationToken);
            using var store = RunStore.Open(workspace.StoreFile);
            // A run without a search stage is not a search run.
            store.CreateRun(TinyRuns.Pose, Path.Combine(workspace.RunsFolder, "pose"), DateTimeOffset.UtcNow);

            var listed = Assert.Single(SearchRun.List(store));

            Assert.Equal(ids[0], listed.Run.Id);
            var drawn = listed.Draw()!;
            var rope = LlamaConfig.Load(Path.Combine(listed.Run.Folder, RecipeRunner.ModelFolder, PretrainedModel.ConfigFile)).RopeScaling;
            Assert.Equal(RopeType.LongRope, rope.Type);
            Assert.Equal((32, 256L, 2.0), (drawn.HeadDim, drawn.OriginalContext, drawn.Factor)); // models/builtin: head_dim 32, a 256-token window
            Assert.Equal(rope.LongFactor!.Select(f => Math.Round(f, 2)), drawn.LongFactors.Split(", ").Select(double.Parse));
            Assert.Null(drawn.Problem());
            // Generations 0 and 1 of the long phase, then of the short one.
            Assert.Equal(4, store.Searches(ids[0]).Count);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
