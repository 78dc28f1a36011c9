using System.Text.Json.Serialization;
using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.RopeSearch;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;

namespace LongRecipe.Engine.Recipes;

/// <summary>
/// One run, as the Lab's form and the command line both write it: the model, the target window T, an
/// optional RoPE rescaling of the base model, the data, the recipe's stages and the evaluation.
/// Stages run in order: search (LongRoPE's search, whose result becomes the model's RoPE), extend (train on
/// position-transformed data), anneal (replay mix, learning rate to zero, full positions), merge (with the base
/// model). No training stage means a training-free run (PI, NTK, YaRN, a LongRoPE search or the base model
/// itself). Stored with every run; JSON in RunSpec.Json.cs, rules in RunSpec.Validation.cs, presets in RunPresets.cs.
/// </summary>
/// <param name="TargetLength">The context window T the run extends to, e.g. 1024; the one place it is stated (a stage's
/// position transform spans it).</param>
/// <param name="Model">"builtin" or a Hugging Face model directory.</param>
/// <param name="NativeLength">The built-in model's pretraining window, e.g. 256; null for a model directory, whose config.json gives its own.</param>
/// <param name="Device">cpu or cuda:N; JSON "cpu", "cuda" or "cuda:N".</param>
/// <param name="Dtype">What the model computes in: f32 or bf16, the names the command line uses.</param>
/// <param name="RopeScaling">RoPE rescaling applied to the base model before any stage (PI, NTK, YaRN, LongRoPE), as the
/// model's rope_scaling writes it (θ and the rotary fraction stay the model's); null keeps its own.</param>
/// <param name="Experiment">The experiment this run belongs to (<see cref="ExperimentSpec"/>), null for a run of its own.</param>
/// <remarks>
/// Positional records throughout: the JSON source generator keeps a constructor parameter's default for an
/// absent field, where it would reset an init-only property to zero.
/// </remarks>
public sealed partial record RunSpec(
    string Name,
    int TargetLength,
    string Model = RunSpec.BuiltinModel,
    int? NativeLength = null,
    Device Device = default,
    DType Dtype = DType.Float32,
    ulong Seed = 1,
    RopeScaling? RopeScaling = null,
    DataSpec? Data = null,
    IReadOnlyList<StageSpec>? Stages = null,
    EvalSpec? Eval = null,
    ExperimentTag? Experiment = null)
{
    /// <summary>The model named by <see cref="Model"/> when no directory is given: a Tiny-shaped Llama, trained from scratch.</summary>
    public const string BuiltinModel = "builtin";

    /// <summary>The dtypes a run computes in.</summary>
    public static IReadOnlyList<DType> Dtypes { get; } = [DType.Float32, DType.BFloat16];

    public DataSpec Data { get; init; } = Data ?? new DataSpec();

    public IReadOnlyList<StageSpec> Stages { get; init; } = Stages ?? [];

    public EvalSpec Eval { get; init; } = Eval ?? new EvalSpec();

    /// <summary>The longest name a spec may have.</summary>
    public const int MaxNameLength = 200;

    /// <summary>True when no stage trains: the run only rescales RoPE and evaluates.</summary>
    [JsonIgnore]
    public bool IsTrainingFree => !Stages.Any(st => st is TrainingStageSpec);

    /// <summary>
    /// The window stage <paramref name="index"/>'s positions span: target_length, except for an extend stage that a
    /// search stage follows (LongRoPE's progressive route), which trains at its own length for that search to extend.
    /// </summary>
    public int Window(int index) =>
        Stages[index] is ExtendStage extend && Stages.Skip(index + 1).Any(s => s is SearchStage) ? extend.SequenceLength : TargetLength;

    /// <summary>
    /// Each stage's name in events, folders and the recipe state: its kind, numbered from 1 when the kind repeats
    /// (the progressive route searches twice: search-1, search-2).
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<string> StageNames =>
        Stages.Select((stage, i) => Stages.Count(s => s.Kind == stage.Kind) == 1
            ? stage.Kind
            : $"{stage.Kind}-{Stages.Take(i + 1).Count(s => s.Kind == stage.Kind)}").ToList();
}

