using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Positions;

namespace LongRecipe.Engine.Recipes;

/// <summary>
/// The recipe and its baselines as ready specs, each a small factory over <see cref="Build"/>. All start
/// from the built-in model with a 256-token window and extend it to 1024, sized so that a trained preset
/// finishes in minutes on two CPU cores; change any field with <c>with</c>.
/// </summary>
public static class RunPresets
{
    public const int NativeLength = 256;
    public const int TargetLength = 1024;
    public const ulong Seed = 1;

    /// <summary>The recipe: LongRecipe positions at L ≈ 0.3·T, annealing with replay, averaged with the base model.</summary>
    public static RunSpec LongRecipe() =>
        Build("longrecipe", extend: Extend(new TransformSpec(PositionScheme.LongRecipe, Seed), sequenceLength: 304),
            anneal: new AnnealStage(ReplayRatio: 0.5, Steps: 30, MicroBatchSize: 1, LearningRate: 2e-5), merge: new MergeStage(MergeMethod.Average));

    /// <summary>PoSE: native-length sequences in two chunks with random skips over T.</summary>
    public static RunSpec Pose() => Build("pose", extend: Extend(new TransformSpec(PositionScheme.Pose, Seed), NativeLength));

    /// <summary>RPES: native-length sequences at sorted random positions in [0, T).</summary>
    public static RunSpec Rpes() => Build("rpes", extend: Extend(new TransformSpec(PositionScheme.RandomPositions, Seed), NativeLength));

    /// <summary>FLT: full-length training at T.</summary>
    public static RunSpec Flt() => Build("flt", extend: Extend(new TransformSpec(PositionScheme.FullLength), TargetLength) with { MicroBatchSize = 1 });

    /// <summary>Position interpolation: every frequency divided by T / native, no training.</summary>
    public static RunSpec PositionInterpolation() =>
        Build("pi", rope: new RopeScaling { Type = RopeType.Linear, Factor = (double)TargetLength / NativeLength });

    /// <summary>NTK-aware (dynamic) scaling, no training.</summary>
    public static RunSpec Ntk() =>
        Build("ntk", rope: new RopeScaling { Type = RopeType.Dynamic, Factor = (double)TargetLength / NativeLength });

    /// <summary>YaRN from the native window, no training.</summary>
    public static RunSpec Yarn() =>
        Build("yarn", rope: new RopeScaling { Type = RopeType.Yarn, Factor = (double)TargetLength / NativeLength, OriginalMaxPositionEmbeddings = NativeLength });

    /// <summary>
    /// LongRoPE with factors found by its search (one per rotary frequency pair, the long set for contexts
    /// past the native window, the short set within it), no training.
    /// </summary>
    public static RunSpec LongRope(IReadOnlyList<double> longFactor, IReadOnlyList<double> shortFactor) =>
        Build("longrope", rope: new RopeScaling
        {
            Type = RopeType.LongRope, Factor = (double)TargetLength / NativeLength, OriginalMaxPositionEmbeddings = NativeLength,
            LongFactor = longFactor, ShortFactor = shortFactor,
        });

    /// <summary>The presets that need no arguments, by name (LongRoPE needs its searched factors).</summary>
    public static IReadOnlyDictionary<string, Func<RunSpec>> ByName { get; } = new Dictionary<string, Func<RunSpec>>
    {
        ["longrecipe"] = LongRecipe,
        ["pose"] = Pose,
        ["rpes"] = Rpes,
        ["flt"] = Flt,
        ["pi"] = PositionInterpolation,
        ["ntk"] = Ntk,
        ["yarn"] = Yarn,
    };

    /// <summary>The one builder: the built-in model, synthetic data, the given stages in recipe order, the standard evaluation.</summary>
    public static RunSpec Build(string name, ExtendStage? extend = null, AnnealStage? anneal = null, MergeStage? merge = null,
        RopeScaling? rope = null) =>
        new RunSpec(
            name, TargetLength, NativeLength: NativeLength, Seed: Seed, RopeScaling: rope,
            Data: new DataSpec(Replay: anneal is null ? null : DataSpec.Synthetic),
            Stages: new StageSpec?[] { extend, anneal, merge }.OfType<StageSpec>().ToList(),
            Eval: new EvalSpec(
                Niah: new NeedleEvalSpec([256, 512, 1024], [0, 25, 50, 75, 100], NeedlesPerCell: 2),
                Passkey: new PasskeyEvalSpec([256, 512, 1024], Samples: 4),
                Perplexity: new PerplexityEvalSpec([256, 512, 1024], Samples: 4),
                ShortRetention: true)).Validate();

    private static ExtendStage Extend(TransformSpec transform, int sequenceLength) =>
        new(transform, sequenceLength, Steps: 100, MicroBatchSize: 2, LearningRate: 2e-4, WarmupSteps: 10, CheckpointEvery: 50);
}
