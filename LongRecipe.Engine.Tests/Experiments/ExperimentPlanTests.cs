using LongRecipe.Engine.Experiments;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Engine.Tests.Experiments;

public sealed class ExperimentPlanTests
{
    private static readonly EvalSpec Test = new(Perplexity: new PerplexityEvalSpec([1024], Samples: 2));
    private static readonly EvalSpec Validation = new(Perplexity: new PerplexityEvalSpec([1024], Samples: 1));

    /// <summary>LongRecipe (extend 100 + anneal 30 at lr 2e-4 / 2e-5), PoSE with steps to match, PI without training.</summary>
    internal static ExperimentSpec Spec(params double[] learningRates)
    {
        var pose = RunPresets.Pose();
        var longRecipe = RunPresets.LongRecipe();
        var matched = pose with { Stages = [((ExtendStage)pose.Stages[0]) with { Steps = 130, MicroBatchSize = 2 }] };
        var recipe = longRecipe with
        {
            Stages = [.. longRecipe.Stages.Select(s => s is AnnealStage a ? a with { MicroBatchSize = 2 } : s)],
        };
        return new ExperimentSpec("miniature", [recipe, matched, RunPresets.PositionInterpolation()], [1, 2, 3], Test,
            learningRates, Validation, new SelectionCriterion("perplexity", "perplexity", 1024));
    }

    [Fact]
    public void The_grid_runs_each_trained_method_once_per_rate_at_the_first_seed_on_validation_data()
    {
        var runs = ExperimentPlan.Selection(Spec(1e-4, 3e-4));

        Assert.Equal(["longrecipe lr=1e-04", "longrecipe lr=3e-04", "pose lr=1e-04", "pose lr=3e-04"], runs.Select(r => r.Name));
        Assert.All(runs, r => Assert.Equal((1UL, Validation, ExperimentRole.Selection), (r.Seed, r.Eval, r.Experiment!.Role)));
        // The extension takes the grid's rate; the anneal keeps its tenth of it.
        var recipe = runs[1];
        Assert.Equal(3e-4, ((ExtendStage)recipe.Stages[0]).LearningRate, 12);
        Assert.Equal(3e-5, ((AnnealStage)recipe.Stages[1]).LearningRate, 12);
        Assert.Equal("longrecipe", recipe.Experiment!.Method);
    }

    [Fact]
    public void Finals_run_every_seed_at_the_chosen_rate_and_a_pure_rescaling_once()
    {
        var spec = Spec(1e-4, 3e-4);
        var finals = ExperimentPlan.Finals(spec, new Dictionary<string, double> { ["longrecipe"] = 1e-4, ["pose"] = 3e-4 });

        Assert.Equal(["longrecipe", "longrecipe", "longrecipe", "pose", "pose", "pose", "pi"], finals.Select(r => r.Name));
        Assert.Equal([1UL, 2, 3, 1, 2, 3, 1], finals.Select(r => r.Seed));
        Assert.All(finals, r => Assert.Equal((Test, ExperimentRole.Final), (r.Eval, r.Experiment!.Role)));
        // Seeds reach the position transforms, which draw their own placements.
        Assert.Equal([1UL, 2, 3], finals.Take(3).Select(r => ((ExtendStage)r.Stages[0]).Transform.Seed));
        Assert.Equal(3e-4, ((ExtendStage)finals[3].Stages[0]).LearningRate, 12);
        Assert.Equal(1e-5, ((AnnealStage)finals[0].Stages[1]).LearningRate, 12);
        // Planning is a pure function: a resumed experiment finds its runs by their specs.
        Assert.Equal(finals.Select(f => f.ToJson()), ExperimentPlan.Finals(spec, new Dictionary<string, double> { ["longrecipe"] = 1e-4, ["pose"] = 3e-4 }).Select(f => f.ToJson()));
    }

    [Fact]
    public void An_experiment_reads_back_from_JSON_and_refuses_unequal_budgets_at_the_field()
    {
        var spec = Spec(1e-4);
        Assert.Equal(spec.ToJson(), ExperimentSpec.Parse(spec.ToJson()).ToJson());

        var fewerSteps = spec with { Methods = [spec.Methods[0], RunPresets.Pose(), spec.Methods[2]] };
        Assert.Equal(["methods[1].stages: equal budgets: 100 optimizer steps in all, 'longrecipe' has 130"], fewerSteps.Problems().Select(p => p.ToString()));
        var pose = (ExtendStage)spec.Methods[1].Stages[0];
        var biggerBatches = spec with { Methods = [spec.Methods[0], spec.Methods[1] with { Stages = [pose with { MicroBatchSize = 4 }] }, spec.Methods[2]] };
        Assert.Equal(["methods[1].stages: equal budgets: 4 sequences per step, 'longrecipe' has 2"], biggerBatches.Problems().Select(p => p.ToString()));
    }

