using System.Text.Json.Nodes;
using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;

namespace LongRecipe.Engine.Tests.Recipes;

public class RunSpecTests
{
    public static TheoryData<string> PresetNames => new(RunPresets.ByName.Keys);

    [Theory]
    [MemberData(nameof(PresetNames))]
    public void Every_preset_is_valid_and_round_trips_through_json(string name)
    {
        var spec = RunPresets.ByName[name]();
        Assert.Empty(spec.Problems());
        var json = spec.ToJson();
        var back = RunSpec.Parse(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal(spec.Stages.Select(s => s.GetType()), back.Stages.Select(s => s.GetType()));
        // Training-free: no stage at all, or only searches.
        Assert.Equal(spec.Stages.All(s => s is SearchStage), back.IsTrainingFree);
    }

    [Fact]
    public void The_recipe_preset_is_extend_then_anneal_then_average_with_longrecipe_positions_at_three_tenths()
    {
        var spec = RunSpec.Parse(RunPresets.LongRecipe().ToJson());
        var extend = Assert.IsType<ExtendStage>(spec.Stages[0]);
        Assert.Equal(PositionTransformSpec.LongRecipe(1024, 1), extend.Transform.Over(spec.TargetLength));
        Assert.InRange(extend.SequenceLength, 0.29 * 1024, 0.31 * 1024);
        var anneal = Assert.IsType<AnnealStage>(spec.Stages[1]);
        Assert.Equal((0.5, 0.0, LearningRateDecay.Linear), (anneal.ReplayRatio, anneal.MinLearningRate, anneal.Decay));
        Assert.Equal(new MergeStage(MergeMethod.Average), spec.Stages[2]);
        Assert.Equal((RunSpec.BuiltinModel, 256, 1024), (spec.Model, spec.NativeLength, spec.TargetLength));
    }

    [Fact]
    public void Json_is_snake_case_with_kind_and_transformers_rope_names()
    {
        var json = JsonNode.Parse(RunPresets.LongRecipe().ToJson())!;
        Assert.Equal("extend", (string?)json["stages"]![0]!["kind"]);
        Assert.Equal("long_recipe", (string?)json["stages"]![0]!["transform"]!["scheme"]);
        Assert.Equal(304, (int?)json["stages"]![0]!["sequence_length"]);
        Assert.Equal("linear", (string?)json["stages"]![1]!["decay"]);
        Assert.Equal(0.5, (double?)json["stages"]![1]!["replay_ratio"]);
        Assert.Equal("average", (string?)json["stages"]![2]!["method"]);
        Assert.Equal(2, (int?)json["eval"]!["niah"]!["needles_per_cell"]);
        var longrope = JsonNode.Parse(RunPresets.Build("searched", rope: new RopeScaling
        {
            Type = RopeType.LongRope, Factor = 4, OriginalMaxPositionEmbeddings = 256, LongFactor = [1, 2, 4], ShortFactor = [1, 1, 1],
        }).ToJson())!;
        Assert.Equal("longrope", (string?)longrope["rope_scaling"]!["rope_type"]);
        Assert.Equal(256, (int?)longrope["rope_scaling"]!["original_max_position_embeddings"]);
        Assert.Null(longrope["rope_scaling"]!["initial_unscaled_tokens"]);
        var withNHat = new RopeScaling { Type = RopeType.LongRope, LongFactor = [1, 2], ShortFactor = [1, 1], InitialUnscaledTokens = 4 };
        Assert.Equal(4, withNHat.Over(new RopeScaling()).InitialUnscaledTokens);
        Assert.Equal(4, (int?)JsonNode.Parse(RunPresets.Build("n-hat", rope: withNHat).ToJson())!["rope_scaling"]!["initial_unscaled_tokens"]);
    }

    [Fact]
    public void The_longrope_presets_are_the_search_alone_the_papers_route_and_the_progressive_route()
    {
        var trainingFree = RunSpec.Parse(RunPresets.LongRope().ToJson());
        Assert.IsType<SearchStage>(Assert.Single(trainingFree.Stages));
        Assert.True(trainingFree.IsTrainingFree);
        Assert.Null(((SearchStage)trainingFree.Stages[0]).Factor);

        var paper = RunSpec.Parse(RunPresets.LongRopeFineTuned().ToJson());
        Assert.Equal(["search", "extend"], paper.StageNames);
        Assert.Equal(new TransformSpec(PositionScheme.FullLength), Assert.IsType<ExtendStage>(paper.Stages[1]).Transform);
        Assert.Equal(1024, paper.Window(1));

        var progressive = RunSpec.Parse(RunPresets.LongRopeProgressive().ToJson());
        Assert.Equal(["search-1", "extend", "search-2"], progressive.StageNames);
        Assert.Equal(2, Assert.IsType<SearchStage>(progressive.Stages[0]).Factor);
        var extend = Assert.IsType<ExtendStage>(progressive.Stages[1]);
        // The fine-tuning trains at the first search's window, full positions, for the second search to extend.
        Assert.Equal((new TransformSpec(PositionScheme.FullLength), 512, 512), (extend.Transform, extend.SequenceLength, progressive.Window(1)));
        Assert.Null(Assert.IsType<SearchStage>(progressive.Stages[2]).Factor);
    }

    [Fact]
    public void A_search_stage_is_kind_search_with_the_searchs_own_settings_in_snake_case()
    {
        var spec = RunSpec.Parse("""
            { "name": "s", "native_length": 256, "target_length": 1024,
              "stages": [ { "kind": "search", "factor": 4, "unscaled_tokens": [0], "short_generations": 2, "max_factor_ratio": 1.5 } ] }
            """);
        var search = Assert.IsType<SearchStage>(Assert.Single(spec.Stages));
        var settings = search.Search(4, spec.Seed);
        Assert.Equal((4.0, 2, 1.5, 16, spec.Seed), (settings.Factor, settings.ShortGenerations, settings.MaxFactorRatio, settings.Population, settings.Seed));
        Assert.Equal([0], settings.UnscaledChoices(256));
        var json = JsonNode.Parse(spec.ToJson())!["stages"]![0]!;
        Assert.Equal("search", (string?)json["kind"]);
        Assert.Equal(0, (int?)json["unscaled_tokens"]![0]);
    }

    [Fact]
    public void A_minimal_spec_takes_defaults_and_kind_may_come_after_other_fields()
    {
        var spec = RunSpec.Parse("""
            { "name": "m", "native_length": 64, "target_length": 256,
              "stages": [ { "sequence_length": 64, "transform": { "scheme": "pose" }, "kind": "extend" } ] }
            """);
        var extend = Assert.IsType<ExtendStage>(Assert.Single(spec.Stages));
        Assert.Equal((PositionScheme.Pose, 2, 100, 5e-5), (extend.Transform.Scheme, extend.Transform.Chunks, extend.Steps, extend.LearningRate));
        Assert.Equal((Device.Cpu, DType.Float32, DataSpec.Synthetic), (spec.Device, spec.Dtype, spec.Data.Corpus));
        Assert.Equal(OptimizerState.F32, extend.OptimizerState);
    }

    [Fact]
    public void A_training_stage_names_its_optimizer_state_in_snake_case()
    {
        var spec = RunPresets.LongRecipe() with
        {
            Stages = [.. RunPresets.LongRecipe().Stages.Select(s => s is AnnealStage a ? a with { OptimizerState = OptimizerState.Int8Blockwise } : s)],
        };
        var json = JsonNode.Parse(spec.ToJson())!;
        Assert.Equal("f32", (string?)json["stages"]![0]!["optimizer_state"]);
        Assert.Equal("int8_blockwise", (string?)json["stages"]![1]!["optimizer_state"]);
        json["stages"]![0]!["optimizer_state"] = "bf16_stochastic";
        var back = RunSpec.Parse(json.ToJsonString());
        Assert.Equal([OptimizerState.Bf16Stochastic, OptimizerState.Int8Blockwise], back.Stages.OfType<TrainingStageSpec>().Select(s => s.OptimizerState));
    }

    [Fact]
    public void A_stage_recording_its_step_as_a_cuda_graph_needs_a_gpu_f32_moments_and_no_checkpointing()
    {
        var json = JsonNode.Parse(RunPresets.LongRecipe().ToJson())!;
        Assert.False((bool?)json["stages"]![0]!["cuda_graph"]);
        json["stages"]![0]!["cuda_graph"] = true;
        json["stages"]![0]!["optimizer_state"] = "int8_blockwise";
        json["stages"]![0]!["activation_checkpointing"] = true;

        var e = Assert.Throws<RunSpecException>(() => RunSpec.Parse(json.ToJsonString(), "spec.json"));

        Assert.Equal(
            ["records the step on a CUDA device; device is cpu", "needs optimizer_state f32, not int8_blockwise",
                "does not record activation checkpointing: turn one of them off"],
            e.Problems.Where(p => p.Path == "stages[0].cuda_graph").Select(p => p.Message));
        Assert.Equal(3, e.Problems.Count);
        json["device"] = "cuda:0";
        json["stages"]![0]!["optimizer_state"] = "f32";
        json["stages"]![0]!["activation_checkpointing"] = false;
        var spec = RunSpec.Parse(json.ToJsonString());
        Assert.Equal([true, false], spec.Stages.OfType<TrainingStageSpec>().Select(s => s.CudaGraph));
    }

    [Fact]
    public void Rope_scaling_applies_on_top_of_the_base_models_theta()
    {
        var rope = RunPresets.Yarn().RopeScaling!.Over(new RopeScaling { Theta = 500_000, PartialRotaryFactor = 0.5 });
        Assert.Equal((RopeType.Yarn, 500_000.0, 0.5, 4.0, 256L), (rope.Type, rope.Theta, rope.PartialRotaryFactor, rope.Factor, rope.OriginalMaxPositionEmbeddings));
    }

    [Theory]
    [InlineData("longrecipe")]
    [InlineData("yarn")]
    public void A_spec_written_with_the_earlier_names_reads_as_todays(string preset)
    {
        var earlier = Path.Combine(AppContext.BaseDirectory, "Recipes", "Earlier", preset + ".json");
        var text = File.ReadAllText(earlier);
        // The fixtures hold what earlier builds wrote: dtype as torch names it, the trainer's settings by their short names.
        Assert.Contains(preset == "yarn" ? "\"dtype\": \"bfloat16\"" : "\"batch_size\": 2", text);

        var spec = RunSpec.Load(earlier);

        var today = RunPresets.ByName[preset]();
        if (preset == "yarn") today = today with { Device = Device.Cuda(0), Dtype = DType.BFloat16 };
        Assert.Equal(today.ToJson(), spec.ToJson());
        Assert.Equal(today.Stages, spec.Stages);
        Assert.Equal(today.RopeScaling, spec.RopeScaling);
    }

    /// <summary>
    /// Earlier builds wrote a merge stage's alpha and density whatever its method, at 0.5 and 0.2 when not given: a stage
    /// stored so keeps only what its method reads, where one given alone to a method that ignores it is refused.
    /// </summary>
    [Theory]
    [InlineData("average", null, null)]
    [InlineData("weighted", 0.5, null)]
    [InlineData("ties", null, 0.2)]
    public void A_merge_stage_stored_with_both_defaults_keeps_what_its_method_reads(string method, double? alpha, double? density)
    {
        var spec = RunSpec.Parse(Patched($$"""
            {"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256}, {"kind": "merge", "method": "{{method}}", "alpha": 0.5, "density": 0.2}]}
            """));
        var merge = Assert.IsType<MergeStage>(spec.Stages[1]);
        Assert.Equal((alpha, density), (merge.Alpha, merge.Density));
    }

    [Fact]
    public void An_earlier_transform_window_other_than_the_runs_is_refused_and_a_name_given_twice_too()
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Recipes", "Earlier", "longrecipe.json"));
        var error = Assert.Throws<RunSpecException>(() => RunSpec.Parse(text
            .Replace("\"target_length\": 1024,\n        \"seed\"", "\"target_length\": 512,\n        \"seed\"")
            .Replace("\"lr\": 0.0002,", "\"lr\": 0.0002, \"learning_rate\": 0.0003,")));
        Assert.Equal(["stages[0].lr", "stages[0].transform.target_length"], error.Problems.Select(p => p.Path).Order());
        Assert.Contains("the transform spans the run's target_length (1024); leave this out, got 512", error.Message);
        Assert.Contains("is the old name of learning_rate", error.Message);
    }