/// <summary>
/// A run's place in an experiment: the experiment's name, the method it measures, and whether it is one of the
/// learning-rate grid's selection runs (evaluated on validation data) or a final run (one per seed, on test data).
/// </summary>
public sealed record ExperimentTag(string Name, string Method, ExperimentRole Role);

public enum ExperimentRole { Selection, Final }

/// <summary>
/// Where training text comes from: "synthetic" (Corpora/Synthetic, <paramref name="Documents"/> of them), "real"
/// (the real-text corpus <c>./longrecipe corpus-fetch</c> built in the data directory: <paramref name="Documents"/>
/// of its train split, drawn by the run's seed), a real-corpus folder (the same, from elsewhere), or a .jsonl/.txt
/// file or token store folder. <paramref name="Replay"/> is the general text the anneal stage mixes in ("synthetic",
/// "real": train documents other than the corpus's, or a path), null when no stage replays.
/// <paramref name="RetrievalRatio"/>: a synthetic passkey or needle sample (at the stage's length) goes before each
/// corpus sequence with this probability, so 1/3 makes them a quarter of the sequences and 0 leaves them out; null
/// keeps the default, 1/3 for the synthetic corpus and none for others.
/// </summary>
public sealed record DataSpec(
    string Corpus = DataSpec.Synthetic,
    int Documents = 64,
    string? Replay = null,
    SelectionSpec? Selection = null,
    double? RetrievalRatio = null)
{
    public const string Synthetic = "synthetic";

    /// <summary>The data directory's fetched real-text corpus (data/corpora/real), its train split for training and replay.</summary>
    public const string Real = "real";

    /// <summary>The retrieval ratio when the spec leaves it out: a quarter of the sequences for the synthetic corpus, none for others.</summary>
    [JsonIgnore]
    public double EffectiveRetrievalRatio => RetrievalRatio ?? (Corpus == Synthetic ? 1.0 / 3 : 0);

    public SelectionSpec Selection { get; init; } = Selection ?? new SelectionSpec();
}

public enum SelectionMethod
{
    /// <summary>Every sentence is kept.</summary>
    None,
    /// <summary>Sentences with digits (the reference's cheap proxy for impactful tokens).</summary>
    Digits,
    /// <summary>Sentences ranked by token impact Δ(t) (Analysis/ImpactScoring).</summary>
    Impactful,
}

/// <summary>Which sentences the LongRecipe transform places: the method and the fraction kept, in (0, 1].</summary>
public sealed record SelectionSpec(SelectionMethod Method = SelectionMethod.None, double SelectRatio = 1.0);

/// <summary>One stage of the recipe; JSON tells the kinds apart by "kind": search, extend, anneal or merge.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(SearchStage), "search")]
[JsonDerivedType(typeof(ExtendStage), "extend")]
[JsonDerivedType(typeof(AnnealStage), "anneal")]
[JsonDerivedType(typeof(MergeStage), "merge")]
public abstract record StageSpec
{
    /// <summary>The kind as JSON writes it, also the stage name in <see cref="RunEvent.Stage"/>.</summary>
    [JsonIgnore]
    public string Kind => this switch
    {
        SearchStage => "search",
        ExtendStage => "extend",
        AnnealStage => "anneal",
        _ => "merge",
    };
}


