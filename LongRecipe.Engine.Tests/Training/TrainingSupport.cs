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
