using LongRecipe.Engine.Model;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.SafeTensors;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;
using static LongRecipe.Engine.Tests.Training.TrainingSupport;

namespace LongRecipe.Engine.Tests.Training;

/// <summary>The trainer on the CPU in f32: learning, determinism, resume, cancel, events.</summary>
public class TrainerTests
{
    [Fact]
    public void Loss_falls_and_the_same_seed_gives_the_same_losses()
    {
        using var a = new TempFolder();
        using var b = new TempFolder();
        var (outcome, first, events) = Train(a.Path, Options(8));
        var (_, second, _) = Train(b.Path, Options(8));

        Assert.Equal(TrainingOutcome.Completed, outcome);
        Assert.Equal(8, first.Losses.Count);
        Assert.True(first.Losses[^1] < first.Losses[0] - 0.5, $"loss went from {first.Losses[0]} to {first.Losses[^1]}");
        Assert.Equal(first.Losses, second.Losses);
        using var c = new TempFolder();
        Assert.NotEqual(first.Losses, Train(c.Path, Options(8), modelSeed: 2).Trainer.Losses);

        // One step event per step, carrying the schedule's rate and the tokens seen (2 micro-batches × 2 × 16).
        var steps = events.Steps.ToList();
        Assert.Equal(Enumerable.Range(1, 8).Select(s => (long)s), steps.Select(s => s.Step));
        Assert.Equal(first.Losses, steps.Select(s => s.Loss));
        Assert.Equal(Options(8).Schedule.At(5), steps[4].LearningRate);
        Assert.Equal(5 * 64, steps[4].Tokens);
        Assert.All(steps, s => Assert.True(s.GradNorm > 0 && s.TokensPerSecond > 0 && s.MemoryBytes > 0 && s.SkippedSteps == 0));
        Assert.Equal(TimeSpan.Zero, steps[^1].Eta);
        Assert.Equal([3L, 6, 8], events.Events.OfType<CheckpointEvent>().Select(c => c.Step));
        // How the run ended is the outcome; the run's lifecycle is the caller's to report.
        Assert.Empty(events.Events.OfType<StatusEvent>());
    }

    [Fact]
    public void A_resumed_run_continues_with_the_losses_of_the_uninterrupted_one()
    {
        using var whole = new TempFolder();
        using var split = new TempFolder();
        var uninterrupted = Train(whole.Path, Options(8)).Trainer.Losses;

        // Cancelled after step 4: the step finishes, a checkpoint is saved, the run ends Cancelled.
        var (outcome, stopped, events) = Train(split.Path, Options(8), cancelAfter: 4);
        Assert.Equal(TrainingOutcome.Cancelled, outcome);
        Assert.Equal(4, stopped.Step);
        Assert.Equal(4, events.Events.OfType<CheckpointEvent>().Last().Step);
        Assert.Equal("step-000004", File.ReadAllText(Path.Combine(Checkpoints.Folder(split.Path), Checkpoints.LatestFile)).Trim());

        // A model initialised differently: every weight must come from the checkpoint.
        var (resumedOutcome, resumed, resumedEvents) = Train(split.Path, Options(8), modelSeed: 99, resume: true);
        Assert.Equal(TrainingOutcome.Completed, resumedOutcome);
        Assert.Equal([5L, 6, 7, 8], resumedEvents.Steps.Select(s => s.Step));
        Assert.Equal(uninterrupted, resumed.Losses);
        Assert.Equal(8 * 64, resumed.Tokens);
    }

