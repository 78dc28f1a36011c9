using System.Text.Json.Serialization;
using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Training;

namespace LongRecipe.Engine.Runs;

/// <summary>
/// One run, as the Lab's form and the command line both write it: the model, the target window T, an
/// optional RoPE rescaling of the base model, the data, the recipe's stages and the evaluation.
/// Stages run in order: extend (train on position-transformed data), anneal (replay mix, learning rate to
/// zero, full positions), merge (with the base model). No training stage means a training-free run (PI, NTK,
/// YaRN, LongRoPE or the base model itself). Stored with every run; JSON in RunSpec.Json.cs, rules in
/// RunSpec.Validation.cs, presets in RunPresets.cs.
/// </summary>
/// <param name="TargetLength">The context window T the run extends to, e.g. 1024.</param>
/// <param name="Model">"builtin" or a Hugging Face model directory.</param>
/// <param name="NativeLength">The built-in model's pretraining window, e.g. 256; null for a model directory, whose config.json gives its own.</param>
/// <param name="Device">"cpu", "cuda" or "cuda:N".</param>
/// <param name="Dtype">"float32" or "bfloat16".</param>
/// <param name="RopeScaling">RoPE rescaling applied to the base model before any stage (PI, NTK, YaRN, LongRoPE); null keeps its own.</param>
/// <remarks>
/// Positional records throughout: the JSON source generator keeps a constructor parameter's default for an
/// absent field, where it would reset an init-only property to zero.
/// </remarks>
public sealed partial record RunSpec(
    string Name,
    int TargetLength,
    string Model = RunSpec.BuiltinModel,
    int? NativeLength = null,
    string Device = "cpu",
    string Dtype = "float32",
    ulong Seed = 1,
    RopeScalingSpec? RopeScaling = null,
    DataSpec? Data = null,
    IReadOnlyList<StageSpec>? Stages = null,
    EvalSpec? Eval = null)
{
    /// <summary>The model named by <see cref="Model"/> when no directory is given: a Tiny-shaped Llama, trained from scratch.</summary>
    public const string BuiltinModel = "builtin";

    public DataSpec Data { get; init; } = Data ?? new DataSpec();

    public IReadOnlyList<StageSpec> Stages { get; init; } = Stages ?? [];

    public EvalSpec Eval { get; init; } = Eval ?? new EvalSpec();

    /// <summary>True when no stage trains: the run only rescales RoPE and evaluates.</summary>
    [JsonIgnore]
    public bool IsTrainingFree => !Stages.Any(st => st is TrainingStageSpec);
}

/// <summary>
/// transformers' rope_scaling for the base model: the type and the fields it reads (see <see cref="Model.RopeScaling"/>).
/// θ and the partial rotary factor stay the model's own.
/// </summary>
public sealed record RopeScalingSpec(
    RopeType RopeType,
    double? Factor = null,
    long? OriginalMaxPositionEmbeddings = null,
    double? AttentionFactor = null,
    double? BetaFast = null,
    double? BetaSlow = null,
    double? LowFreqFactor = null,
    double? HighFreqFactor = null,
    IReadOnlyList<double>? LongFactor = null,
    IReadOnlyList<double>? ShortFactor = null)
{
    /// <summary>The base model's RoPE with this rescaling on top (θ and partial factor kept).</summary>
    public RopeScaling ApplyTo(RopeScaling baseRope) => baseRope with
    {
        Type = RopeType,
        Factor = Factor,
        OriginalMaxPositionEmbeddings = OriginalMaxPositionEmbeddings,
        AttentionFactor = AttentionFactor,
        BetaFast = BetaFast,
        BetaSlow = BetaSlow,
        LowFreqFactor = LowFreqFactor,
        HighFreqFactor = HighFreqFactor,
        LongFactor = LongFactor,
        ShortFactor = ShortFactor,
    };
}

