using LongRecipe.Engine.Model;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;
using static LongRecipe.Engine.Tests.Training.TrainingSupport;

namespace LongRecipe.Engine.Tests.Training;

/// <summary>What goes wrong in real runs: non-finite losses, allocations that do not fit, killed and damaged checkpoints.</summary>
public class TrainerFailureTests
{
    [Fact]
    public void A_step_with_a_nan_loss_is_skipped_and_counted_and_the_weights_stay_finite()
    {
        using var folder = new TempFolder();
        using var model = PoisonedModel();
        var events = new RecordingSink();
        var options = Options(5) with { MicroBatchSize = 2, GradientAccumulation = 1, MaxSkippedSteps = 1 };
        var trainer = new Trainer(model, new PoisonedSource(3), options, folder.Path);

        Assert.Equal(TrainingOutcome.Completed, trainer.Run(events.Write, TestContext.Current.CancellationToken));
        Assert.Equal(1, trainer.SkippedSteps);
        Assert.True(double.IsNaN(trainer.Losses[2]));
        Assert.All(trainer.Losses.Where((_, i) => i != 2), l => Assert.True(double.IsFinite(l)));
        Assert.Equal([0, 0, 1, 1, 1], events.Steps.Select(s => s.SkippedSteps));
        Assert.Contains(events.Events.OfType<LogEvent>(), e => e.Level == RunLogLevel.Warning && e.Message.StartsWith("step 3 skipped", StringComparison.Ordinal));
        using var scope = DisposeScope.Enter();
        foreach (var name in model.Parameters.Names)
            Assert.True(Clean(model, name).IsFinite().LogicalNot().Sum().ToInt64() == 0, $"{name} has non-finite values after the skipped step");
    }

    [Fact]
    public void More_non_finite_steps_than_allowed_fail_the_run_with_a_clear_message()
    {
        using var folder = new TempFolder();
        using var model = PoisonedModel();
        var options = Options(6) with { GradientAccumulation = 1, MaxSkippedSteps = 2 };
        var trainer = new Trainer(model, new PoisonedSource(2, 3, 4, 5), options, folder.Path);

        var outcome = trainer.Run(new RecordingSink().Write, TestContext.Current.CancellationToken);
        Assert.Equal(TrainingEnd.Failed, outcome.End);
        Assert.StartsWith("step 4: loss NaN", outcome.Error);
        Assert.Contains("3 skipped steps, more than MaxSkippedSteps (2)", outcome.Error);
        Assert.Equal(3, trainer.Step);
    }

    // 20 steps reach MaxConsecutiveSkippedSteps; 3 end before they can, which an outside probe found reported as Completed.
    [Theory]
    [InlineData(20, @"step 4: loss \S+ / gradient norm \S+ is not finite, 3 steps in a row \(steps 2 to 4 skipped, MaxConsecutiveSkippedSteps 3\)")]
    [InlineData(3, @"step 3: loss \S+ / gradient norm \S+ is not finite, 2 steps in a row \(steps 2 to 3 skipped to the run's end: every step after " +
        @"the first, and a run of 3 steps ends before MaxConsecutiveSkippedSteps 3 can be reached\)")]
    public void An_absurd_learning_rate_fails_the_run_as_diverged_naming_the_step_and_the_learning_rate(long steps, string why)
    {
        // 1e30 is finite in f32, so the options take it; the first update wrecks the weights and every step after is skipped.
        using var folder = new TempFolder();
        var (outcome, trainer, events) = Train(folder.Path, Options(steps) with { LearningRate = 1e30, CheckpointEvery = 1 });

        Assert.Equal(TrainingEnd.Failed, outcome.End);
        Assert.Matches($"^{why}: " +
            @"training diverged; lower the learning rate \(peak 1E\+30, \S+ at this step\); the checkpoints up to step 1 are kept$", outcome.Error);
        // The step that fails is the streak's third, or the run's last; the ones before it are warned of.
        var failed = Math.Min(steps, 4);
        Assert.Equal((failed - 1, (int)failed - 1), (trainer.Step, trainer.SkippedSteps));
        Assert.Equal(Enumerable.Range(2, (int)failed - 2).Select(step => $"step {step} skipped"),
            events.Events.OfType<LogEvent>().Where(e => e.Level == RunLogLevel.Warning).Select(e => e.Message[..14]));
        // No checkpoint is taken during the streak: the newest is the one before it.
        Assert.Equal([1L], Checkpoints.Complete(folder.Path).Select(c => c.Step));
    }

