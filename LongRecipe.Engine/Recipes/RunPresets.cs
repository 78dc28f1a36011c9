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
        Build("longrecipe", [Extend(new TransformSpec(PositionScheme.LongRecipe, Seed), sequenceLength: 304),
            new AnnealStage(ReplayRatio: 0.5, Steps: 30, MicroBatchSize: 1, LearningRate: 2e-5), new MergeStage(MergeMethod.Average)]);

    /// <summary>PoSE: native-length sequences in two chunks with random skips over T.</summary>
    public static RunSpec Pose() => Build("pose", [Extend(new TransformSpec(PositionScheme.Pose, Seed), NativeLength)]);

    /// <summary>RPES: native-length sequences at sorted random positions in [0, T).</summary>
    public static RunSpec Rpes() => Build("rpes", [Extend(new TransformSpec(PositionScheme.RandomPositions, Seed), NativeLength)]);

    /// <summary>FLT: full-length training at T.</summary>
    public static RunSpec Flt() => Build("flt", [FullLength(TargetLength)]);

    /// <summary>Position interpolation: every frequency divided by T / native, no training.</summary>
    public static RunSpec PositionInterpolation() =>
        Build("pi", rope: new RopeScaling { Type = RopeType.Linear, Factor = (double)TargetLength / NativeLength });

    /// <summary>NTK-aware (dynamic) scaling, no training.</summary>
    public static RunSpec Ntk() =>
        Build("ntk", rope: new RopeScaling { Type = RopeType.Dynamic, Factor = (double)TargetLength / NativeLength });

    /// <summary>YaRN from the native window, no training.</summary>
    public static RunSpec Yarn() =>
        Build("yarn", rope: new RopeScaling { Type = RopeType.Yarn, Factor = (double)TargetLength / NativeLength, OriginalMaxPositionEmbeddings = NativeLength });

    /// <summary>LongRoPE without training: n̂ and the factors searched for T / native, then evaluated.</summary>
    public static RunSpec LongRope() => Build("longrope", [Search()]);

    /// <summary>LongRoPE as the paper extends: the search, then fine-tuning at T with the searched RoPE.</summary>
    public static RunSpec LongRopeFineTuned() => Build("longrope-ft", [Search(), FullLength(TargetLength)]);

    /// <summary>
    /// LongRoPE's progressive route: a search at half the target factor, fine-tuning at that window, then a second
    /// search from the fine-tuned model to T.
    /// </summary>
    public static RunSpec LongRopeProgressive() =>
        Build("longrope-progressive", [Search() with { Factor = TargetLength / 2.0 / NativeLength }, FullLength(TargetLength / 2), Search()]);

    /// <summary>Every preset by name (the command line's `run &lt;name&gt;`).</summary>
    public static IReadOnlyDictionary<string, Func<RunSpec>> ByName { get; } = new Dictionary<string, Func<RunSpec>>
    {
        ["longrecipe"] = LongRecipe,
        ["pose"] = Pose,
        ["rpes"] = Rpes,
        ["flt"] = Flt,
        ["pi"] = PositionInterpolation,
        ["ntk"] = Ntk,
        ["yarn"] = Yarn,
        ["longrope"] = LongRope,
        ["longrope-ft"] = LongRopeFineTuned,
        ["longrope-progressive"] = LongRopeProgressive,
    };

    /// <summary>
    /// The one builder: the built-in model, synthetic data (with synthetic replay when a stage anneals), the given
    /// stages in order, the standard evaluation.
    /// </summary>
    public static RunSpec Build(string name, IReadOnlyList<StageSpec>? stages = null, RopeScaling? rope = null) =>
        new RunSpec(
            name, TargetLength, NativeLength: NativeLength, Seed: Seed, RopeScaling: rope,
            Data: new DataSpec(Replay: stages?.Any(s => s is AnnealStage) == true ? DataSpec.Synthetic : null),
            Stages: stages ?? [],
            Eval: new EvalSpec(
                Niah: new NeedleEvalSpec([256, 512, 1024], [0, 25, 50, 75, 100], NeedlesPerCell: 2),
                Passkey: new PasskeyEvalSpec([256, 512, 1024], Samples: 4),
                Perplexity: new PerplexityEvalSpec([256, 512, 1024], Samples: 4),
                ShortRetention: true)).Validate();

    private static ExtendStage Extend(TransformSpec transform, int sequenceLength) =>
        new(transform, sequenceLength, Steps: 100, MicroBatchSize: 2, LearningRate: 2e-4, WarmupSteps: 10, CheckpointEvery: 50);

    /// <summary>Training at the whole window <paramref name="length"/> (positions 0 … length − 1), one sequence per step.</summary>
    private static ExtendStage FullLength(int length) => Extend(new TransformSpec(PositionScheme.FullLength), length) with { MicroBatchSize = 1 };

    /// <summary>A search sized for two CPU cores: factor T / native unless set, the paper's n̂ candidates for the window.</summary>
    private static SearchStage Search() => new(Population: 8, Generations: 5, Parents: 3, ShortGenerations: 2, Samples: 2);
}
