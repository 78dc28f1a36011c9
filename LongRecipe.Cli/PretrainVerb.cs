using System.Globalization;
using System.Text.Json.Nodes;
using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Runs;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;

namespace LongRecipe.Cli;

/// <summary>
/// pretrain: trains a base model from scratch on the built-in synthetic corpus with passkey samples,
/// tokenized with --tokenizer and packed to --seq-len; --optimizer-state keeps AdamW's moments in f32 (the
/// default), bf16_stochastic or int8_blockwise. Checkpoints go to &lt;out&gt;/checkpoints (--resume
/// continues from the newest), the data to &lt;out&gt;/data; a completed run leaves a transformers model
/// directory at --out with the tokenizer's files. Ctrl-C finishes the step, saves and stops. One JSON
/// line summarises the run on stdout; the exit code is 0 only when it completed.
/// </summary>
public static class PretrainVerb
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var tokenizerDirectory = args.Required("tokenizer");
        var output = args.Required("out");
        var tokenizer = Tokenizer.Load(tokenizerDirectory);
        var device = args.Device;
        var dtype = args.DType ?? (device.IsCuda ? DType.BFloat16 : DType.Float32);
        var seqLen = args.Integer("seq-len", 256);
        var steps = args.Integer("steps", 1000);
        var seed = ulong.Parse(args.Optional("seed") ?? "0", CultureInfo.InvariantCulture);
        var lr = args.Number("lr", 1e-3);
        var options = new TrainerOptions
        {
            Steps = steps,
            MicroBatchSize = args.Integer("batch", 8),
            LearningRate = lr,
            MinLearningRate = lr / 10,
            WarmupSteps = args.Integer("warmup", Math.Min(100, steps / 10)),
            ComputeDType = dtype,
            OptimizerState = OptimizerState(args),
            Seed = seed,
            CheckpointEvery = args.Integer("checkpoint-every", 100),
            LogEvery = 1,
        }.Validate();
        var config = Config(args.Optional("config") ?? "builtin", tokenizer, seqLen);

        using var cancel = CorpusVerb.CancelOnCtrlC();
        IReadOnlyList<int[]> sequences;
        using (var bar = new ProgressBar("preparing the synthetic corpus"))
            sequences = PretrainingData.Build(new PretrainingDataSpec(seqLen, steps * options.MicroBatchSize * (long)seqLen, seed, args.Number("retrieval-ratio", 0.25)),
                tokenizerDirectory, Path.Combine(output, "data"), new SynchronousProgress<TokenStoreProgress>(p => bar.Report(p.Fraction)), cancel.Token);

        using var model = LlamaModel.Initialize(config, seed, dtype, device);
        var trainer = new Trainer(model, new PackedBatchSource(sequences, seed), options, output, "pretrain", args.Flag("resume"));
        var status = RunStatus.Queued;
        string? error = null;
        using (var bar = new ProgressBar("starting"))
        {
            await foreach (var e in trainer.RunAsync(cancel.Token))
            {
                switch (e)
                {
                    case StepEvent s:
                        bar.Report(s, "step");
                        break;
                    case LogEvent { Level: >= RunLogLevel.Warning } log when log.Message != error:
                        Console.Error.WriteLine($"\n{log.Level.ToString().ToLowerInvariant()}: {log.Message}");
                        break;
                    case StatusEvent st:
                        (status, error) = (st.Status, st.Error);
                        break;
                }
            }
        }

        if (status == RunStatus.Completed)
        {
            PretrainedModel.Save(model, output);
            PretrainedModel.CopyTokenizer(tokenizerDirectory, output);
        }
        var finite = trainer.Losses.Where(double.IsFinite).ToList();
        Console.WriteLine(new JsonObject
        {
            ["status"] = status.ToString().ToLowerInvariant(),
            ["steps"] = trainer.Step,
            ["first_loss"] = finite.Count > 0 ? finite[0] : null,
            ["last_loss"] = finite.Count > 0 ? finite[^1] : null,
            ["tokens"] = trainer.Tokens,
            ["skipped_steps"] = trainer.SkippedSteps,
            ["parameters"] = model.Parameters.ElementCount,
            ["out"] = output,
            ["error"] = error,
        }.ToJsonString());
        return status == RunStatus.Completed ? 0 : 1;
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

    /// <summary>
    /// builtin or tiny (presets given the tokenizer's vocabulary and ids, with the sequence length as
    /// their window), or a config.json whose vocabulary must cover the tokenizer's.
    /// </summary>
    private static LlamaConfig Config(string name, Tokenizer tokenizer, int seqLen)
    {
        var preset = name switch
        {
            "builtin" => LlamaConfig.Builtin(tokenizer.VocabSize),
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
            MaxPositionEmbeddings = seqLen,
            BosTokenId = tokenizer.BosId,
            EosTokenIds = tokenizer.EosId is { } eos ? [eos] : [],
        }).Validate();
    }
}