    [Fact]
    public void A_checkpoint_that_cannot_be_read_is_named_and_the_one_before_it_resumes()
    {
        using var whole = new TempFolder();
        using var split = new TempFolder();
        var uninterrupted = Train(whole.Path, Options(8)).Trainer.Losses;
        Train(split.Path, Options(8) with { CheckpointEvery = 2 }, cancelAfter: 6);
        Assert.Equal([6L, 4], Checkpoints.Complete(split.Path).Select(c => c.Step));
        // The newest weights cut short, as a full disk or a copy stopped half-way leaves them.
        var newest = Checkpoints.Latest(split.Path)!;
        using (var weights = new FileStream(Path.Combine(newest, PretrainedModel.WeightsFile), FileMode.Open)) weights.SetLength(1000);

        var (outcome, resumed, events) = Train(split.Path, Options(8) with { CheckpointEvery = 2 }, modelSeed: 99, resume: true);
        Assert.Equal(TrainingOutcome.Completed, outcome);
        var warning = Assert.Single(events.Events.OfType<LogEvent>(), e => e.Level == RunLogLevel.Warning);
        Assert.StartsWith($"{newest} cannot be restored: {Path.Combine(newest, PretrainedModel.WeightsFile)}", warning.Message);
        Assert.Contains(events.Events.OfType<LogEvent>(), e => e.Message.EndsWith("step-000004 at step 4", StringComparison.Ordinal));
        Assert.Equal([5L, 6, 7, 8], events.Steps.Select(s => s.Step));
        Assert.Equal(uninterrupted, resumed.Losses);

        // With no checkpoint readable the run fails, naming the newest's problem.
        foreach (var (_, checkpoint) in Checkpoints.Complete(split.Path)) File.WriteAllText(Path.Combine(checkpoint, Checkpoints.StateFile), "{");
        var (none, _, _) = Train(split.Path, Options(8) with { CheckpointEvery = 2 }, resume: true);
        Assert.Equal(TrainingEnd.Failed, none.End);
        Assert.Contains($"no checkpoint in {Checkpoints.Folder(split.Path)} can be restored; the newest: ", none.Error);
    }

    [Fact]
    public void A_run_folder_with_checkpoints_is_resumed_only_when_asked_and_with_the_same_options()
    {
        using var folder = new TempFolder();
        Train(folder.Path, Options(3));
        var (outcome, _, _) = Train(folder.Path, Options(3));
        Assert.Equal(TrainingEnd.Failed, outcome.End);
        Assert.Contains("already holds checkpoints (newest step-000003)", outcome.Error);

        var (changed, _, _) = Train(folder.Path, Options(3) with { LearningRate = 5e-3 }, resume: true);
        Assert.Equal(TrainingEnd.Failed, changed.End);
        Assert.Contains("trainer_state.json: the run was started with other options (learning_rate: 0.01 → 0.005)", changed.Error);
    }

    [Fact]
    public void Only_the_newest_checkpoints_are_kept_and_each_loads_as_a_model()
    {
        using var folder = new TempFolder();
        var (_, trainer, _) = Train(folder.Path, Options(8) with { CheckpointEvery = 2 });
        Assert.Equal([8L, 6], Checkpoints.Complete(folder.Path).Select(c => c.Step));
        var newest = Checkpoints.Latest(folder.Path)!;
        Assert.Equal(8, Checkpoints.ReadState(newest).Step);
        Assert.Equal(trainer.Losses, Checkpoints.ReadState(newest).Losses);
        using var loaded = PretrainedModel.Load(newest);
        Assert.Equal(LlamaConfig.Tiny(), loaded.Config with { Dtype = null });
    }

    [Fact]
    public void The_run_writes_its_events_on_the_calling_thread_as_they_happen()
    {
        using var folder = new TempFolder();
        using var model = TinyModel();
        var trainer = new Trainer(model, Data(), Options(3), folder.Path);
        var events = new List<(RunEvent Event, int Thread, long StepsDone)>();
        var outcome = trainer.Run(e => events.Add((e, Environment.CurrentManagedThreadId, trainer.Step)), TestContext.Current.CancellationToken);
        Assert.Equal(TrainingOutcome.Completed, outcome);
        Assert.All(events, e => Assert.Equal(Environment.CurrentManagedThreadId, e.Thread));
        // Each step's event arrives when that step is done, before the next one starts.
        Assert.Equal([1L, 2, 3], events.Where(e => e.Event is StepEvent).Select(e => e.StepsDone));
        Assert.Equal([1L, 2, 3], events.Select(e => e.Event).OfType<StepEvent>().Select(s => s.Step));
        // The trainer left the model as it found it: no gradients, none required.
        Assert.All(model.Parameters.Tensors, p => Assert.False(p.RequiresGrad));
    }