    [Theory]
    [InlineData("""{"seeds": [1, 1]}""", "seeds: must be distinct, got 1, 1")]
    [InlineData("""{"learning_rates": [0.001], "selection_eval": null}""", "selection_eval: a learning-rate grid needs a selection evaluation (on validation data)")]
    [InlineData("""{"learning_rates": [-1]}""", "learning_rates[0]: must be > 0 and at most 3.4E+38 (finite in f32, which the optimizer computes in), got -1")]
    [InlineData("""{"parallel": 0}""", "parallel: must be ≥ 1, got 0")]
    [InlineData("""{"criterion": {"benchmark": "nope", "metric": "x", "context_length": 1}}""",
        "criterion.benchmark: must be one of niah, passkey, perplexity, short_perplexity, got 'nope'")]
    [InlineData("""{"criterion": {"benchmark": "perplexity", "metric": "accuracy", "context_length": 1024}}""",
        "criterion.metric: perplexity measures perplexity and bits_per_byte, not 'accuracy'")]
    [InlineData("""{"criterion": {"benchmark": "perplexity", "metric": "perplexity", "context_length": 999}}""",
        "criterion.context_length: selection_eval measures perplexity at 1024, not 999")]
    [InlineData("""{"criterion": {"benchmark": "niah", "metric": "accuracy", "context_length": 1024}}""",
        "criterion.context_length: selection_eval has no niah to pick by")]
    // The grid's runs are judged with their evaluation too: the selection's own rules went unchecked until its first run.
    [InlineData("""{"selection_eval": {"perplexity": {"lengths": [1024], "samples": 0}}}""", "selection_eval.perplexity.samples: must be ≥ 1, got 0")]
    public void Each_problem_names_its_field(string change, string expected)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(Spec(1e-4).ToJson())!.AsObject();
        foreach (var (key, value) in System.Text.Json.Nodes.JsonNode.Parse(change)!.AsObject())
            json[key] = value?.DeepClone();
        var error = Assert.Throws<RunSpecException>(() => ExperimentSpec.Parse(json.ToJsonString(), "exp.json"));
        Assert.Contains($"exp.json: {expected}", error.Message);
    }

    /// <summary>
    /// Shape and rule problems come in one answer, as a run spec's do (the rules used to wait for a well-shaped spec: two
    /// rounds). A field of the wrong shape hides only its own rules and those reading it: the methods' rules read no seed,
    /// and the name each method's run is tagged with is judged once, at name.
    /// </summary>
    [Theory]
    [InlineData("""{"parallel": "two", "seeds": [1, 1]}""", new[] { "parallel", "seeds", "methods[1].stages[0].learning_rate" })]
    [InlineData("""{"seeds": "one", "parallel": 0}""", new[] { "seeds", "parallel", "methods[1].stages[0].learning_rate" })]
    [InlineData("""{"eval": {"batch_size": "four"}, "parallel": 0}""", new[] { "eval.batch_size", "parallel", "methods[1].stages[0].learning_rate" })]
    [InlineData("""{"name": 5, "selection_eval": {"niah": 1}}""", new[] { "name", "selection_eval.niah", "methods[1].stages[0].learning_rate" })]
    [InlineData("""{"name": ""}""", new[] { "name", "methods[1].stages[0].learning_rate" })]
    public void Shape_and_rule_problems_are_reported_together_each_at_its_field(string change, string[] paths)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(Spec(1e-4).ToJson())!.AsObject();
        json["methods"]![1]!["stages"]![0]!["learning_rate"] = 0;
        foreach (var (key, value) in System.Text.Json.Nodes.JsonNode.Parse(change)!.AsObject())
            json[key] = value?.DeepClone();
        var error = Assert.Throws<RunSpecException>(() => ExperimentSpec.Parse(json.ToJsonString(), "exp.json"));
        Assert.Equal(paths, error.Problems.Select(p => p.Path));
    }

    /// <summary>
    /// An experiment stored by earlier builds holds its methods' merge stages with alpha and density at their defaults
    /// whatever the method: it loads; an alpha written for a method's average merge is refused under that method.
    /// </summary>
    [Fact]
    public void A_stored_experiments_merge_defaults_load_and_an_alpha_its_method_ignores_is_refused()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(Spec(1e-4).ToJson())!.AsObject();
        var merge = json["methods"]![0]!["stages"]![2]!.AsObject();
        Assert.Equal("merge", (string?)merge["kind"]);
        merge["alpha"] = 0.5;
        merge["density"] = 0.2;
        Assert.Equal(Spec(1e-4).ToJson(), ExperimentSpec.Parse(json.ToJsonString()).ToJson());

        merge.Remove("density");
        var error = Assert.Throws<RunSpecException>(() => ExperimentSpec.Parse(json.ToJsonString(), "exp.json"));
        Assert.Contains("exp.json: methods[0].stages[2].alpha: is not read by method average; weighted and slerp read it, got 0.5", error.Message);
    }

    [Fact]
    public void A_method_problem_is_reported_under_its_method()
    {
        var spec = Spec(1e-4);
        var broken = spec with { Methods = [spec.Methods[0], spec.Methods[1] with { Stages = [((ExtendStage)spec.Methods[1].Stages[0]) with { LearningRate = 0 }] }, spec.Methods[2]] };
        Assert.Contains("methods[1].stages[0].learning_rate: must be > 0 and at most 3.4E+38 (finite in f32, which the optimizer computes in), got 0", broken.Problems().Select(p => p.ToString()));
        var duplicate = spec with { Methods = [spec.Methods[0], spec.Methods[0]] };
        Assert.Contains("methods[1].name: 'longrecipe' names two methods", duplicate.Problems().Select(p => p.ToString()));
        Assert.Empty(spec.Problems());
        Assert.Equal(PositionScheme.LongRecipe, ((ExtendStage)spec.Methods[0].Stages[0]).Transform.Scheme);
    }
}
