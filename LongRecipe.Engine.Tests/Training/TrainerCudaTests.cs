using LongRecipe.Engine.Model;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;
using static LongRecipe.Engine.Tests.Training.TrainingSupport;

namespace LongRecipe.Engine.Tests.Training;

/// <summary>The trainer on a GPU: bf16 with f32 masters, and CUDA out of memory. Skipped where no CUDA device is visible.</summary>
[Collection(nameof(Torch.ProcessWide))]
public class TrainerCudaTests
{
    private static readonly Device Gpu = Device.Cuda(0);

    private static void RequireCuda()
    {
        if (TorchRuntime.CudaDeviceCount == 0) Assert.Skip("no CUDA device");
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
        // Logits of 1024 × 128 tokens sized to 45% of the device: with their log-softmax they pass the trainer's check
        // (90%), and backward's gradient of them does not fit, so libtorch itself runs out of memory mid-step.
        var tokens = 1024L * 128;
        var vocab = (int)(0.45 * TorchRuntime.TotalMemory(Gpu) / (tokens * sizeof(float)));
        var config = LlamaConfig.Create(ModelFamily.Llama, vocabSize: vocab, hiddenSize: 16, intermediateSize: 32, layers: 1, heads: 1);
        using var model = LlamaModel.Initialize(config, seed: 1, device: Gpu);
        var small = new PackedBatchSource([Enumerable.Range(0, 16).ToArray(), Enumerable.Range(5, 16).ToArray()], seed: 0);
        // A step first: the process keeps a cuBLAS workspace (32 MiB on Hopper) per thread and stream once one has run a
        // matrix product, this thread's and autograd's device thread's. They are the baseline, not the failed step's.
        using (var warm = new TempFolder())
            Assert.Equal(TrainingOutcome.Completed, new Trainer(model, small, Options(1) with { WarmupSteps = 0 }, warm.Path).Run(new RecordingSink().Write, TestContext.Current.CancellationToken));
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
}
