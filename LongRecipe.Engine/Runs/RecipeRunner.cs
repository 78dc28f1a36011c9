using System.Text.Json;
using System.Threading.Channels;
using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.SafeTensors;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;

namespace LongRecipe.Engine.Runs;

/// <summary>
/// Runs one <see cref="RunSpec"/> in its folder and reports it as <see cref="RunEvent"/>s: the base model under
/// the spec's RoPE rescaling, its short-context perplexity (stage "base"), each stage in order (extend → anneal →
/// merge), the final model saved as a Hugging Face directory, then the evaluation (stage "eval").
/// Folder: spec.json; data/ (token stores); one folder per training stage (its checkpoints, then its model/);
/// model/ (the final model); recipe_state.json (the stages done). Resuming skips the stages done and continues
/// the unfinished one from its newest checkpoint.
/// </summary>
public sealed class RecipeRunner(RunSpec spec, string runFolder, string builtinModel)
{
    public const string SpecFile = "spec.json";
    public const string StateFile = "recipe_state.json";
    public const string ModelFolder = "model";
    public const string BaseStage = "base";
    public const string EvalStage = "eval";

    // Held out from every training corpus (those use the spec's seed), and the same for every run so runs compare.
    private const ulong EvalSeed = 1000;

    /// <summary>Where the final model is saved.</summary>
    public string FinalModel => Path.Combine(runFolder, ModelFolder);

    /// <summary>The model directory the spec starts from.</summary>
    public string BaseModel => spec.Model == RunSpec.BuiltinModel ? builtinModel : spec.Model;

    /// <summary>Runs on a thread of its own (the trainer's loop holds it); the task ends with the final status.</summary>
    public Task<RunStatus> Start(ChannelWriter<RunEvent> events, bool resume = false, CancellationToken cancel = default) =>
        OwnThread.Start($"run {spec.Name}", () => Run(events, resume, cancel));

