using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;

namespace LongRecipe.Engine.Tests.Training;

/// <summary>Tiny models, learnable data and an event recorder for the trainer's tests.</summary>
internal static class TrainingSupport
{
    /// <summary>
    /// Sequences that count up by a stride from a start (mod the vocabulary), so the next token follows
    /// from the previous two and a tiny model's loss falls within a few steps.
    /// </summary>
    public static IReadOnlyList<int[]> Counting(int count, int length, int vocab = 256) =>
        Enumerable.Range(0, count).Select(k => Enumerable.Range(0, length).Select(i => (3 + 7 * k + i * (1 + k % 3)) % vocab).ToArray()).ToList();

    public static TrainerOptions Options(long steps) => new()
    {
        Steps = steps, MicroBatchSize = 2, GradientAccumulation = 2, LearningRate = 1e-2, WarmupSteps = 2,
        WeightDecay = 0.1, ClipNorm = 1.0, CheckpointEvery = 3, KeepCheckpoints = 2, Seed = 5,
    };

    public static LlamaModel TinyModel(ulong seed = 1) => LlamaModel.Initialize(LlamaConfig.Tiny(), seed);

    public static PackedBatchSource Data() => new(Counting(12, 16), seed: 3);

    /// <summary>The token whose embedding <see cref="PoisonedModel"/> makes NaN.</summary>
    public const int Poison = 200;

    /// <summary>Counting sequences, with the poisoned token in the batches of the given steps (2 samples a step).</summary>
    public sealed class PoisonedSource(params long[] poisonedSteps) : IBatchSource
    {
        private readonly PackedBatchSource clean = Data();

        public TrainingBatch Get(long firstSample, int count)
        {
            var batch = clean.Get(firstSample, count);
            if (poisonedSteps.Contains(firstSample / 2 + 1)) batch.InputIds[3] = Poison;
            return batch;
        }
    }

    /// <summary>A tiny model whose embedding of <see cref="Poison"/> is NaN: any batch holding it has a NaN loss.</summary>
    public static LlamaModel PoisonedModel(Device? device = null)
    {
        var model = LlamaModel.Initialize(LlamaConfig.Tiny(), 1, device: device);
        using var scope = DisposeScope.Enter();
        model.Parameters["model.embed_tokens.weight"].Select(0, Poison).Fill(double.NaN);
        return model;
    }

    /// <summary>A parameter of a <see cref="PoisonedModel"/> without the poisoned row.</summary>
    public static Tensor Clean(LlamaModel model, string name) =>
        name == "model.embed_tokens.weight" ? Tensor.Cat([model.Parameters[name].Narrow(0, 0, Poison), model.Parameters[name].Narrow(0, Poison + 1, 255 - Poison)])
            : model.Parameters[name];

    /// <summary>Trains a fresh tiny model (initialised from <paramref name="modelSeed"/>) in the folder, cancelling after step <paramref name="cancelAfter"/> when given.</summary>
    public static (TrainingOutcome Outcome, Trainer Trainer, RecordingSink Events) Train(string folder, TrainerOptions options, ulong modelSeed = 1,
        bool resume = false, long cancelAfter = 0, DType dtype = DType.Float32)
    {
        using var model = LlamaModel.Initialize(LlamaConfig.Tiny(), modelSeed, dtype);
        using var cancel = new CancellationTokenSource();
        var events = new RecordingSink(e =>
        {
            if (e is StepEvent { Step: var step } && step == cancelAfter) cancel.Cancel();
        });
        var trainer = new Trainer(model, Data(), options, folder, resume: resume);
        var outcome = trainer.Run(events.Write, cancel.Token);
        Assert.Equal(dtype, model.DType);
        return (outcome, trainer, events);
    }
}

/// <summary>Keeps every event a run writes (pass <see cref="Write"/> as its sink) and lets a test act on each as it comes (cancel after step k, say).</summary>
internal sealed class RecordingSink(Action<RunEvent>? onEvent = null)
{
    public List<RunEvent> Events { get; } = [];

    public IEnumerable<StepEvent> Steps => Events.OfType<StepEvent>();

    public void Write(RunEvent e)
    {
        Events.Add(e);
        onEvent?.Invoke(e);
    }
}
