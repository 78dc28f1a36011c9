using LongRecipe.Engine.Model;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;
using LongRecipe.Engine.Optim;
using static LongRecipe.Engine.Tests.Training.TrainingSupport;

namespace LongRecipe.Engine.Tests.Training;

/// <summary>The trainer on a GPU: bf16 with f32 masters, CUDA out of memory, and the step recorded as a CUDA graph. Skipped where no CUDA device is visible.</summary>
[Collection(nameof(Torch.ProcessWide))]
public class TrainerCudaTests
{
    private static readonly Device Gpu = Device.Cuda(0);

    private static void RequireCuda()
    {
        if (TorchRuntime.CudaDeviceCount == 0) Assert.Skip("no CUDA device");
    }

    private static void RequireCudaGraphs()
    {
        RequireCuda();
        if (!FusedAdamW.TakesLearningRateOnDevice) Assert.Skip($"libtorch {TorchRuntime.Version} has no fused AdamW reading its learning rate on the device");
    }

    /// <summary>Trains <paramref name="model"/> in the folder (cancelling after step <paramref name="cancelAfter"/> when given); its losses, step events and final weights.</summary>
    private static (Trainer Trainer, RecordingSink Events, Dictionary<string, double[]> Weights) Train(
        LlamaModel model, string folder, TrainerOptions options, IBatchSource? data = null, bool resume = false, long cancelAfter = 0)
    {
        using var cancel = new CancellationTokenSource();
        var events = new RecordingSink(e =>
        {
            if (e is StepEvent { Step: var step } && step == cancelAfter) cancel.Cancel();
        });
        var trainer = new Trainer(model, data ?? Data(), options, folder, resume: resume);
        var outcome = trainer.Run(events.Write, cancel.Token);
        Assert.Equal(cancelAfter > 0 ? TrainingOutcome.Cancelled : TrainingOutcome.Completed, outcome);
        using var scope = DisposeScope.Enter();
        return (trainer, events, model.Parameters.Names.ToDictionary(n => n, n => Expect.Values(Clean(model, n))));
    }

    private static void Close(Dictionary<string, double[]> expected, Dictionary<string, double[]> actual, double tol, string label)
    {
        foreach (var (name, values) in expected) Expect.Close(values, actual[name], tol, $"{label}: {name}");
    }

    [Fact]
    public void Bf16_training_on_cuda_lowers_the_loss_and_keeps_the_model_bf16()
    {
        RequireCuda();
        using var folder = new TempFolder();
        using var model = LlamaModel.Initialize(LlamaConfig.Tiny(), 1, DType.BFloat16, Gpu);
        var events = new RecordingSink();
        var trainer = new Trainer(model, Data(), Options(8) with { ComputeDType = DType.BFloat16, ActivationCheckpointing = true }, folder.Path);

        Assert.Equal(TrainingOutcome.Completed, trainer.Run(events.Write, TestContext.Current.CancellationToken));
        Assert.True(trainer.Losses[^1] < trainer.Losses[0] - 0.3, $"loss went from {trainer.Losses[0]} to {trainer.Losses[^1]}");
        Assert.All(model.Parameters.Tensors, p => Assert.Equal((DType.BFloat16, Gpu), (p.DType, p.Device)));
        Assert.All(events.Steps, s => Assert.True(s.MemoryBytes > 0));
        using var saved = PretrainedModel.Load(Checkpoints.Latest(folder.Path)!);
        Assert.Equal(DType.BFloat16, saved.DType);
    }