    [Fact]
    public void Options_and_model_are_checked_before_anything_runs()
    {
        Assert.Contains("MicroBatchSize must be at least 1", Assert.Throws<ArgumentException>(() => (Options(2) with { MicroBatchSize = 0 }).Validate()).Message);
        Assert.Contains("WarmupSteps must be in [0, Steps = 2]", Assert.Throws<ArgumentException>(() => (Options(2) with { WarmupSteps = 3 }).Validate()).Message);
        Assert.Contains("ComputeDType must be f32 or bf16", Assert.Throws<ArgumentException>(() => (Options(2) with { ComputeDType = DType.Float16 }).Validate()).Message);
        Assert.Contains("MinLearningRate", Assert.Throws<ArgumentException>(() => (Options(2) with { MinLearningRate = 1 }).Validate()).Message);
        Assert.Contains("CudaGraph needs f32 optimizer state, not int8_blockwise",
            Assert.Throws<ArgumentException>(() => (Options(2) with { CudaGraph = true, OptimizerState = OptimizerState.Int8Blockwise }).Validate()).Message);
        Assert.Contains("CudaGraph does not record activation checkpointing",
            Assert.Throws<ArgumentException>(() => (Options(2) with { CudaGraph = true, ActivationCheckpointing = true }).Validate()).Message);
        using var folder = new TempFolder();
        using var model = TinyModel();
        Assert.Contains("the model is f32 but ComputeDType is bf16",
            Assert.Throws<ArgumentException>(() => _ = new Trainer(model, Data(), Options(2) with { ComputeDType = DType.BFloat16 }, folder.Path)).Message);
        Assert.Contains("CudaGraph records the step on a CUDA device, and the model is on cpu",
            Assert.Throws<ArgumentException>(() => _ = new Trainer(model, Data(), Options(2) with { CudaGraph = true }, folder.Path)).Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
    }

    [Theory]
    [InlineData(OptimizerState.F32)]
    [InlineData(OptimizerState.Int8Blockwise)]
    public void A_bf16_run_resumes_exactly_with_f32_masters_or_with_8_bit_state_without(OptimizerState state)
    {
        using var whole = new TempFolder();
        using var split = new TempFolder();
        var options = Options(6) with { ComputeDType = DType.BFloat16, OptimizerState = state };
        IReadOnlyList<double> Bf16Run(string folder, bool resume, long cancelAfter = 0) =>
            Train(folder, options, resume ? 7UL : 1UL, resume, cancelAfter, DType.BFloat16).Trainer.Losses;

        var uninterrupted = Bf16Run(whole.Path, resume: false);
        Assert.True(uninterrupted[^1] < uninterrupted[0] - 0.3, $"bf16 loss went from {uninterrupted[0]} to {uninterrupted[^1]}");
        // With 8-bit state the stochastic rounding of step t draws from (seed, t): resumed steps round as the uninterrupted ones did.
        Bf16Run(split.Path, resume: false, cancelAfter: 2);
        Assert.Equal(uninterrupted, Bf16Run(split.Path, resume: true));

        var newest = Checkpoints.Latest(whole.Path)!;
        using var weights = SafeTensorsFile.Open(Path.Combine(newest, PretrainedModel.WeightsFile));
        Assert.All(weights.Entries, e => Assert.Equal(DType.BFloat16, e.DType));
        using var optimizerState = SafeTensorsFile.Open(Path.Combine(newest, Checkpoints.OptimizerFile));
        using var scope = DisposeScope.Enter();
        if (state == OptimizerState.Int8Blockwise)
        {
            // No f32 masters: the bf16 weights take the update themselves; the moments are codes and block maxima.
            Assert.False(File.Exists(Path.Combine(newest, Checkpoints.MasterFile)));
            Assert.Equal(DType.UInt8, optimizerState.GetEntry("exp_avg_codes.model.norm.weight").DType);
            Assert.Equal(DType.Float32, optimizerState.GetEntry("exp_avg_sq_root_absmax.model.norm.weight").DType);
            // A resume under another state is refused, naming the option.
            var (refused, _, _) = Train(split.Path, options with { OptimizerState = OptimizerState.F32 }, 7, resume: true, dtype: DType.BFloat16);
            Assert.Equal(TrainingEnd.Failed, refused.End);
            Assert.Contains("other options (optimizer_state: \"Int8Blockwise\" → \"F32\")", refused.Error);
            return;
        }
        // The checkpoint holds the bf16 model transformers loads and the f32 masters it came from, and f32 moments.
        using var master = SafeTensorsFile.Open(Path.Combine(newest, Checkpoints.MasterFile));
        Assert.All(master.Entries, e => Assert.Equal(DType.Float32, e.DType));
        Assert.Equal(DType.Float32, optimizerState.GetEntry("exp_avg.model.norm.weight").DType);
        const string name = "model.layers.0.mlp.up_proj.weight";
        Assert.Equal(Expect.Values(master.Load(name).To(DType.BFloat16)), Expect.Values(weights.Load(name)));
        Assert.NotEqual(Expect.Values(master.Load(name)), Expect.Values(weights.Load(name)));
    }
}