/// <summary>
/// LongRoPE's search (RopeSearch/) on the model as the stages before it left it: n̂ and per-dimension factors for
/// s = <paramref name="Factor"/> over the native window, with perplexity on samples of s × native tokens from the
/// run's corpus as fitness. The result becomes the model's rope_scaling (longrope) for the stages after it and for
/// the saved model. On a model that is longrope already (a search, then an extend at its window) the search goes on
/// from its factors: the progressive route. The population is checkpointed after each generation in the stage's
/// folder, so a resumed run continues the search. The other fields are <see cref="RopeSearchSpec"/>'s.
/// </summary>
/// <param name="Factor">s, e.g. 4; null: target_length / the native window.</param>
/// <param name="UnscaledTokens">The values n̂ is searched over; null: the paper's set up to a sixteenth of the native
/// window; [0] keeps the saved model one transformers' longrope reads exactly.</param>
public sealed record SearchStage(
    double? Factor = null, IReadOnlyList<int>? UnscaledTokens = null,
    int Population = 16, int Generations = 8, int Parents = 4, double MutationProbability = 0.3, double CrossoverProbability = 0.3,
    double MaxFactorRatio = 1.25, double? AttentionFactor = null, int ShortGenerations = 4, int Samples = 4, int BatchSize = 1) : StageSpec
{
    /// <summary>The engine's search settings for extension <paramref name="factor"/>, seeded by the run's seed.</summary>
    public RopeSearchSpec Search(double factor, ulong seed) => new(
        Factor: factor, Population: Population, Generations: Generations, Parents: Parents,
        MutationProbability: MutationProbability, CrossoverProbability: CrossoverProbability, MaxFactorRatio: MaxFactorRatio,
        AttentionFactor: AttentionFactor, ShortGenerations: ShortGenerations, UnscaledTokens: UnscaledTokens,
        Samples: Samples, BatchSize: BatchSize, Seed: seed);
}

/// <summary>
/// The optimisation settings every training stage shares, named as the trainer names them (<see cref="TrainerOptions"/>):
/// AdamW, <c>warmup_steps</c> of linear warmup, then the decay from <c>learning_rate</c> to <c>min_learning_rate</c>;
/// a step is <c>gradient_accumulation</c> micro-batches of <c>micro_batch_size</c> sequences. <c>clip_norm</c> 0 turns
/// clipping off; <c>checkpoint_every</c> 0 writes only the stage's last checkpoint. <c>optimizer_state</c> keeps
/// AdamW's moments in f32, bf16 or 8 bits (<see cref="Optim.OptimizerState"/>). <c>cuda_graph</c> records the step as a
/// CUDA graph and replays it, for small models on a GPU (<see cref="TrainerOptions.CudaGraph"/>).
/// </summary>
public abstract record TrainingStageSpec(
    int Steps, int MicroBatchSize, int GradientAccumulation, double LearningRate, double MinLearningRate, int WarmupSteps,
    LearningRateDecay Decay, double WeightDecay, double ClipNorm, int CheckpointEvery,
    bool ActivationCheckpointing, OptimizerState OptimizerState, bool CudaGraph) : StageSpec;

/// <summary>
/// A stage's position-index transform: <see cref="PositionTransformSpec"/> without its target window, which is
/// the run's <see cref="RunSpec.TargetLength"/>.
/// </summary>
public sealed record TransformSpec(PositionScheme Scheme, ulong Seed = 0, int Chunks = TransformSpec.DefaultChunks, int? Rt1 = null)
{
    /// <summary>PoSE's chunks when unset; stored specs of the other schemes carry it too, so it is the one value they may hold.</summary>
    public const int DefaultChunks = 2;

    /// <summary>The transform over a target window of <paramref name="targetLength"/> tokens.</summary>
    public PositionTransformSpec Over(int targetLength) => new(Scheme, targetLength, Seed, Chunks, Rt1);
}