    /// <summary>Runs on the calling thread; a cancel finishes the current step, checkpoints and ends Cancelled.</summary>
    public RunStatus Run(ChannelWriter<RunEvent> events, bool resume = false, CancellationToken cancel = default)
    {
        var stage = BaseStage;
        void Emit(RunEvent e) => events.WriteBlocking(e);
        void Log(string message, RunLogLevel level = RunLogLevel.Information) => Emit(new LogEvent(DateTimeOffset.UtcNow, stage, level, message));
        RunStatus End(RunStatus status, string? error = null)
        {
            if (error is not null) Log(error, RunLogLevel.Error);
            Emit(new StatusEvent(DateTimeOffset.UtcNow, stage, status, error));
            return status;
        }

        try
        {
            // ---- setup: the spec, the base model, the data's tokenizer ----
            Emit(new StatusEvent(DateTimeOffset.UtcNow, stage, RunStatus.Running));
            spec.Validate();
            Directory.CreateDirectory(runFolder);
            spec.Save(Path.Combine(runFolder, SpecFile));
            var state = resume ? RecipeState.Load(runFolder) : new RecipeState([]);
            var device = Device.Parse(spec.Device);
            var dtype = spec.Dtype == "bfloat16" ? DType.BFloat16 : DType.Float32;
            var tokenizer = Tokenizer.Load(BaseModel);
            using var baseModel = PretrainedModel.Load(BaseModel, device, dtype);
            var native = spec.NativeLength ?? (int)baseModel.Config.MaxPositionEmbeddings;
            var config = Extended(baseModel.Config, native);
            Log($"{spec.Name}: {BaseModel} ({baseModel.Parameters.ElementCount:N0} parameters, native {native}) → {spec.TargetLength} tokens, "
                + $"RoPE {config.RopeScaling.Type.Name()}, {spec.Device} {spec.Dtype}");
            var data = new RecipeData(spec, tokenizer, BaseModel, Path.Combine(runFolder, "data"), native);

            if (spec.Eval.ShortRetention && !state.Done(BaseStage))
            {
                foreach (var e in Evaluate(baseModel, tokenizer, ShortRetention(native), BaseStage, cancel)) Emit(e);
                state = state.With(BaseStage, BaseModel, runFolder);
            }

            // ---- the stages, each from the model the previous one left ----
            var count = spec.Stages.Count + 1;
            var start = state.LastModel ?? BaseModel;
            using var loaded = PretrainedModel.Load(start, device, dtype);
            var model = loaded.WithConfig(config);
            for (var i = 0; i < spec.Stages.Count; i++)
            {
                var current = spec.Stages[i];
                stage = current.Kind;
                if (state.Done(stage)) continue;
                Emit(new StageEvent(DateTimeOffset.UtcNow, stage, StagePhase.Started, i, count));
                switch (current)
                {
                    case TrainingStageSpec training:
                        var folder = Path.Combine(runFolder, stage);
                        var batches = training is ExtendStage extend ? data.Extension(extend, model, cancel) : data.Annealing((AnnealStage)training, cancel);
                        var trainer = new Trainer(model, batches, Options(training, dtype), folder, stage,
                            resume: resume && Checkpoints.Latest(folder) is not null);
                        var forward = new StageEvents(Emit);
                        var status = trainer.Run(forward, cancel);
                        if (status != RunStatus.Completed) return End(status, forward.Last?.Error);
                        break;
                    case MergeStage merge:
                        ModelMerge.Merge(model, baseModel, [model], new MergeSpec(merge.Method, merge.Alpha, merge.Density), cancel: cancel);
                        Log($"merged with the base model: {merge.Method.ToString().ToLowerInvariant()}");
                        break;
                }
                var saved = Path.Combine(runFolder, stage, ModelFolder);
                Save(model, saved);
                state = state.With(stage, saved, runFolder);
                Emit(new StageEvent(DateTimeOffset.UtcNow, stage, StagePhase.Completed, i, count));
            }

            // ---- the final model and its evaluation ----
            stage = EvalStage;
            Save(model, FinalModel);
            Log($"final model saved to {FinalModel}");
            Emit(new StageEvent(DateTimeOffset.UtcNow, stage, StagePhase.Started, count - 1, count));
            foreach (var evaluation in Evaluations(native))
                foreach (var e in Evaluate(model, tokenizer, evaluation, EvalStage, cancel)) Emit(e);
            Emit(new StageEvent(DateTimeOffset.UtcNow, stage, StagePhase.Completed, count - 1, count));
            return End(RunStatus.Completed);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return End(RunStatus.Cancelled);
        }
        catch (TorchException e) when (TorchRuntime.IsOutOfMemory(e))
        {
            TorchRuntime.EmptyCudaCache();
            return End(RunStatus.Failed, $"out of memory in stage {stage}: {e.Message}");
        }
        catch (Exception e)
        {
            // Whatever stops a run fails that run only: the Lab (or the command line) goes on and shows why.
            Log(e.ToString(), RunLogLevel.Debug);
            return End(RunStatus.Failed, e.Message);
        }
    }

    /// <summary>
    /// The base config under the spec's RoPE rescaling, claiming the target window. Types that read the native
    /// window get it when the spec leaves it out; dynamic NTK takes it from max_position_embeddings, so that stays native.
    /// </summary>
    private LlamaConfig Extended(LlamaConfig config, int native)
    {
        var rope = spec.RopeScaling?.ApplyTo(config.RopeScaling) ?? config.RopeScaling;
        if (rope.Type is RopeType.Yarn or RopeType.Llama3 or RopeType.LongRope && rope.OriginalMaxPositionEmbeddings is null)
            rope = rope with { OriginalMaxPositionEmbeddings = native };
        var window = rope.Type == RopeType.Dynamic ? native : Math.Max(spec.TargetLength, config.MaxPositionEmbeddings);
        return (config with { RopeScaling = rope, MaxPositionEmbeddings = window }).Validate();
    }

