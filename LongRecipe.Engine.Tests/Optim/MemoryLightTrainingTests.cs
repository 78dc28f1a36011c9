using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Randomness;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Tests.Training;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;

namespace LongRecipe.Engine.Tests.Optim;

/// <summary>
/// The memory-light optimizer states train a small model as f32 AdamW does. "As f32 does" is measured against
/// f32 AdamW's own seed-to-seed spread: several seeds (each its own initialisation, data order and rounding)
/// give the noise of each stretch of the run; a state tracks f32 when, at the same seed, its mean loss over
/// every stretch stays within twice that noise of f32's.
/// </summary>
public class MemoryLightTrainingTests(ITestOutputHelper output)
{
    private const int Steps = 240, Window = 40;
    private static readonly ulong[] Seeds = [1, 2, 3, 4];

    /// <summary>
    /// Sequences of a fixed random Markov chain over 64 tokens (each token has 4 likely successors), so the loss
    /// falls towards the chain's entropy and keeps batch noise; drawn from one seed for every run.
    /// </summary>
    private static IReadOnlyList<int[]> Chain()
    {
        var random = new SplitMix64(99);
        var successors = Enumerable.Range(0, 64).Select(_ => Enumerable.Range(0, 4).Select(_ => random.NextInt(0, 63)).ToArray()).ToArray();
        return [.. Enumerable.Range(0, 256).Select(_ =>
        {
            var sequence = new int[33];
            sequence[0] = random.NextInt(0, 63);
            for (var i = 1; i < sequence.Length; i++)
                sequence[i] = successors[sequence[i - 1]][random.NextDouble() < 0.7 ? 0 : random.NextInt(1, 3)];
            return sequence;
        })];
    }

    private static readonly IReadOnlyList<int[]> Sequences = Chain();

    /// <summary>Each stretch's mean loss over one run of the tiny model from <paramref name="seed"/>.</summary>
    private static double[] Run(OptimizerState state, ulong seed, DType dtype = DType.Float32)
    {
        using var folder = new TempFolder();
        using var model = LlamaModel.Initialize(LlamaConfig.Tiny(), seed, dtype);
        var options = new TrainerOptions
        {
            Steps = Steps, MicroBatchSize = 4, LearningRate = 3e-3, MinLearningRate = 3e-4, WarmupSteps = 10, WeightDecay = 0.1,
            ClipNorm = 1.0, CheckpointEvery = Steps, KeepCheckpoints = 1, LogEvery = Steps, Seed = seed, ComputeDType = dtype,
            OptimizerState = state,
        };
        var trainer = new Trainer(model, new PackedBatchSource(Sequences, seed), options, folder.Path);
        Assert.Equal(TrainingOutcome.Completed, trainer.Run(new RecordingSink().Write));
        return [.. trainer.Losses.Chunk(Window).Select(w => w.Average())];
    }

    [Fact]
    public void Compact_states_track_f32_AdamW_within_its_seed_to_seed_noise()
    {
        var f32 = Seeds.ToDictionary(s => s, s => Run(OptimizerState.F32, s));
        var windows = f32[Seeds[0]].Length;
        var noise = Enumerable.Range(0, windows).Select(w =>
        {
            var means = Seeds.Select(s => f32[s][w]).ToList();
            var mean = means.Average();
            return Math.Sqrt(means.Sum(m => (m - mean) * (m - mean)) / (means.Count - 1));
        }).ToArray();
        output.WriteLine($"f32 AdamW, seed-to-seed noise per stretch of {Window} steps: {string.Join(" ", noise.Select(n => n.ToString("F4")))}");
        foreach (var s in Seeds) output.WriteLine($"f32 seed {s}: {string.Join(" ", f32[s].Select(l => l.ToString("F4")))}");
        // The runs learn: the last stretch is well below the first.
        Assert.All(Seeds, s => Assert.True(f32[s][^1] < f32[s][0] - 0.5, $"f32 seed {s} went from {f32[s][0]:F3} to {f32[s][^1]:F3}"));

        var candidates = new (string Name, OptimizerState State, DType DType)[]
        {
            ("int8 moments, f32 weights", OptimizerState.Int8Blockwise, DType.Float32),
            ("int8 moments, bf16 weights rounded stochastically (the 8B setting)", OptimizerState.Int8Blockwise, DType.BFloat16),
            ("bf16 moments, f32 weights", OptimizerState.Bf16Stochastic, DType.Float32),
        };
        foreach (var (name, state, dtype) in candidates)
            foreach (var seed in Seeds.Take(2))
            {
                var losses = Run(state, seed, dtype);
                output.WriteLine($"{name}, seed {seed}: {string.Join(" ", losses.Select(l => l.ToString("F4")))}");
                for (var w = 0; w < windows; w++)
                    Assert.True(Math.Abs(losses[w] - f32[seed][w]) <= 2 * noise[w],
                        $"{name}, seed {seed}, steps {w * Window + 1}–{(w + 1) * Window}: mean loss {losses[w]:F4}, f32 {f32[seed][w]:F4}, " +
                        $"apart by more than twice f32's seed-to-seed noise {noise[w]:F4}");
            }
    }
}
