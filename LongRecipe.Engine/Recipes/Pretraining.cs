using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;

namespace LongRecipe.Engine.Recipes;

/// <summary>
/// A base model trained from scratch on the pretraining data (<see cref="PretrainingData"/>): the train split of the
/// real-text corpus in <paramref name="Corpus"/>, or the built-in synthetic corpus when null.
/// <paramref name="Config"/>: "builtin", "small" or "tiny" (sized to the tokenizer, with <paramref name="SequenceLength"/> as
/// their window) or a config.json. The learning rate warms up over <paramref name="WarmupSteps"/> (a tenth of the
/// steps, at most 100, when null) and decays by cosine to a tenth. <paramref name="DType"/> null: bf16 on CUDA,
/// f32 on the CPU. <paramref name="OptimizerState"/>: how AdamW keeps its moments. <paramref name="CudaGraph"/>: record the
/// step as a CUDA graph and replay it (<see cref="TrainerOptions.CudaGraph"/>).
/// </summary>
public sealed record PretrainingSpec(
    string Tokenizer,
    string Output,
    string Config = "builtin",
    long Steps = 1000,
    int MicroBatchSize = 8,
    int SequenceLength = 256,
    double LearningRate = 1e-3,
    long? WarmupSteps = null,
    Device? Device = null,
    DType? DType = null,
    ulong Seed = 0,
    long CheckpointEvery = 100,
    double RetrievalRatio = 0.25,
    bool Resume = false,
    string? Corpus = null,
    OptimizerState OptimizerState = OptimizerState.F32,
    bool CudaGraph = false)
{
    public Device TrainingDevice => Device ?? Torch.Device.Cpu;

    public DType ComputeDType => DType ?? (TrainingDevice.IsCuda ? Torch.DType.BFloat16 : Torch.DType.Float32);

    /// <summary>The trainer's options; throws an <see cref="ArgumentException"/> naming the field of the first problem.</summary>
    public TrainerOptions Options()
    {
        if (CudaGraph && !TrainingDevice.IsCuda)
            throw new ArgumentException($"CudaGraph records the step on a CUDA device, and Device is {TrainingDevice}", nameof(CudaGraph));
        return new TrainerOptions
        {
            Steps = Steps,
            MicroBatchSize = MicroBatchSize,
            LearningRate = LearningRate,
            MinLearningRate = LearningRate / 10,
            WarmupSteps = WarmupSteps ?? Math.Min(100, Steps / 10),
            ComputeDType = ComputeDType,
            OptimizerState = OptimizerState,
            CudaGraph = CudaGraph,
            Seed = Seed,
            CheckpointEvery = CheckpointEvery,
            LogEvery = 1,
        }.Validate();
    }
}

/// <summary>What a pretraining run did: how it ended, its first and last finite losses, and where the model is.</summary>
public sealed record PretrainingResult(
    TrainingOutcome Outcome, long Steps, double? FirstLoss, double? LastLoss, long Tokens, int SkippedSteps, long Parameters, string Output);

/// <summary>
/// The pretraining recipe: setup (tokenizer, config, data, a freshly initialised model) → the trainer's loop →
/// a completed run saved at the output as a transformers model directory with the tokenizer's files.
/// Checkpoints go to &lt;output&gt;/checkpoints (a resume continues from the newest), the data to &lt;output&gt;/data.
/// </summary>
public static class Pretraining
{
    public const string Stage = "pretrain";