    /// <summary>Each rule, broken alone on the recipe preset, with the path and words its message must carry.</summary>
    public static TheoryData<string, string, string> BrokenSpecs => new()
    {
        { """{"name": ""}""", "name", "must not be empty" },
        { """{"model": ""}""", "model", "builtin" },
        { """{"native_length": null}""", "native_length", "pretraining window" },
        { """{"model": "/models/llama"}""", "native_length", "only for the built-in model" },
        { """{"device": "tpu"}""", "device", "must be cpu, cuda or cuda:N, got \"tpu\"" },
        { """{"dtype": "float16"}""", "dtype", "must be f32 or bf16, got \"float16\"" },
        { """{"target_length": 0}""", "target_length", "must be > 0" },
        { """{"target_length": 200}""", "target_length", "must exceed native_length (256)" },
        { """{"rope_scaling": {"rope_type": "default"}}""", "rope_scaling.rope_type", "leave rope_scaling out" },
        { """{"rope_scaling": {"rope_type": "linear", "factor": 0.5}}""", "rope_scaling.factor", "must be ≥ 1" },
        { """{"rope_scaling": {"rope_type": "linear"}}""", "rope_scaling.factor", "is required for rope_type 'linear'" },
        { """{"rope_scaling": {"rope_type": "yarn", "original_max_position_embeddings": 0}}""", "rope_scaling.original_max_position_embeddings", "must lie in [1, 2147483647], got 0" },
        { """{"rope_scaling": {"rope_type": "longrope", "long_factor": [1]}}""", "rope_scaling.short_factor", "is required for rope_type 'longrope'" },
        { """{"rope_scaling": {"rope_type": "linear", "factor": 2, "long_factor": [1], "short_factor": [1]}}""", "rope_scaling.long_factor", "is read by longrope only" },
        { """{"rope_scaling": {"rope_type": "longrope", "long_factor": [1, 2], "short_factor": [1]}}""", "rope_scaling.short_factor", "has 1 entries, long_factor 2" },
        { """{"rope_scaling": {"rope_type": "longrope", "long_factor": [0], "short_factor": [1]}}""", "rope_scaling.long_factor", "values must be positive numbers" },
        { """{"rope_scaling": {"rope_type": "linear", "factor": 2, "low_freq_factor": 1}}""", "rope_scaling.low_freq_factor", "llama3 only" },
        { """{"rope_scaling": {"rope_type": "linear", "factor": 2, "initial_unscaled_tokens": 4}}""", "rope_scaling.initial_unscaled_tokens", "read by rope_type 'longrope' only" },
        { """{"rope_scaling": {"rope_type": "longrope", "long_factor": [1], "short_factor": [1], "initial_unscaled_tokens": -1}}""", "rope_scaling.initial_unscaled_tokens", "(-1) must not be negative" },
        { """{"data": {"corpus": " "}}""", "data.corpus", "synthetic" },
        { """{"data": {"documents": 0}}""", "data.documents", "must be > 0" },
        { """{"data": {"selection": {"method": "digits", "select_ratio": 0}}}""", "data.selection.select_ratio", "must be in (0, 1]" },
        { """{"data": {"replay": null}}""", "data.replay", "the anneal stage replays data" },
        { """{"data": {"replay": ""}}""", "data.replay", "a path or null" },
        { """{"model": "models/a\u0000b", "native_length": null}""", "model", "must not hold a NUL character (no path does)" },
        { """{"data": {"corpus": "a\u0000b.txt"}}""", "data.corpus", "must not hold a NUL character (no path does)" },
        { """{"data": {"replay": "\u0000"}}""", "data.replay", "must not hold a NUL character (no path does)" },
        { """{"eval": {"corpus": "real\u0000"}}""", "eval.corpus", "must not hold a NUL character (no path does)" },
        { """{"data": {"retrieval_ratio": 1.5}}""", "data.retrieval_ratio", "must be in [0, 1] (0 leaves retrieval samples out), got 1.5" },
        { """{"data": {"retrieval_ratio": "some"}}""", "data.retrieval_ratio", "must be a finite number" },
        { """{"stages": [{"kind": "merge"}]}""", "stages[0]", "merge needs a trained model" },
        { """{"stages": [{"kind": 5}]}""", "stages[0].kind", "missing (expected" },
        { """{"stages": [{"kind": "merge"}, {"kind": "merge"}]}""", "stages", "at most one merge stage, found 2" },
        { """{"stages": [{"kind": "merge"}, {"kind": "extend", "transform": {"scheme": "full_length"}, "sequence_length": 1024}]}""", "stages[0]", "merge must be the last stage" },
        { """{"stages": [{"kind": "anneal"}]}""", "stages[0]", "anneal must come after an extend stage" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose", "target_length": 512}, "sequence_length": 256}]}""", "stages[0].transform.target_length", "the transform spans the run's target_length (1024)" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 2048}]}""", "stages[0].sequence_length", "must be in [1, target_length = 1024]" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "full_length"}, "sequence_length": 256}]}""", "stages[0].transform", "full_length (FLT) trains at the target" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "steps": 0}]}""", "stages[0].steps", "must be ≥ 1" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "micro_batch_size": 0}]}""", "stages[0].micro_batch_size", "must be ≥ 1" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "gradient_accumulation": 0}]}""", "stages[0].gradient_accumulation", "must be ≥ 1" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "learning_rate": 0}]}""", "stages[0].learning_rate", "must be > 0 and at most 3.4E+38 (finite in f32, which the optimizer computes in), got 0" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "learning_rate": 1e308}]}""", "stages[0].learning_rate", "must be > 0 and at most 3.4E+38 (finite in f32, which the optimizer computes in), got 1E+308" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "min_learning_rate": 1}]}""", "stages[0].min_learning_rate", "must be in [0, learning_rate = 5E-05]" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "warmup_steps": 100}]}""", "stages[0].warmup_steps", "must be in [0, steps = 100)" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "weight_decay": -1}]}""", "stages[0].weight_decay", "must be ≥ 0" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "clip_norm": -1}]}""", "stages[0].clip_norm", "must be ≥ 0" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "checkpoint_every": -1}]}""", "stages[0].checkpoint_every", "must be ≥ 0" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256}, {"kind": "anneal", "replay_ratio": 1.5}]}""", "stages[1].replay_ratio", "must be in (0, 1]" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256}, {"kind": "anneal", "min_learning_rate": 1e-7}]}""", "stages[1].min_learning_rate", "decays the learning rate to zero" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256}, {"kind": "anneal", "decay": "constant"}]}""", "stages[1].decay", "not constant" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256}, {"kind": "merge", "method": "weighted", "alpha": 2}]}""", "stages[1].alpha", "must be in [0, 1]" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256}, {"kind": "merge", "method": "ties", "density": 0}]}""", "stages[1].density", "must be in (0, 1]" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256}, {"kind": "merge", "method": "ties", "alpha": 0}]}""", "stages[1].alpha",
            "is not read by method ties; weighted and slerp read it, got 0" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256}, {"kind": "merge", "density": 0.5}]}""", "stages[1].density",
            "is not read by method average; ties reads it, got 0.5" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256}, {"kind": "merge", "method": "slerp", "alpha": 0.3, "density": 2}]}""",
            "stages[1].density", "is not read by method slerp; ties reads it, got 2" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256}, {"kind": "anneal", "sequence_length": 2048}]}""", "stages[1].sequence_length", "must be in [2, target_length = 1024], got 2048" },
        { """{"stages": [{"kind": "search", "factor": 2}, {"kind": "extend", "transform": {"scheme": "full_length"}, "sequence_length": 2048}, {"kind": "search"}]}""", "stages[1].sequence_length", "must be in [1, target_length = 1024], got 2048" },
        { """{"stages": [{"kind": "search", "factor": 1}]}""", "stages[0].factor", "must be above 1, got 1" },
        { """{"stages": [{"kind": "search", "factor": 8}]}""", "stages[0].factor", "8 × native_length (256) reaches past target_length (1024)" },
        { """{"stages": [{"kind": "search"}, {"kind": "search"}]}""", "stages[0].factor", "only the last search stage may leave the factor out" },
        { """{"stages": [{"kind": "search", "factor": 3}, {"kind": "search", "factor": 2}]}""", "stages[1].factor", "must exceed the earlier search's factor (3), got 2" },
        { """{"stages": [{"kind": "search", "population": 1}]}""", "stages[0].population", "must be at least 2, not 1" },
        { """{"stages": [{"kind": "search", "parents": 16}]}""", "stages[0].parents", "must lie in [1, Population) = [1, 16), not 16" },
        { """{"stages": [{"kind": "search", "mutation_probability": 0}]}""", "stages[0].mutation_probability", "must lie in (0, 1]" },
        { """{"stages": [{"kind": "search", "unscaled_tokens": [0, 4, 4]}]}""", "stages[0].unscaled_tokens", "must list distinct values ≥ 0" },
        { """{"stages": [{"kind": "search", "samples": 0}]}""", "stages[0].samples", "must be at least 1" },
        { """{"rope_scaling": {"rope_type": "linear", "factor": 4}, "stages": [{"kind": "search"}]}""", "rope_scaling", "a search stage sets the RoPE" },
        { """{"eval": {"niah": {"lengths": [], "depths": [50]}}}""", "eval.niah.lengths", "at least one length" },
        { """{"eval": {"niah": {"lengths": [256, -1], "depths": [50]}}}""", "eval.niah.lengths[1]", "must be > 0" },
        { """{"eval": {"niah": {"lengths": [256], "depths": []}}}""", "eval.niah.depths", "at least one depth" },
        { """{"eval": {"niah": {"lengths": [256], "depths": [150]}}}""", "eval.niah.depths[0]", "percent in [0, 100]" },
        { """{"eval": {"niah": {"lengths": [256], "depths": [50], "needles_per_cell": 0}}}""", "eval.niah.needles_per_cell", "must be ≥ 1" },
        { """{"eval": {"passkey": {"lengths": [0]}}}""", "eval.passkey.lengths[0]", "must be > 0" },
        { """{"eval": {"passkey": {"lengths": [256], "samples": 0}}}""", "eval.passkey.samples", "must be ≥ 1" },
        { """{"eval": {"perplexity": {"lengths": []}}}""", "eval.perplexity.lengths", "at least one length" },
        { """{"eval": {"perplexity": {"lengths": [256], "samples": 0}}}""", "eval.perplexity.samples", "must be ≥ 1" },
        { """{"eval": {"corpus": ""}}""", "eval.corpus", "\"synthetic\", \"real\" or a real-corpus folder" },
        { """{"eval": {"split": "train"}}""", "eval.split", "test or validation, not train" },
        { """{"eval": {"split": "dev"}}""", "eval.split", "must be one of train, validation, test" },
        // Numbers beyond double's range read as ∞ by a JSON parser: each is refused at its field.
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "learning_rate": 1e400}]}""", "stages[0].learning_rate", "must be a finite number, got 1e400" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "min_learning_rate": -1e400}]}""", "stages[0].min_learning_rate", "must be a finite number, got -1e400" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "weight_decay": 1e309}]}""", "stages[0].weight_decay", "must be a finite number" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "clip_norm": 1e999}]}""", "stages[0].clip_norm", "must be a finite number" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256}, {"kind": "anneal", "replay_ratio": 1e400}]}""", "stages[1].replay_ratio", "must be a finite number" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256}, {"kind": "merge", "alpha": 1e400}]}""", "stages[1].alpha", "must be a finite number" },
        { """{"stages": [{"kind": "search", "factor": 1e400}]}""", "stages[0].factor", "must be a finite number" },
        { """{"stages": [{"kind": "search", "mutation_probability": 1e400}]}""", "stages[0].mutation_probability", "must be a finite number" },
        { """{"data": {"selection": {"method": "digits", "select_ratio": 1e400}}}""", "data.selection.select_ratio", "must be a finite number" },
        { """{"data": {"retrieval_ratio": -1e400}}""", "data.retrieval_ratio", "must be a finite number" },
        { """{"eval": {"niah": {"lengths": [256], "depths": [1e400]}}}""", "eval.niah.depths[0]", "must be a finite number" },
        { """{"rope_scaling": {"rope_type": "linear", "factor": 1e400}}""", "rope_scaling.factor", "must be a finite number" },
        { """{"rope_scaling": {"rope_type": "yarn", "factor": 4, "attention_factor": 1e400}}""", "rope_scaling.attention_factor", "must be a finite number" },
        // Whole numbers out of their type's range, or not whole.
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "micro_batch_size": 1e10}]}""", "stages[0].micro_batch_size", "must be an integer, got 1e10" },
        { """{"stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "steps": 2.5}]}""", "stages[0].steps", "must be an integer, got 2.5" },
        { """{"target_length": 99999999999}""", "target_length", "must be an integer in [-2147483648, 2147483647], got 99999999999" },
        { """{"seed": 1e30}""", "seed", "must be a non-negative integer" },
        { """{"name": "a\nb"}""", "name", "must not hold control characters" },
        { $$"""{"name": "{{new string('n', 201)}}"}""", "name", "must be at most 200 characters, got 201" },
    };

    [Theory]
    [MemberData(nameof(BrokenSpecs))]
    public void Each_broken_rule_is_reported_at_its_json_path(string patch, string path, string words)
    {
        var error = Assert.Throws<RunSpecException>(() => RunSpec.Parse(Patched(patch)));
        var problem = Assert.Single(error.Problems, p => p.Path == path);
        Assert.Contains(words, problem.Message);
        Assert.Contains($"{path}: {problem.Message}", error.Message);
    }

    [Fact]
    public void Unknown_fields_are_named_with_the_fields_allowed_there_and_all_reported_at_once()
    {
        var error = Assert.Throws<RunSpecException>(() => RunSpec.Parse(Patched("""
            {"nmae": "x", "stages": [{"kind": "extend", "transform": {"scheme": "pose", "chunk": 3}, "sequence_length": 256, "learning_rat": 1}]}
            """)));
        Assert.Equal(["stages[0].transform.chunk", "stages[0].learning_rat", "nmae"], error.Problems.Select(p => p.Path));
        Assert.All(error.Problems, p => Assert.StartsWith("unknown field (expected one of", p.Message));
        Assert.Contains("chunks", error.Problems[0].Message);
        Assert.Contains("learning_rate", error.Problems[1].Message);
    }

    [Fact]
    public void Shape_and_rule_problems_are_reported_together_each_at_its_field()
    {
        var error = Assert.Throws<RunSpecException>(() => RunSpec.Parse(Patched("""
            {"name": "", "eval": {"batch_size": "four"},
             "stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "learning_rate": 0}]}
            """), "spec.json"));
        Assert.Equal(["eval.batch_size", "name", "stages[0].learning_rate"], error.Problems.Select(p => p.Path));
        Assert.Equal("must be an integer, got \"four\"", error.Problems[0].Message);
        Assert.Contains("spec.json: stages[0].learning_rate: must be > 0", error.Message);
    }

    [Theory]
    // Rules that read an ill-shaped field from elsewhere are not checked against the placeholder standing in for it.
    [InlineData("""{"target_length": "long", "name": "", "stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256}]}""",
        new[] { "target_length", "name" })]
    [InlineData("""{"device": "gpu", "stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 256, "cuda_graph": true}], "eval": {"batch_size": 0}}""",
        new[] { "device", "eval.batch_size" })]
    [InlineData("""{"model": 7, "native_length": 256, "eval": {"batch_size": 0}}""", new[] { "model", "eval.batch_size" })]
    public void Rules_reading_an_ill_shaped_field_are_left_for_after_its_mend(string patch, string[] paths)
    {
        var error = Assert.Throws<RunSpecException>(() => RunSpec.Parse(Patched(patch)));
        Assert.Equal(paths, error.Problems.Select(p => p.Path));
    }

    [Fact]
    public void Properties_computed_from_the_spec_are_not_fields_it_sets()
    {
        var error = Assert.Throws<RunSpecException>(() => RunSpec.Parse(Patched("""{"is_training_free": true, "stage_names": ["a"]}""")));
        Assert.Equal(["is_training_free", "stage_names"], error.Problems.Select(p => p.Path));
        Assert.All(error.Problems, p => Assert.DoesNotContain("is_training_free", p.Message));
    }

    [Fact]
    public void A_field_written_twice_is_named_not_taken_either_way()
    {
        var json = Patched("{}");
        var twice = json.Insert(json.IndexOf("\"target_length\":", StringComparison.Ordinal), "\"target_length\": 5, \"seed\": -1, ");
        var error = Assert.Throws<RunSpecException>(() => RunSpec.Parse(twice, "spec.json"));
        // The rest is still read: its shape and rules are checked beside it.
        Assert.Equal(["target_length", "seed"], error.Problems.Select(p => p.Path));
        Assert.Contains("spec.json", error.Message);
        Assert.Contains("target_length: is written twice", error.Message);
    }

    [Theory]
    [InlineData("""{"stages": [{"steps": 1}]}""", "stages[0].kind", "missing (expected search, extend, anneal, merge)")]
    [InlineData("""{"stages": [{"kind": "train"}]}""", "stages[0].kind", "'train' is not one of search, extend, anneal, merge")]
    [InlineData("""{"stages": [{"kind": "search", "unscaled_tokens": [0, "4"]}]}""", "stages[0].unscaled_tokens[1]", "must be an integer")]
    [InlineData("""{"rope_scaling": {"rope_type": "ntk"}}""", "rope_scaling.rope_type", "must be one of default, linear, dynamic, yarn, llama3, longrope, got \"ntk\"")]
    [InlineData("""{"stages": [{"kind": "merge", "method": "mean"}]}""", "stages[0].method", "must be one of average, weighted, ties, slerp, got \"mean\"")]
    [InlineData("""{"stages": [{"kind": "extend", "sequence_length": 256, "transform": {"scheme": "skip"}}]}""", "stages[0].transform.scheme", "must be one of full_length, random_positions, pose, long_recipe")]
    [InlineData("""{"stages": [{"kind": "merge", "method": 2}]}""", "stages[0].method", "must be one of average")]
    [InlineData("""{"stages": [{"kind": "anneal", "optimizer_state": "int4"}]}""", "stages[0].optimizer_state", "must be one of f32, bf16_stochastic, int8_blockwise, got \"int4\"")]
    [InlineData("""{"target_length": "long"}""", "target_length", "must be an integer, got \"long\"")]
    [InlineData("""{"target_length": 1024.5}""", "target_length", "must be an integer, got 1024.5")]
    [InlineData("""{"seed": -1}""", "seed", "must be a non-negative integer, got -1")]
    [InlineData("""{"stages": [{"kind": "merge", "alpha": "half"}]}""", "stages[0].alpha", "must be a finite number")]
    [InlineData("""{"device": 0}""", "device", "must be cpu, cuda or cuda:N, got 0")]
    [InlineData("""{"eval": {"short_retention": 1}}""", "eval.short_retention", "must be true or false")]
    [InlineData("""{"stages": {"kind": "merge"}}""", "stages", "must be a list")]
    [InlineData("""{"eval": {"niah": {"lengths": [256, null], "depths": [50]}}}""", "eval.niah.lengths[1]", "must not be null")]
    [InlineData("""{"data": 3}""", "data", "must be an object, got 3")]
    [InlineData("""{"name": null}""", "name", "must not be null")]
    [InlineData("""{"stages": [{"kind": "extend", "sequence_length": 256}]}""", "stages[0].transform", "missing (required)")]
    public void Wrong_kinds_values_and_types_name_their_field(string patch, string path, string words)
    {
        var error = Assert.Throws<RunSpecException>(() => RunSpec.Parse(Patched(patch)));
        var problem = Assert.Single(error.Problems);
        Assert.Equal(path, problem.Path);
        Assert.Contains(words, problem.Message);
    }

    [Fact]
    public void Missing_required_fields_and_broken_json_are_reported()
    {
        var missing = Assert.Throws<RunSpecException>(() => RunSpec.Parse("""{"native_length": 64}"""));
        Assert.Equal(["name", "target_length"], missing.Problems.Select(p => p.Path).Order());
        Assert.All(missing.Problems, p => Assert.Equal("missing (required)", p.Message));
        var broken = Assert.Throws<RunSpecException>(() => RunSpec.Parse("{\"name\": \"x\",\n \"target_length\": }"));
        Assert.Contains("line 2", broken.Message);
        var nothing = Assert.Throws<RunSpecException>(() => RunSpec.Parse("null"));
        Assert.Contains("must be an object", nothing.Message);
    }

    [Fact]
    public void Load_names_the_file_in_every_problem_and_save_writes_what_load_reads()
    {
        var folder = Directory.CreateTempSubdirectory("runspec");
        try
        {
            var file = Path.Combine(folder.FullName, "run.json");
            RunPresets.Pose().Save(file);
            Assert.Equal(RunPresets.Pose().ToJson(), RunSpec.Load(file).ToJson());

            File.WriteAllText(file, Patched("""{"name": "", "seed": 2}""").Replace("\"learning_rate\":0.0002", "\"learning_rate\":-1"));
            var error = Assert.Throws<RunSpecException>(() => RunSpec.Load(file));
            Assert.Equal(file, error.File);
            Assert.Equal(["name", "stages[0].learning_rate"], error.Problems.Select(p => p.Path));
            Assert.All(error.Message.Split(Environment.NewLine), line => Assert.StartsWith(file + ": ", line));

            var absent = Assert.Throws<RunSpecException>(() => RunSpec.Load(Path.Combine(folder.FullName, "none.json")));
            Assert.Contains("none.json: cannot be read", absent.Message);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>The recipe preset's JSON with the top-level fields of <paramref name="patch"/> replacing or merging into its own.</summary>
    private static string Patched(string patch)
    {
        var spec = JsonNode.Parse(RunPresets.LongRecipe().ToJson())!.AsObject();
        foreach (var (name, value) in JsonNode.Parse(patch)!.AsObject())
        {
            if (value is JsonObject part && spec[name] is JsonObject own && name != "rope_scaling")
                foreach (var (field, inner) in part) own[field] = inner?.DeepClone();
            else
                spec[name] = value?.DeepClone();
        }
        return spec.ToJsonString();
    }
}