    private TrainerOptions Options(TrainingStageSpec stage, DType dtype) => new TrainerOptions
    {
        Steps = stage.Steps,
        MicroBatchSize = stage.BatchSize,
        GradientAccumulation = stage.GradAccum,
        LearningRate = stage.Lr,
        MinLearningRate = stage.MinLr,
        WarmupSteps = stage.WarmupSteps,
        Decay = stage.Schedule,
        WeightDecay = stage.WeightDecay,
        ClipNorm = stage.ClipNorm > 0 ? stage.ClipNorm : null,
        ComputeDType = dtype,
        ActivationCheckpointing = stage.ActivationCheckpointing,
        OptimizerState = stage.OptimizerState,
        Seed = spec.Seed,
        CheckpointEvery = stage.CheckpointEvery > 0 ? stage.CheckpointEvery : stage.Steps,
        LogEvery = 1,
    }.Validate();

    private void Save(LlamaModel model, string folder)
    {
        PretrainedModel.Save(model, folder);
        PretrainedModel.CopyTokenizer(BaseModel, folder);
    }

    private static EvaluationSpec ShortRetention(int native) =>
        new([Benchmarks.ShortPerplexity], [], [], ShortContextLength: native, Seed: EvalSeed);

    /// <summary>The spec's evaluation as the evaluator's specs, one per suite (each suite has its own lengths).</summary>
    private IEnumerable<EvaluationSpec> Evaluations(int native)
    {
        var eval = spec.Eval;
        if (eval.Niah is { } niah)
            yield return new([Benchmarks.Niah], niah.Lengths, niah.Depths, NeedlesPerCell: niah.NeedlesPerCell, Seed: EvalSeed);
        if (eval.Passkey is { } passkey)
            yield return new([Benchmarks.Passkey], passkey.Lengths, [], PasskeySamples: passkey.Samples, Seed: EvalSeed);
        if (eval.Perplexity is { } perplexity)
            yield return new([Benchmarks.Perplexity], perplexity.Lengths, [], PerplexityDocuments: perplexity.Samples, Seed: EvalSeed, BatchSize: 1);
        if (eval.ShortRetention) yield return ShortRetention(native);
    }

    private static IEnumerable<EvalEvent> Evaluate(LlamaModel model, Tokenizer tokenizer, EvaluationSpec evaluation, string stage, CancellationToken cancel) =>
        Evaluator.EvaluateAsync(model, tokenizer, evaluation.Validate(), stage, cancel).ToBlockingEnumerable(cancel);

    /// <summary>Forwards a trainer's events, keeping its status to itself: the recipe's status spans the stages.</summary>
    private sealed class StageEvents(Action<RunEvent> forward) : ChannelWriter<RunEvent>
    {
        public StatusEvent? Last { get; private set; }

        public override bool TryWrite(RunEvent item)
        {
            if (item is StatusEvent status) Last = status;
            else forward(item);
            return true;
        }

        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(true);
    }
}

/// <summary>The stages a run has done, in order, with the model each left; written atomically after each.</summary>
public sealed record RecipeState(IReadOnlyList<RecipeState.Entry> Stages)
{
    public sealed record Entry(string Stage, string Model);

    public bool Done(string stage) => Stages.Any(s => s.Stage == stage);

    /// <summary>The model the newest stage left (null before any stage has).</summary>
    public string? LastModel => Stages.LastOrDefault(s => s.Stage != RecipeRunner.BaseStage)?.Model;

    /// <summary>This state with <paramref name="stage"/> done, saved into <paramref name="runFolder"/>.</summary>
    public RecipeState With(string stage, string model, string runFolder)
    {
        var next = new RecipeState([.. Stages, new Entry(stage, model)]);
        AtomicFile.Write(Path.Combine(runFolder, RecipeRunner.StateFile), stream => JsonSerializer.Serialize(stream, next, RecipeStateJson.Default.RecipeState));
        return next;
    }

    public static RecipeState Load(string runFolder)
    {
        var path = Path.Combine(runFolder, RecipeRunner.StateFile);
        if (!File.Exists(path)) return new RecipeState([]);
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), RecipeStateJson.Default.RecipeState)
                   ?? throw new InvalidDataException($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a recipe state ({e.Message})", e);
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(RecipeState))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
internal sealed partial class RecipeStateJson : System.Text.Json.Serialization.JsonSerializerContext;