    /// <summary>
    /// Runs on the calling thread; <paramref name="dataProgress"/> follows the tokenization of the corpus. A spec that cannot
    /// run (its options, its folder, a sequence too long for the device's memory) throws an <see cref="ArgumentException"/>
    /// before anything is written.
    /// </summary>
    public static PretrainingResult Run(PretrainingSpec spec, EventSink events, IProgress<TokenStoreProgress>? dataProgress = null,
        CancellationToken cancel = default)
    {
        OutputProblem(spec);
        var tokenizer = Tokenizer.Load(spec.Tokenizer);
        var options = spec.Options();
        var config = Config(spec.Config, tokenizer, spec.SequenceLength);
        // Refused before the data is built (minutes and gigabytes at long lengths), as a run spec's sizes are before it is
        // queued; the trainer checks the same bound before each step.
        if (MemoryBounds.TrainingProblem(config, spec.MicroBatchSize, spec.SequenceLength, options.ActivationCheckpointing, spec.TrainingDevice) is { } problem)
            throw new ArgumentException($"{nameof(PretrainingSpec.SequenceLength)} {spec.SequenceLength} does not fit with {spec.MicroBatchSize} sequences a micro-batch: {problem}",
                nameof(PretrainingSpec.SequenceLength));
        var created = !Directory.Exists(spec.Output);
        IReadOnlyList<int[]> sequences;
        try
        {
            sequences = PretrainingData.Build(
                new PretrainingDataSpec(spec.SequenceLength, spec.Steps * spec.MicroBatchSize * (long)spec.SequenceLength, spec.Seed, spec.RetrievalRatio, spec.Corpus),
                spec.Tokenizer, Path.Combine(spec.Output, "data"), dataProgress, cancel);
        }
        catch when (created)
        {
            // Nothing was trained: a folder this run made holds only its half-made data, so it goes.
            Directory.Delete(spec.Output, recursive: true);
            throw;
        }

        using var model = LlamaModel.Initialize(config, spec.Seed, options.ComputeDType, spec.TrainingDevice);
        var trainer = new Trainer(model, new PackedBatchSource(sequences, spec.Seed), options, spec.Output, Stage, spec.Resume);
        var outcome = trainer.Run(events, cancel);
        if (outcome.End == TrainingEnd.Completed)
        {
            PretrainedModel.Save(model, spec.Output);
            PretrainedModel.CopyTokenizer(spec.Tokenizer, spec.Output);
        }
        var finite = trainer.Losses.Where(double.IsFinite).ToList();
        return new PretrainingResult(outcome, trainer.Step, finite.Count > 0 ? finite[0] : null, finite.Count > 0 ? finite[^1] : null,
            trainer.Tokens, trainer.SkippedSteps, model.Parameters.ElementCount, spec.Output);
    }

    /// <summary>
    /// A pretraining run owns its folder: a new or empty one (its own data/ from an earlier attempt aside), or, resuming,
    /// one holding its checkpoints. Anything else there (a model, a tokenizer) would be overwritten by the model it saves.
    /// </summary>
    private static void OutputProblem(PretrainingSpec spec)
    {
        var newest = Checkpoints.Latest(spec.Output);
        if (spec.Resume)
        {
            if (newest is null) throw new ArgumentException($"{spec.Output} holds no checkpoint to resume from; resuming continues a pretraining run stopped there");
            return;
        }
        if (newest is not null)
            throw new ArgumentException($"{spec.Output} already holds a pretraining run's checkpoints (newest {Path.GetFileName(newest)}); resume it, or choose another folder");
        if (Directory.Exists(spec.Output) && Directory.EnumerateFileSystemEntries(spec.Output).Any(e => Path.GetFileName(e) != "data"))
            throw new ArgumentException($"{spec.Output} is not empty; pretraining saves a new model there: choose a new or empty folder");
    }

    /// <summary>
    /// builtin, small or tiny (presets given the tokenizer's vocabulary and ids, with the sequence length as
    /// their window), or a config.json whose vocabulary must cover the tokenizer's.
    /// </summary>
    private static LlamaConfig Config(string name, Tokenizer tokenizer, int sequenceLength)
    {
        var preset = name switch
        {
            "builtin" => LlamaConfig.Builtin(tokenizer.VocabSize),
            "small" => LlamaConfig.Small(tokenizer.VocabSize),
            "tiny" => LlamaConfig.Tiny() with { VocabSize = tokenizer.VocabSize },
            _ => null,
        };
        if (preset is null)
        {
            var loaded = LlamaConfig.Load(name);
            if (loaded.VocabSize < tokenizer.VocabSize)
                throw new ArgumentException($"{name}: vocab_size ({loaded.VocabSize}) is smaller than the tokenizer's vocabulary ({tokenizer.VocabSize})");
            return loaded;
        }
        return (preset with
        {
            MaxPositionEmbeddings = sequenceLength,
            BosTokenId = tokenizer.BosId,
            EosTokenIds = tokenizer.EosId is { } eos ? [eos] : [],
        }).Validate();
    }
}
