using System.Text.Json;
using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.IO;
using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.RopeSearch;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;

namespace LongRecipe.Engine.Recipes;

/// <summary>
/// Runs one <see cref="RunSpec"/> in its folder, on the calling thread, and reports it as <see cref="RunEvent"/>s
/// written to an event sink: the base model under the spec's RoPE rescaling, its short-context perplexity (stage
/// "base"), each stage in order (search, extend, anneal, merge), the final model saved as a Hugging Face directory,
/// then the evaluation (stage "eval"). Folder: spec.json; data/ (token stores); one folder per stage (a training
/// stage's checkpoints or a search's search_state.json, then its model/); model/ (the final model);
/// recipe_state.json (the stages done). Resuming skips the stages done and continues the unfinished one from its
/// newest checkpoint. <paramref name="realCorpus"/> is the folder a spec's "real" corpus names (the data
/// directory's corpora/real); null where there is none.
/// </summary>
public sealed class RecipeRunner(RunSpec spec, string runFolder, string builtinModel, string? realCorpus = null)
{
    public const string SpecFile = "spec.json";
    public const string StateFile = "recipe_state.json";
    public const string ModelFolder = "model";
    public const string BaseStage = "base";
    public const string EvalStage = "eval";
    public const string SearchStateFile = "search_state.json";

    // Held out from every training corpus (those use the spec's seed), and the same for every run so runs compare.
    private const ulong EvalSeed = 1000;

    /// <summary>Where the final model is saved.</summary>
    public string FinalModel => Path.Combine(runFolder, ModelFolder);

    /// <summary>The model directory the spec starts from.</summary>
    public string BaseModel => spec.Model == RunSpec.BuiltinModel ? builtinModel : spec.Model;