/// <summary>Context extension: sequences of <paramref name="SequenceLength"/> tokens (L ≤ T) whose positions <paramref name="Transform"/> spreads over T.</summary>
public sealed record ExtendStage(
    TransformSpec Transform, int SequenceLength,
    int Steps = 100, int MicroBatchSize = 4, int GradientAccumulation = 1, double LearningRate = 5e-5, double MinLearningRate = 0,
    int WarmupSteps = 0, LearningRateDecay Decay = LearningRateDecay.Cosine, double WeightDecay = 0.1, double ClipNorm = 1.0,
    int CheckpointEvery = 0, bool ActivationCheckpointing = false, OptimizerState OptimizerState = OptimizerState.F32, bool CudaGraph = false)
    : TrainingStageSpec(Steps, MicroBatchSize, GradientAccumulation, LearningRate, MinLearningRate, WarmupSteps, Decay, WeightDecay, ClipNorm,
        CheckpointEvery, ActivationCheckpointing, OptimizerState, CudaGraph);

/// <summary>
/// Annealing: full-position sequences of <paramref name="SequenceLength"/> tokens (null: T), a
/// <paramref name="ReplayRatio"/> share of them replay data, the learning rate decaying to zero. At the
/// extension's length L it costs what the extension costs per step, as the recipe's 30% budget needs.
/// </summary>
public sealed record AnnealStage(
    double ReplayRatio = 0.5,
    int? SequenceLength = null,
    int Steps = 100, int MicroBatchSize = 4, int GradientAccumulation = 1, double LearningRate = 5e-6, double MinLearningRate = 0,
    int WarmupSteps = 0, LearningRateDecay Decay = LearningRateDecay.Linear, double WeightDecay = 0.1, double ClipNorm = 1.0,
    int CheckpointEvery = 0, bool ActivationCheckpointing = false, OptimizerState OptimizerState = OptimizerState.F32, bool CudaGraph = false)
    : TrainingStageSpec(Steps, MicroBatchSize, GradientAccumulation, LearningRate, MinLearningRate, WarmupSteps, Decay, WeightDecay, ClipNorm,
        CheckpointEvery, ActivationCheckpointing, OptimizerState, CudaGraph);

/// <summary>
/// Merges the trained model with the base model. Alpha is read by weighted and slerp, density by ties; left out, each is
/// <see cref="MergeSpec"/>'s default, and given to a method that does not read it, refused (it would look used).
/// </summary>
public sealed record MergeStage(MergeMethod Method = MergeMethod.Average, double? Alpha = null, double? Density = null) : StageSpec
{
    /// <summary>The merge this stage makes: <see cref="MergeSpec"/>'s defaults where alpha or density is left out.</summary>
    public MergeSpec ToMergeSpec()
    {
        var defaults = new MergeSpec(Method);
        return defaults with { Alpha = Alpha ?? defaults.Alpha, Density = Density ?? defaults.Density };
    }
}

/// <summary>
/// What to measure after the run; null parts are skipped. Lengths are context lengths in tokens, depths percent
/// of the context. <paramref name="ShortRetention"/> adds perplexity at the native window, to see what extension
/// cost at short range.
/// cost at short range. <paramref name="Corpus"/> is the text measured on: "synthetic" (the built-in generator's
/// held-out documents and filler), "real" (the data directory's real-text corpus) or a real-corpus folder, whose
/// <paramref name="Split"/> (test; validation while choosing settings) gives the perplexity documents and the needle
/// haystacks (see <see cref="Evaluation.EvaluationSpec"/>). Passkeys keep their synthetic filler either way.
/// <paramref name="BatchSize"/>: equally long rows per forward (prompts, documents).
/// </summary>
public sealed record EvalSpec(
    NeedleEvalSpec? Niah = null,
    PasskeyEvalSpec? Passkey = null,
    PerplexityEvalSpec? Perplexity = null,
    bool ShortRetention = false,
    int BatchSize = 4,
    string Corpus = DataSpec.Synthetic,
    CorpusSplit Split = CorpusSplit.Test);

public sealed record NeedleEvalSpec(IReadOnlyList<int> Lengths, IReadOnlyList<double> Depths, int NeedlesPerCell = 2);

public sealed record PasskeyEvalSpec(IReadOnlyList<int> Lengths, int Samples = 4);

public sealed record PerplexityEvalSpec(IReadOnlyList<int> Lengths, int Samples = 4);