    [Fact]
    public void Cuda_out_of_memory_fails_the_run_naming_the_shape_and_frees_what_the_step_held()
    {
        RequireCuda();
        // Logits of 1024 × 128 tokens sized to 45% of the device pass the trainer's check (90%, with their log-softmax). A
        // second tensor their size comes in the first step (libtorch's log-softmax forward, or the cross-entropy kernel's
        // gradient backward), and beside a ballast of 15% held here neither fits, so libtorch itself runs out of memory
        // mid-step. (Without the ballast the kernel's step fit on an H100 and the run failed a step later.)
        var tokens = 1024L * 128;
        var vocab = (int)(0.45 * TorchRuntime.TotalMemory(Gpu) / (tokens * sizeof(float)));
        var config = LlamaConfig.Create(ModelFamily.Llama, vocabSize: vocab, hiddenSize: 16, intermediateSize: 32, layers: 1, heads: 1);
        using var model = LlamaModel.Initialize(config, seed: 1, device: Gpu);
        var small = new PackedBatchSource([Enumerable.Range(0, 16).ToArray(), Enumerable.Range(5, 16).ToArray()], seed: 0);
        // A step first: the process keeps a cuBLAS workspace (32 MiB on Hopper) per thread and stream once one has run a
        // matrix product, this thread's and autograd's device thread's. They are the baseline, not the failed step's.
        using (var warm = new TempFolder())
            Assert.Equal(TrainingOutcome.Completed, new Trainer(model, small, Options(1) with { WarmupSteps = 0 }, warm.Path).Run(new RecordingSink().Write, TestContext.Current.CancellationToken));
        using var ballast = Tensor.Empty([(long)(0.15 * TorchRuntime.TotalMemory(Gpu) / sizeof(float))], DType.Float32, Gpu);
        var before = TorchRuntime.CudaMemory().Allocated;
        using var folder = new TempFolder();
        var huge = new PackedBatchSource([Enumerable.Range(0, 128).ToArray()], seed: 0);

        var outcome = new Trainer(model, huge, Options(2) with { MicroBatchSize = 1024, GradientAccumulation = 1 }, folder.Path)
            .Run(new RecordingSink().Write, TestContext.Current.CancellationToken);

        Assert.Equal(TrainingEnd.Failed, outcome.End);
        Assert.StartsWith("out of memory at step 1, sequence length 128, micro-batch size 1024 on cuda:0", outcome.Error);
        Assert.DoesNotContain("alone need", outcome.Error);
        Assert.True(TorchRuntime.CudaMemory().Allocated <= before, $"{TorchRuntime.CudaMemory().Allocated - before} bytes still held after the failed step");
        using var next = new TempFolder();
        Assert.Equal(TrainingOutcome.Completed, new Trainer(model, small, Options(2), next.Path).Run(new RecordingSink().Write, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData(DType.Float32, 1e-4)]
    [InlineData(DType.BFloat16, 2e-2)]
    public void A_run_whose_steps_replay_a_cuda_graph_trains_as_the_eager_run_does(DType dtype, double tol)
    {
        RequireCudaGraphs();
        // Two micro-batches a step, clipping at 0.5 (the first steps' norms are above it): every part of the step is recorded.
        var options = Options(8) with { ComputeDType = dtype, ClipNorm = 0.5 };
        using var eagerFolder = new TempFolder();
        using var graphFolder = new TempFolder();
        using var eagerModel = LlamaModel.Initialize(LlamaConfig.Tiny(), 1, dtype, Gpu);
        using var graphModel = LlamaModel.Initialize(LlamaConfig.Tiny(), 1, dtype, Gpu);

        var eager = Train(eagerModel, eagerFolder.Path, options);
        var graphed = Train(graphModel, graphFolder.Path, options with { CudaGraph = true });

        Assert.True(eager.Trainer.Losses[^1] < eager.Trainer.Losses[0] - 0.3, $"loss went from {eager.Trainer.Losses[0]} to {eager.Trainer.Losses[^1]}");
        Assert.Contains(eager.Events.Steps, s => s.GradNorm > 0.5);
        // Step 1 runs the step as it is, step 2 records it, steps 2-8 replay it: all of them must match the eager run's.
        Expect.Close([.. eager.Trainer.Losses], [.. graphed.Trainer.Losses], tol, "losses, eager vs replayed");
        Expect.Close([.. eager.Events.Steps.Select(s => s.GradNorm)], [.. graphed.Events.Steps.Select(s => s.GradNorm)], tol, "gradient norms");
        Close(eager.Weights, graphed.Weights, tol, "weights after eight steps");
        Assert.All(graphed.Events.Steps, s => Assert.Equal(0, s.SkippedSteps));
        Assert.DoesNotContain(graphed.Events.Events.OfType<LogEvent>(), e => e.Message.Contains("could not be recorded", StringComparison.Ordinal));
        Assert.Equal(["step 2 recorded as a CUDA graph; the steps of its shape after it replay the recording"],
            graphed.Events.Events.OfType<LogEvent>().Where(e => e.Message.Contains("CUDA graph", StringComparison.Ordinal)).Select(e => e.Message));
        Assert.All(graphModel.Parameters.Tensors, p => Assert.False(p.RequiresGrad));
    }

    [Fact]
    public void A_replayed_step_with_a_nan_loss_is_skipped_as_the_eager_run_skips_it()
    {
        RequireCudaGraphs();
        var options = Options(6) with { MicroBatchSize = 2, GradientAccumulation = 1, MaxSkippedSteps = 1 };
        using var eagerFolder = new TempFolder();
        using var graphFolder = new TempFolder();
        using var eagerModel = PoisonedModel(Gpu);
        using var graphModel = PoisonedModel(Gpu);

        // Step 4 is a replay (step 1 runs as it is, step 2 is recorded); the update after it counts step 5 as AdamW's fourth.
        var eager = Train(eagerModel, eagerFolder.Path, options, new PoisonedSource(4));
        var graphed = Train(graphModel, graphFolder.Path, options with { CudaGraph = true }, new PoisonedSource(4));

        Assert.Equal(1, graphed.Trainer.SkippedSteps);
        Assert.True(double.IsNaN(graphed.Trainer.Losses[3]));
        Assert.Equal([0, 0, 0, 1, 1, 1], graphed.Events.Steps.Select(s => s.SkippedSteps));
        Assert.Contains(graphed.Events.Events.OfType<LogEvent>(), e => e.Level == RunLogLevel.Warning && e.Message.StartsWith("step 4 skipped", StringComparison.Ordinal));
        Assert.All(graphed.Weights.Values, w => Assert.All(w, v => Assert.True(double.IsFinite(v))));
        Assert.DoesNotContain(graphed.Events.Events.OfType<LogEvent>(), e => e.Message.Contains("could not be recorded", StringComparison.Ordinal));
        Expect.Close([.. eager.Trainer.Losses.Where(double.IsFinite)], [.. graphed.Trainer.Losses.Where(double.IsFinite)], 1e-4, "finite losses");
        Close(eager.Weights, graphed.Weights, 1e-4, "weights after the skipped step and two more");
    }

    // The 3-step run ends before a streak can reach MaxConsecutiveSkippedSteps: the replayed steps' skips count alike.
    [Theory]
    [InlineData(20, "3 steps in a row (steps 2 to 4 skipped, MaxConsecutiveSkippedSteps 3)")]
    [InlineData(3, "2 steps in a row (steps 2 to 3 skipped to the run's end: every step after the first")]
    public void A_recorded_run_with_an_absurd_learning_rate_fails_as_diverged_as_the_eager_run_does(long steps, string why)
    {
        RequireCudaGraphs();
        // Step 1 runs as it is and wrecks the weights; step 2 is recorded and replayed, steps 3 and 4 replay: all skipped.
        var options = Options(steps) with { LearningRate = 1e30, CheckpointEvery = 1 };
        string? Error(bool graph)
        {
            using var folder = new TempFolder();
            using var model = LlamaModel.Initialize(LlamaConfig.Tiny(), 1, device: Gpu);
            var outcome = new Trainer(model, Data(), options with { CudaGraph = graph }, folder.Path).Run(new RecordingSink().Write, TestContext.Current.CancellationToken);
            Assert.Equal(TrainingEnd.Failed, outcome.End);
            Assert.Equal([1L], Checkpoints.Complete(folder.Path).Select(c => c.Step));
            return outcome.Error;
        }

        var (eager, replayed) = (Error(graph: false), Error(graph: true));
        Assert.All([eager, replayed], error => Assert.Contains(why, error));
        Assert.All([eager, replayed], error => Assert.Contains("): training diverged; lower the learning rate", error));
    }

    [Fact]
    public void A_run_recorded_as_a_cuda_graph_resumes_as_it_would_have_gone_on()
    {
        RequireCudaGraphs();
        var options = Options(6) with { CudaGraph = true };
        using var whole = new TempFolder();
        using var split = new TempFolder();
        using (var model = LlamaModel.Initialize(LlamaConfig.Tiny(), 1, device: Gpu))
            Train(model, split.Path, options, cancelAfter: 3);
        using var uninterruptedModel = LlamaModel.Initialize(LlamaConfig.Tiny(), 1, device: Gpu);
        var uninterrupted = Train(uninterruptedModel, whole.Path, options);
        // A resumed run starts from another model's weights: the checkpoint's must replace them.
        using var resumedModel = LlamaModel.Initialize(LlamaConfig.Tiny(), 7, device: Gpu);
        var resumed = Train(resumedModel, split.Path, options, resume: true);

        Assert.DoesNotContain(resumed.Events.Events.OfType<LogEvent>(), e => e.Message.Contains("could not be recorded", StringComparison.Ordinal));
        Expect.Close([.. uninterrupted.Trainer.Losses], [.. resumed.Trainer.Losses], 1e-5, "losses, uninterrupted vs resumed at step 3");
        Close(uninterrupted.Weights, resumed.Weights, 1e-5, "weights after six steps");
    }
}