    /// <summary>Runs to the end and returns the final status; a cancel finishes the current step, checkpoints and ends Cancelled.</summary>
    public RunStatus Run(EventSink events, bool resume = false, CancellationToken cancel = default)
    {
        var stage = BaseStage;
        void Log(string message, RunLogLevel level = RunLogLevel.Information) => events(new LogEvent(DateTimeOffset.UtcNow, stage, level, message));
        // Checkpoints show in the log too: the log alone tells where a run stands.
        void Emit(RunEvent runEvent)
        {
            events(runEvent);
            if (runEvent is CheckpointEvent checkpoint) Log($"checkpoint after step {checkpoint.Step}: {checkpoint.Path}");
        }
        RunStatus End(RunStatus status, string? error = null)
        {
            if (error is not null) Log(error, RunLogLevel.Error);
            events(new StatusEvent(DateTimeOffset.UtcNow, stage, status, error));
            return status;
        }

        try
        {
            // ---- setup: the spec, the base model, the data's tokenizer ----
            events(new StatusEvent(DateTimeOffset.UtcNow, stage, RunStatus.Running));
            spec.ValidateLaunch(realCorpus, builtinModel);
            var folderLost = resume && !Directory.Exists(runFolder);
            Directory.CreateDirectory(runFolder);
            spec.Save(Path.Combine(runFolder, SpecFile));
            var state = resume ? RecipeState.Load(runFolder) : new RecipeState([]);
            var (device, dtype) = (spec.Device, spec.Dtype);
            var tokenizer = Tokenizer.Load(BaseModel);
            using var baseModel = PretrainedModel.Load(BaseModel, device, dtype, warn: m => Log(m, RunLogLevel.Warning));
            var native = spec.NativeLength ?? (int)baseModel.Config.MaxPositionEmbeddings;
            var config = Extended(baseModel.Config, native);
            Log($"{spec.Name}: {BaseModel} ({baseModel.Parameters.ElementCount:N0} parameters, native {native}) → {spec.TargetLength} tokens, "
                + $"RoPE {config.RopeScaling.Type.Name()}, {device} {dtype.ShortName()}");
            if (folderLost) Log($"the run's folder {runFolder} is gone, and with it everything the run had done: it starts over", RunLogLevel.Warning);
            var data = new RecipeData(spec, tokenizer, BaseModel, Path.Combine(runFolder, "data"), native, realCorpus, m => Log(m, RunLogLevel.Warning));

            if (spec.Eval.ShortRetention && !state.Done(BaseStage))
            {
                Evaluator.Evaluate(baseModel, tokenizer, ShortRetention(native), events, BaseStage, cancel);
                state = state.With(BaseStage, BaseModel, runFolder);
            }

            // ---- the stages, each from the model the previous one left (its config too: a search's RoPE) ----
            var count = spec.Stages.Count + 1;
            // Where a resumed run stopped: the first stage it had not finished.
            var stopped = resume ? spec.StageNames.FirstOrDefault(name => !state.Done(name)) : null;
            using var loaded = PretrainedModel.Load(state.LastModel ?? BaseModel, device, dtype);
            var model = loaded.WithConfig(state.LastModel is null ? config : loaded.Config);
            for (var i = 0; i < spec.Stages.Count; i++)
            {
                var current = spec.Stages[i];
                stage = spec.StageNames[i];
                if (state.Done(stage)) continue;
                var started = DateTimeOffset.UtcNow;
                events(new StageEvent(started, stage, StagePhase.Started, i, count));
                Log($"stage {i + 1} of {count - 1} started: {Describe(current)}");
                switch (current)
                {
                    case SearchStage search:
                        model = model.WithConfig(Search(model, search, native, data, Path.Combine(runFolder, stage), stage, events, Log, cancel));
                        break;
                    case TrainingStageSpec training:
                        var folder = Path.Combine(runFolder, stage);
                        var batches = training is ExtendStage extend ? data.Extension(extend, spec.Window(i), model, cancel) : data.Annealing((AnnealStage)training, cancel);
                        var checkpointed = Checkpoints.Latest(folder) is not null;
                        if (stage == stopped && !checkpointed)
                            Log($"{stage} has no checkpoint in {Checkpoints.Folder(folder)} (it stopped before its first, or they were removed): it restarts from step 1",
                                RunLogLevel.Warning);
                        var trainer = new Trainer(model, batches, Options(training, dtype), folder, stage, resume: resume && checkpointed);
                        var outcome = trainer.Run(Emit, cancel);
                        if (outcome.End != TrainingEnd.Completed)
                            return End(outcome.End == TrainingEnd.Cancelled ? RunStatus.Cancelled : RunStatus.Failed, outcome.Error);
                        break;
                    case MergeStage merge:
                        ModelMerge.Merge(model, baseModel, [model], merge.ToMergeSpec(), cancel: cancel);
                        Log($"merged with the base model: {merge.Method.ToString().ToLowerInvariant()}");
                        break;
                }
                var saved = Path.Combine(runFolder, stage, ModelFolder);
                Save(model, saved);
                state = state.With(stage, saved, runFolder);
                events(new StageEvent(DateTimeOffset.UtcNow, stage, StagePhase.Completed, i, count));
                Log($"stage {i + 1} of {count - 1} done in {(DateTimeOffset.UtcNow - started).TotalSeconds:F1} s; its model saved to {saved}");
            }

            // ---- the final model and its evaluation ----
            stage = EvalStage;
            Save(model, FinalModel);
            Log($"final model saved to {FinalModel}; the evaluation starts");
            events(new StageEvent(DateTimeOffset.UtcNow, stage, StagePhase.Started, count - 1, count));
            foreach (var evaluation in Evaluations(native))
            {
                var suite = evaluation.Suites[0];
                var lengths = suite == Benchmarks.ShortPerplexity ? [evaluation.ShortContextLength] : evaluation.ContextLengths;
                Log($"evaluating {suite} at {string.Join(", ", lengths)} tokens");
                var cells = new List<EvalEvent>();
                Evaluator.Evaluate(model, tokenizer, evaluation, e => { cells.Add((EvalEvent)e); events(e); }, EvalStage, cancel);
                Log($"{suite} done: {Summary(cells)}");
            }
            events(new StageEvent(DateTimeOffset.UtcNow, stage, StagePhase.Completed, count - 1, count));
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
    /// The final model's answers to the needles of one (length, depth) cell of the run's needle grid, asked again as its
    /// evaluation asked them (same prompts, same seeds), on the spec's device and dtype: what a heatmap cell shows.
    /// </summary>
    public RetrievalResult[] Needles(int length, double depth, CancellationToken cancel = default)
    {
        var niah = spec.Eval.Niah ?? throw new InvalidOperationException($"{spec.Name} has no needle evaluation");
        if (!File.Exists(Path.Combine(FinalModel, PretrainedModel.ConfigFile)))
            throw new InvalidOperationException($"{FinalModel}: the run has not saved its final model yet");
        var tokenizer = Tokenizer.Load(FinalModel);
        using var model = PretrainedModel.Load(FinalModel, spec.Device, spec.Dtype);
        var cell = new EvaluationSpec([Benchmarks.Niah], [length], [depth], NeedlesPerCell: niah.NeedlesPerCell, Seed: EvalSeed,
            BatchSize: spec.Eval.BatchSize, Corpus: EvalCorpus, Split: spec.Eval.Split);
        return Evaluator.NeedleCell(model, tokenizer, cell, length, depth, cancel);
    }

    /// <summary>
    /// The base config under the spec's RoPE rescaling, claiming the target window. Types that read the native
    /// window get it when the spec leaves it out; dynamic NTK takes it from max_position_embeddings, so that stays native.
    /// </summary>
    private LlamaConfig Extended(LlamaConfig config, int native)
    {
        var rope = spec.RopeScaling?.Over(config.RopeScaling) ?? config.RopeScaling;
        if (rope.UsesOriginalWindow && rope.OriginalMaxPositionEmbeddings is null)
            rope = rope with { OriginalMaxPositionEmbeddings = native };
        var window = rope.Type == RopeType.Dynamic ? native : Math.Max(spec.TargetLength, config.MaxPositionEmbeddings);
        return (config with { RopeScaling = rope, MaxPositionEmbeddings = window }).Validate();
    }

    /// <summary>
    /// A search stage: LongRoPE's search on <paramref name="model"/> with samples from the run's corpus, its population
    /// checkpointed in <paramref name="folder"/>, every generation emitted as a <see cref="SearchEvent"/>. Returns the
    /// model's config with the searched RoPE, claiming at least the target window.
    /// </summary>
    private LlamaConfig Search(LlamaModel model, SearchStage stage, int native, RecipeData data, string folder, string name,
        EventSink emit, Action<string, RunLogLevel> log, CancellationToken cancel)
    {
        // A longrope model (searched before) carries its native window; a plain one reads it from max_position_embeddings.
        var longrope = model.Config.RopeScaling.Type == RopeType.LongRope;
        var window = longrope ? (int)LongRopeSearch.NativeWindow(model.Config) : native;
        var searched = longrope ? model : model.WithConfig(model.Config with { MaxPositionEmbeddings = window });
        var settings = stage.Search(stage.Factor ?? (double)spec.TargetLength / window, spec.Seed);
        var samples = data.SearchSamples(settings.Samples, (int)Math.Round(settings.Factor * window), cancel);
        log($"searching n̂ and factors for {settings.Factor:g}× over {window} tokens on {samples.Length} corpus samples of {samples[0].Length} tokens",
            RunLogLevel.Information);
        Directory.CreateDirectory(folder);
        var result = LongRopeSearch.Run(searched, samples, settings, new SynchronousProgress<RopeSearchProgress>(p =>
                emit(new SearchEvent(DateTimeOffset.UtcNow, name, p.Phase, p.Factor, p.Generation, p.Generations, p.Evaluated,
                    p.BestPerplexity, p.BestUnscaledTokens, p.BestFactors))),
            cancel, Path.Combine(folder, SearchStateFile));
        var last = result.Stages.Last(s => s.Phase == RopeSearchPhase.Long);
        log($"searched: n̂ = {result.Rope.InitialUnscaledTokens}, perplexity {result.LongPerplexity:F3} at {last.Length} tokens "
            + $"(linear interpolation {last.LinearPerplexity:F3}), {result.ShortPerplexity:F3} at {window}", RunLogLevel.Information);
        if (result.Rope.TransformersProblem() is { } problem)
            log($"the saved model keeps n̂ in its config, which the engine reads: {problem}", RunLogLevel.Warning);
        var config = result.Apply(model.Config);
        return config with { MaxPositionEmbeddings = Math.Max(config.MaxPositionEmbeddings, spec.TargetLength) };
    }

    /// <summary>A stage in a line for the log, e.g. "extend, 100 steps at 304 tokens (longrecipe positions)".</summary>
    private static string Describe(StageSpec stage) => stage switch
    {
        ExtendStage e => $"extend, {e.Steps} steps of {e.MicroBatchSize}×{e.GradientAccumulation} sequences of {e.SequenceLength} tokens, {e.Transform.Scheme} positions",
        AnnealStage a => $"anneal, {a.Steps} steps with {a.ReplayRatio:P0} replay",
        SearchStage s => $"search, population {s.Population}, {s.Generations} + {s.ShortGenerations} generations",
        MergeStage m => $"merge with the base model ({m.Method.ToString().ToLowerInvariant()})",
        _ => stage.Kind,
    };

    /// <summary>A suite's cells in a line: the mean of each metric over its cells, e.g. "accuracy 0.67, needle_logprob -2.31 over 6 cells".</summary>
    private static string Summary(IReadOnlyList<EvalEvent> cells) =>
        string.Join(", ", cells.GroupBy(c => c.Metric).Select(g => $"{g.Key} {g.Average(c => c.Value):G4}"))
        + $" over {cells.Select(c => (c.ContextLength, c.Depth)).Distinct().Count()} cells";

    private TrainerOptions Options(TrainingStageSpec stage, DType dtype) => new TrainerOptions
    {
        Steps = stage.Steps,
        MicroBatchSize = stage.MicroBatchSize,
        GradientAccumulation = stage.GradientAccumulation,
        LearningRate = stage.LearningRate,
        MinLearningRate = stage.MinLearningRate,
        WarmupSteps = stage.WarmupSteps,
        Decay = stage.Decay,
        WeightDecay = stage.WeightDecay,
        ClipNorm = stage.ClipNorm > 0 ? stage.ClipNorm : null,
        ComputeDType = dtype,
        ActivationCheckpointing = stage.ActivationCheckpointing,
        OptimizerState = stage.OptimizerState,
        CudaGraph = stage.CudaGraph,
        Seed = spec.Seed,
        CheckpointEvery = stage.CheckpointEvery > 0 ? stage.CheckpointEvery : stage.Steps,
        LogEvery = 1,
    }.Validate();

    private void Save(LlamaModel model, string folder)
    {
        PretrainedModel.Save(model, folder);
        PretrainedModel.CopyTokenizer(BaseModel, folder);
    }

    private EvaluationSpec ShortRetention(int native) =>
        new([Benchmarks.ShortPerplexity], [], [], ShortContextLength: native, Seed: EvalSeed, Corpus: EvalCorpus, Split: spec.Eval.Split);

    /// <summary>The spec's evaluation as the evaluator's specs, one per suite (each suite has its own lengths).</summary>
    private IEnumerable<EvaluationSpec> Evaluations(int native)
    {
        var eval = spec.Eval;
        if (eval.Niah is { } niah)
            yield return new([Benchmarks.Niah], niah.Lengths, niah.Depths, NeedlesPerCell: niah.NeedlesPerCell, Seed: EvalSeed, BatchSize: eval.BatchSize, Corpus: EvalCorpus, Split: eval.Split);
        if (eval.Passkey is { } passkey)
            yield return new([Benchmarks.Passkey], passkey.Lengths, [], PasskeySamples: passkey.Samples, Seed: EvalSeed, BatchSize: eval.BatchSize);
        if (eval.Perplexity is { } perplexity)
            yield return new([Benchmarks.Perplexity], perplexity.Lengths, [], PerplexityDocuments: perplexity.Samples, Seed: EvalSeed, BatchSize: eval.BatchSize,
                Corpus: EvalCorpus, Split: eval.Split);
        if (eval.ShortRetention) yield return ShortRetention(native);
    }

    /// <summary>The real-text corpus folder the evaluation measures on; null for the synthetic text.</summary>
    private string? EvalCorpus => RunSpec.CorpusPath(spec.Eval.Corpus, realCorpus);

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
