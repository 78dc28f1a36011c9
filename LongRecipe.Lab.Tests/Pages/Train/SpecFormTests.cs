using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Torch;
using LongRecipe.Lab.Components.Pages.Train;

namespace LongRecipe.Lab.Tests.Pages.Train;

public sealed class SpecFormTests
{
    [Fact]
    public void Every_preset_goes_through_the_form_unchanged()
    {
        foreach (var choice in SpecForm.Presets)
        {
            var form = SpecForm.FromPreset(choice.Key, Device.Cpu);
            Assert.Equal(RunPresets.ByName[choice.Key]().ToJson(), form.ToSpec().ToJson());
            Assert.Empty(Problems(form));
        }
    }

    [Fact]
    public void Form_fields_land_in_the_spec_and_the_transform_spans_the_target()
    {
        var form = SpecForm.FromPreset("longrecipe", Device.Cuda(1));
        form.TargetLength = 2048;
        form.Seed = 9;
        form.Extend!.Scheme = PositionScheme.Pose;
        form.Extend.Steps = 7;
        form.Extend.WarmupSteps = 2;
        form.Anneal!.ReplayRatio = 0.25;
        form.Merge!.Method = MergeMethod.Weighted;
        form.Merge.Alpha = 0.3;
        form.Merge.Density = 0.9;
        form.NiahLengths = "512, 2048";
        form.PasskeyLengths = "";

        var spec = form.ToSpec();

        var extend = Assert.IsType<ExtendStage>(spec.Stages[0]);
        Assert.Equal((PositionScheme.Pose, RunPresets.Seed, 7), (extend.Transform.Scheme, extend.Transform.Seed, extend.Steps));
        Assert.Equal(2048, spec.TargetLength);
        Assert.Equal(0.25, Assert.IsType<AnnealStage>(spec.Stages[1]).ReplayRatio);
        // The spec gets the alpha weighted reads, not the density it ignores.
        Assert.Equal(new MergeStage(MergeMethod.Weighted, Alpha: 0.3), spec.Stages[2]);
        Assert.Equal((Device.Cuda(1), 9UL), (spec.Device, spec.Seed));
        Assert.Equal([512, 2048], spec.Eval.Niah!.Lengths);
        Assert.Null(spec.Eval.Passkey);
        // Fields the form does not show keep the preset's values.
        Assert.Equal(RunPresets.LongRecipe().Stages.OfType<ExtendStage>().Single().CheckpointEvery, extend.CheckpointEvery);
        Assert.Empty(spec.Problems());
    }

    [Fact]
    public void Each_training_stage_sets_its_memory_and_speed_and_a_cuda_graph_is_checked_against_the_device()
    {
        var form = SpecForm.FromPreset("longrecipe", Device.Cpu);
        Assert.Equal((OptimizerState.F32, false, false),
            (form.Extend!.Execution.OptimizerState, form.Extend.Execution.ActivationCheckpointing, form.Extend.Execution.CudaGraph));
        form.Extend.Execution.OptimizerState = OptimizerState.Int8Blockwise;
        form.Extend.Execution.ActivationCheckpointing = true;
        form.Anneal!.Execution.CudaGraph = true;

        var spec = form.ToSpec();

        var (extend, anneal) = (Assert.IsType<ExtendStage>(spec.Stages[0]), Assert.IsType<AnnealStage>(spec.Stages[1]));
        Assert.Equal((OptimizerState.Int8Blockwise, true, false), (extend.OptimizerState, extend.ActivationCheckpointing, extend.CudaGraph));
        Assert.Equal((OptimizerState.F32, false, true), (anneal.OptimizerState, anneal.ActivationCheckpointing, anneal.CudaGraph));
        var problem = Assert.Single(Problems(form));
        Assert.Equal(("stages[1].cuda_graph", "records the step on a CUDA device; device is cpu"), (problem.Path, problem.Message));
        form.Device = "cuda:0";
        Assert.Empty(Problems(form));
        // A spec's settings come back into the form.
        Assert.Equal(OptimizerState.Int8Blockwise, SpecForm.From(form.ToSpec()).Extend!.Execution.OptimizerState);
        Assert.True(SpecForm.From(form.ToSpec()).Anneal!.Execution.CudaGraph);
    }