    [Fact]
    public void A_diverged_run_keeps_the_checkpoints_from_before_its_streak_and_a_broken_streak_does_not_fail()
    {
        using var folder = new TempFolder();
        using var model = PoisonedModel();
        var options = Options(9) with { GradientAccumulation = 1, CheckpointEvery = 1, KeepCheckpoints = 2 };
        // Steps 2 and 3 skipped, 4 trains (the streak breaks), then 5 to 7 skipped in a row.
        var trainer = new Trainer(model, new PoisonedSource(2, 3, 5, 6, 7), options, folder.Path);

        var outcome = trainer.Run(new RecordingSink().Write, TestContext.Current.CancellationToken);
        Assert.Equal(TrainingEnd.Failed, outcome.End);
        Assert.StartsWith("step 7: loss NaN", outcome.Error);
        Assert.Contains("3 steps in a row (steps 5 to 7 skipped", outcome.Error);
        Assert.EndsWith("the checkpoints up to step 4 are kept", outcome.Error);
        Assert.Equal([4L, 1L], Checkpoints.Complete(folder.Path).Select(c => c.Step));
        Assert.Equal(4, Checkpoints.ReadState(Checkpoints.Latest(folder.Path)!).Step);
    }

    // A run too short for MaxConsecutiveSkippedSteps (3) whose last steps are skipped: W&B or the Lab must not show it as a success.
    [Theory]
    [InlineData(1, new long[] { 1 }, "1 step in a row (steps 1 to 1 skipped to the run's end: every step, and a run of 1 step ends before")]
    [InlineData(2, new long[] { 2 }, "1 step in a row (steps 2 to 2 skipped to the run's end: every step after the first, and a run of 2 steps ends before")]
    [InlineData(3, new long[] { 2, 3 }, "2 steps in a row (steps 2 to 3 skipped to the run's end: every step after the first, and a run of 3 steps ends before")]
    [InlineData(5, new long[] { 1, 2, 4, 5 }, "2 steps in a row (steps 4 to 5 skipped to the run's end, 4 of its 5 steps in all: more skipped than trained)")]
    [InlineData(5, new long[] { 1, 3, 5 }, "1 step in a row (steps 5 to 5 skipped to the run's end, 3 of its 5 steps in all: more skipped than trained)")]
    public void A_run_ending_in_skipped_steps_that_cover_all_after_its_first_or_outnumber_its_trained_ones_fails_as_diverged(long steps, long[] poisoned, string why)
    {
        using var folder = new TempFolder();
        using var model = PoisonedModel();
        var options = Options(steps) with { GradientAccumulation = 1, WarmupSteps = 0, CheckpointEvery = 1 };
        var trainer = new Trainer(model, new PoisonedSource(poisoned), options, folder.Path);

        var outcome = trainer.Run(new RecordingSink().Write, TestContext.Current.CancellationToken);
        Assert.Equal(TrainingEnd.Failed, outcome.End);
        Assert.StartsWith($"step {steps}: loss NaN / gradient norm ", outcome.Error);
        Assert.Contains($", {why}", outcome.Error);
        Assert.Contains("): training diverged; lower the learning rate (peak", outcome.Error);
        // The last step is not checkpointed: the newest checkpoint is the last trained step's.
        var trained = Enumerable.Range(1, (int)steps).Select(s => (long)s).Except(poisoned);
        Assert.Equal(trained.TakeLast(1), Checkpoints.Complete(folder.Path).Select(c => c.Step).Take(1));
    }