/// <summary>
/// Where training text comes from: "synthetic" (Corpora/Synthetic, <paramref name="Documents"/> of them) or a
/// .jsonl/.txt file or token store folder. <paramref name="Replay"/> is the short general text the anneal stage
/// mixes in, null when no stage replays.
/// </summary>
public sealed record DataSpec(
    string Corpus = DataSpec.Synthetic,
    int Documents = 64,
    string? Replay = null,
    SelectionSpec? Selection = null)
{
    public const string Synthetic = "synthetic";

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

/// <summary>One stage of the recipe; JSON tells the kinds apart by "kind": extend, anneal or merge.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(ExtendStage), "extend")]
[JsonDerivedType(typeof(AnnealStage), "anneal")]
[JsonDerivedType(typeof(MergeStage), "merge")]
public abstract record StageSpec
{
    /// <summary>The kind as JSON writes it, also the stage name in <see cref="RunEvent.Stage"/>.</summary>
    [JsonIgnore]
    public string Kind => this switch
    {
        ExtendStage => "extend",
        AnnealStage => "anneal",
        _ => "merge",
    };
}


/// <summary>
/// The optimisation settings every training stage shares: AdamW, <c>warmup_steps</c> of linear warmup, then the
/// schedule from <c>lr</c> to <c>min_lr</c>. <c>clip_norm</c> 0 turns clipping off; <c>checkpoint_every</c> 0
/// writes only the stage's last checkpoint. <c>optimizer_state</c> keeps AdamW's moments in f32, bf16 or 8 bits
/// (<see cref="Optim.OptimizerState"/>).
/// </summary>
public abstract record TrainingStageSpec(
    int Steps, int BatchSize, int GradAccum, double Lr, double MinLr, int WarmupSteps,
    LearningRateDecay Schedule, double WeightDecay, double ClipNorm, int CheckpointEvery,
    bool ActivationCheckpointing, OptimizerState OptimizerState) : StageSpec;

/// <summary>Context extension: sequences of <paramref name="SequenceLength"/> tokens (L ≤ T) whose positions <paramref name="Transform"/> spreads over T.</summary>
public sealed record ExtendStage(
    PositionTransformSpec Transform, int SequenceLength,
    int Steps = 100, int BatchSize = 4, int GradAccum = 1, double Lr = 5e-5, double MinLr = 0, int WarmupSteps = 0,
    LearningRateDecay Schedule = LearningRateDecay.Cosine, double WeightDecay = 0.1, double ClipNorm = 1.0,
    int CheckpointEvery = 0, bool ActivationCheckpointing = false, OptimizerState OptimizerState = OptimizerState.F32)
    : TrainingStageSpec(Steps, BatchSize, GradAccum, Lr, MinLr, WarmupSteps, Schedule, WeightDecay, ClipNorm, CheckpointEvery,
        ActivationCheckpointing, OptimizerState);

/// <summary>
/// Annealing: full-position sequences of T tokens, a <paramref name="ReplayRatio"/> share of them replay data,
/// the learning rate decaying to zero.
/// </summary>
public sealed record AnnealStage(
    double ReplayRatio = 0.5,
    int Steps = 100, int BatchSize = 4, int GradAccum = 1, double Lr = 5e-6, double MinLr = 0, int WarmupSteps = 0,
    LearningRateDecay Schedule = LearningRateDecay.Linear, double WeightDecay = 0.1, double ClipNorm = 1.0,
    int CheckpointEvery = 0, bool ActivationCheckpointing = false, OptimizerState OptimizerState = OptimizerState.F32)
    : TrainingStageSpec(Steps, BatchSize, GradAccum, Lr, MinLr, WarmupSteps, Schedule, WeightDecay, ClipNorm, CheckpointEvery,
        ActivationCheckpointing, OptimizerState);

/// <summary>Merges the trained model with the base model. Alpha is read by weighted and slerp, density by ties.</summary>
public sealed record MergeStage(MergeMethod Method = MergeMethod.Average, double Alpha = 0.5, double Density = 0.2) : StageSpec;

/// <summary>
/// What to measure after the run; null parts are skipped. Lengths are context lengths in tokens, depths percent
/// of the context. <paramref name="ShortRetention"/> adds perplexity at the native window, to see what extension
/// cost at short range.
/// </summary>
public sealed record EvalSpec(
    NeedleEvalSpec? Niah = null,
    PasskeyEvalSpec? Passkey = null,
    PerplexityEvalSpec? Perplexity = null,
    bool ShortRetention = false);

public sealed record NeedleEvalSpec(IReadOnlyList<int> Lengths, IReadOnlyList<double> Depths, int NeedlesPerCell = 2);

public sealed record PasskeyEvalSpec(IReadOnlyList<int> Lengths, int Samples = 4);

public sealed record PerplexityEvalSpec(IReadOnlyList<int> Lengths, int Samples = 4);