    [Fact]
    public void Problems_name_the_field_path_including_lists_that_do_not_parse()
    {
        var form = SpecForm.FromPreset("longrecipe", Device.Cpu);
        form.Extend!.SequenceLength = 5000;
        form.Anneal!.Steps = 0;
        // Zero steps also leave no room for the preset's warmup: both are named.
        Assert.Equal(["stages[0].sequence_length", "stages[1].steps", "stages[1].warmup_steps"], Problems(form).Select(p => p.Path).Distinct());
        Assert.Equal(0, form.StageIndex("extend"));
        Assert.Equal(2, form.StageIndex("merge"));

        // A field that does not parse is named first, with the rules' problems of the rest (it used to hide them).
        form.NiahLengths = "256, 1k";
        var problems = Problems(form);
        Assert.Equal(["eval.niah.lengths", "stages[0].sequence_length", "stages[1].steps", "stages[1].warmup_steps"], problems.Select(p => p.Path).Distinct());
        Assert.Contains("'1k' is not a number", problems[0].Message);

        form.NiahLengths = "256";
        form.Dtype = "float16";
        problems = Problems(form);
        Assert.Equal(["dtype", "stages[0].sequence_length", "stages[1].steps", "stages[1].warmup_steps"], problems.Select(p => p.Path).Distinct());
        Assert.Contains("unknown dtype 'float16'", problems[0].Message);
    }

    [Fact]
    public void A_model_directory_takes_its_window_from_its_config_and_rope_baselines_edit_their_factor()
    {
        var form = SpecForm.FromPreset("pi", Device.Cpu);
        Assert.True(form.RescalesRope);
        form.RopeFactor = 8;
        form.Model = "/models/other";
        var spec = form.ToSpec();
        Assert.Equal((null, 8.0), (spec.NativeLength, spec.RopeScaling!.Factor));
        Assert.Empty(spec.Stages);
        form.Model = RunSpec.BuiltinModel;
        Assert.Equal(RunPresets.NativeLength, form.ToSpec().NativeLength);
    }

    [Fact]
    public void The_real_corpus_is_offered_once_fetched_and_replay_follows_the_corpus_trained_on()
    {
        Assert.Equal([DataSpec.Synthetic], CorpusChoice.Offered(realFetched: false, DataSpec.Synthetic).Select(c => c.Value));
        Assert.Equal([DataSpec.Synthetic, DataSpec.Real], CorpusChoice.Offered(realFetched: true, DataSpec.Synthetic).Select(c => c.Value));
        Assert.Equal([DataSpec.Synthetic, "/data/mine.jsonl"], CorpusChoice.Offered(realFetched: false, "/data/mine.jsonl").Select(c => c.Value));

        var form = SpecForm.FromPreset("longrecipe", Device.Cpu);
        form.Corpus = DataSpec.Real;
        form.RetrievalRatio = 0.2;
        form.EvalCorpus = DataSpec.Real;
        form.EvalSplit = CorpusSplit.Validation;
        var spec = form.ToSpec();

        Assert.Equal((DataSpec.Real, DataSpec.Real, 0.2), (spec.Data.Corpus, spec.Data.Replay, spec.Data.RetrievalRatio));
        Assert.Equal((DataSpec.Real, CorpusSplit.Validation), (spec.Eval.Corpus, spec.Eval.Split));
        Assert.Equal(spec.ToJson(), SpecForm.From(spec).ToSpec().ToJson());
    }

    /// <summary>The form's own problems: its fields that do not parse and the rules' (the machine's are the queue's to add).</summary>
    private static IReadOnlyList<SpecProblem> Problems(SpecForm form) => form.ToSpecWithProblems().Problems;
}