    [Theory]
    [InlineData(6, new long[] { 5, 6 })]
    [InlineData(4, new long[] { 3, 4 })]
    [InlineData(5, new long[] { 2, 5 })]
    [InlineData(4, new long[] { 1, 2 })]
    public void A_run_whose_skipped_steps_neither_cover_its_end_nor_outnumber_its_trained_ones_completes(long steps, long[] poisoned)
    {
        using var folder = new TempFolder();
        using var model = PoisonedModel();
        var trainer = new Trainer(model, new PoisonedSource(poisoned), Options(steps) with { GradientAccumulation = 1 }, folder.Path);

        Assert.Equal(TrainingOutcome.Completed, trainer.Run(new RecordingSink().Write, TestContext.Current.CancellationToken));
        Assert.Equal(poisoned.Length, trainer.SkippedSteps);
        Assert.Equal([steps], Checkpoints.Complete(folder.Path).Select(c => c.Step).Take(1));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1e-3)]
    [InlineData(1e308)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NaN)]
    public void A_learning_rate_that_is_not_positive_and_finite_in_f32_is_refused_at_its_field(double learningRate)
    {
        var options = Options(3) with { LearningRate = learningRate };
        var e = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.Equal(nameof(TrainerOptions.LearningRate), e.ParamName);
        Assert.StartsWith($"LearningRate must be > 0 and at most 3.4E+38 (finite in f32, which the optimizer computes in), got {learningRate}", e.Message);
    }

    [Fact]
    public void A_batch_larger_than_the_host_fails_the_run_before_allocating_naming_the_shape_and_the_process_keeps_training()
    {
        // f32 logits and log-softmax of 1024 × 128 tokens over 4M words need 4 TiB. A host that overcommits memory
        // would grant that lazily and then kill the process, so the trainer refuses it before allocating, on any host.
        var config = LlamaConfig.Create(ModelFamily.Llama, vocabSize: 1 << 22, hiddenSize: 16, intermediateSize: 32, layers: 1, heads: 1);
        using var model = LlamaModel.Initialize(config, seed: 1);
        using var folder = new TempFolder();
        var huge = new PackedBatchSource([Enumerable.Range(0, 128).ToArray()], seed: 0);
        var options = Options(2) with { MicroBatchSize = 1024, GradientAccumulation = 1 };

        var outcome = new Trainer(model, huge, options, folder.Path).Run(new RecordingSink().Write, TestContext.Current.CancellationToken);
        Assert.Equal(TrainingEnd.Failed, outcome.End);
        Assert.Equal("out of memory at step 1, sequence length 128, micro-batch size 1024 on cpu: the logits of 1024 × 128 tokens over 4194304 words " +
            $"alone need 4,096 GiB, more than the {TorchRuntime.TotalMemory(Device.Cpu) / (double)(1L << 30):#,0.#} GiB cpu has", outcome.Error);
        Assert.Empty(Checkpoints.Complete(folder.Path));
        Assert.All(model.Parameters.Tensors, p => Assert.Null(p.Grad));

        using var next = new TempFolder();
        var small = new PackedBatchSource([Enumerable.Range(0, 16).ToArray(), Enumerable.Range(5, 16).ToArray()], seed: 0);
        Assert.Equal(TrainingOutcome.Completed, new Trainer(model, small, Options(2), next.Path).Run(new RecordingSink().Write, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void A_checkpoint_write_killed_part_way_leaves_the_previous_one_to_resume_from()
    {
        using var whole = new TempFolder();
        var uninterrupted = TrainWith(whole.Path, Options(6), resume: false).Losses;
        using var folder = new TempFolder();
        TrainWith(folder.Path, Options(6), resume: false, cancelAfter: 3);

        // What a kill during the step-6 write leaves: its hidden temporary folder with a truncated
        // weights file and no state, and a half-written replacement of the "latest" pointer.
        var checkpoints = Checkpoints.Folder(folder.Path);
        var leftover = Path.Combine(checkpoints, ".step-000006.0123456789abcdef0123456789abcdef.tmp");
        Directory.CreateDirectory(leftover);
        var weights = File.ReadAllBytes(Path.Combine(checkpoints, "step-000003", PretrainedModel.WeightsFile));
        File.WriteAllBytes(Path.Combine(leftover, PretrainedModel.WeightsFile), weights[..(weights.Length / 2)]);
        File.WriteAllText(Path.Combine(checkpoints, ".latest.0123456789abcdef0123456789abcdef.tmp"), "step-00");

        Assert.Equal(3, Checkpoints.ReadState(Checkpoints.Latest(folder.Path)!).Step);
        using (var loaded = PretrainedModel.Load(Checkpoints.Latest(folder.Path)!)) Assert.Equal(LlamaConfig.Tiny(), loaded.Config with { Dtype = null });
        var resumed = TrainWith(folder.Path, Options(6), resume: true);
        Assert.Equal(uninterrupted, resumed.Losses);
        Assert.Equal(["latest", "step-000003", "step-000006"], Directory.GetFileSystemEntries(checkpoints).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_damaged_checkpoint_fails_the_resume_naming_the_file()
    {
        using var folder = new TempFolder();
        TrainWith(folder.Path, Options(3), resume: false);
        var newest = Checkpoints.Latest(folder.Path)!;
        var optimizer = Path.Combine(newest, Checkpoints.OptimizerFile);
        File.WriteAllBytes(optimizer, File.ReadAllBytes(optimizer)[..100]);
        var state = Path.Combine(newest, Checkpoints.StateFile);

        using var model = TinyModel();
        string? Resume(long steps)
        {
            var outcome = new Trainer(model, Data(), Options(steps), folder.Path, resume: true).Run(new RecordingSink().Write, TestContext.Current.CancellationToken);
            Assert.Equal(TrainingEnd.Failed, outcome.End);
            return outcome.Error;
        }
        Assert.Contains("options (steps: 3 → 4)", Resume(4));

        Assert.Contains(optimizer, Resume(3));

        File.WriteAllText(state, File.ReadAllText(state).Replace("\"step\": 3", "\"step\": \"three\""));
        Assert.Contains($"{state}: $.step", Resume(3));
    }

    private static Trainer TrainWith(string folder, TrainerOptions options, bool resume, long cancelAfter = 0) =>
        Train(folder, options, resume ? 7UL : 1UL, resume, cancelAfter).Trainer;
}
