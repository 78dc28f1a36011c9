using System.Text.Json.Nodes;
using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Training;

namespace LongRecipe.Cli;

/// <summary>
/// pretrain: the engine's pretraining recipe (<see cref="Pretraining"/>) from the command line;
/// --optimizer-state keeps AdamW's moments in f32 (the default), bf16_stochastic or int8_blockwise; --cuda-graph records
/// the step as a CUDA graph and replays it (a GPU, f32 moments). Progress on
/// stderr, Ctrl-C finishes the step, saves and stops; one JSON line summarises the run on stdout; the exit code
/// is 0 only when it completed.
/// </summary>
public static class PretrainVerb
{
    public static Task<int> RunAsync(Arguments args)
    {
        var spec = new PretrainingSpec(
            args.Required("tokenizer"), Arguments.OutputFolder(args.Required("out")),
            Config: args.Optional("config") ?? "builtin",
            Steps: args.Whole("steps", 1000),
            MicroBatchSize: args.Whole("batch", 8),
            SequenceLength: args.Whole("seq-len", 256),
            LearningRate: args.Number("lr", 1e-3),
            WarmupSteps: args.Optional("warmup") is null ? null : args.Whole("warmup", 0),
            Device: args.Device,
            DType: args.DType,
            Seed: args.Whole("seed", 0UL),
            CheckpointEvery: args.Whole("checkpoint-every", 100),
            RetrievalRatio: args.Number("retrieval-ratio", 0.25),
            Resume: args.Flag("resume"),
            Corpus: args.Optional("corpus"),
            OptimizerState: OptimizerState(args),
            CudaGraph: args.Flag("cuda-graph"));

        using var cancel = new Interruption();
        PretrainingResult result;
        // What the engine refuses up front (the options, a sequence too long for the device) names the option that set it.
        using (var bar = new ProgressBar(spec.Corpus is null ? "preparing the synthetic corpus" : $"tokenizing {spec.Corpus}"))
            result = Arguments.NamingOptions(() => Pretraining.Run(spec, e => Report(bar, e),
                new SynchronousProgress<TokenStoreProgress>(p => bar.Report(p.Fraction)), cancel.Token), Options);

        Console.WriteLine(new JsonObject
        {
            ["status"] = result.Outcome.End.ToString().ToLowerInvariant(),
            ["steps"] = result.Steps,
            ["first_loss"] = result.FirstLoss,
            ["last_loss"] = result.LastLoss,
            ["tokens"] = result.Tokens,
            ["skipped_steps"] = result.SkippedSteps,
            ["parameters"] = result.Parameters,
            ["out"] = result.Output,
            ["error"] = result.Outcome.Error,
        }.ToJsonString());
        if (result.Outcome.Error is { } error) Console.Error.WriteLine($"error: {error}");
        return Task.FromResult(result.Outcome.End == TrainingEnd.Completed ? 0 : 1);
    }

    private static OptimizerState OptimizerState(Arguments args)
    {
        try
        {
            return OptimizerStateNames.Parse(args.Optional("optimizer-state") ?? Engine.Optim.OptimizerState.F32.Name());
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"--optimizer-state: {e.Message}", e);
        }
    }

    private static void Report(ProgressBar bar, RunEvent e)
    {
        switch (e)
        {
            case StepEvent s:
                bar.Report(s, "step");
                break;
            case LogEvent { Level: >= RunLogLevel.Warning } log:
                Console.Error.WriteLine($"\n{log.Level.ToString().ToLowerInvariant()}: {log.Message}");
                break;
        }
    }

    /// <summary>The spec's and the trainer's fields by the options that set them (<see cref="Arguments.NamingOptions"/>).</summary>
    private static readonly Dictionary<string, string> Options = new()
    {
        [nameof(TrainerOptions.Steps)] = "steps",
        [nameof(TrainerOptions.MicroBatchSize)] = "batch",
        [nameof(PretrainingSpec.SequenceLength)] = "seq-len",
        [nameof(TrainerOptions.LearningRate)] = "lr",
        [nameof(TrainerOptions.WarmupSteps)] = "warmup",
        [nameof(TrainerOptions.CheckpointEvery)] = "checkpoint-every",
        [nameof(TrainerOptions.OptimizerState)] = "optimizer-state",
        [nameof(PretrainingSpec.CudaGraph)] = "cuda-graph",
    };
}
