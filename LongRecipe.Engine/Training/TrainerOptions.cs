using System.Text.Json.Serialization;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Training;

/// <summary>
/// How one training run goes; stored in every checkpoint, and a resumed run must be given the same.
/// A step takes <see cref="GradientAccumulation"/> micro-batches of <see cref="MicroBatchSize"/>
/// sequences each, then one AdamW update at the scheduled learning rate.
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>Optimizer steps in the whole run, e.g. 1000.</summary>
    public long Steps { get; init; } = 100;

    /// <summary>Sequences per forward/backward pass, e.g. 8.</summary>
    public int MicroBatchSize { get; init; } = 8;

    /// <summary>Micro-batches whose gradients add up to one step, e.g. 4 (an effective batch of 32).</summary>
    public int GradientAccumulation { get; init; } = 1;

    /// <summary>Peak learning rate, e.g. 1e-3 from scratch or 5e-5 for context extension.</summary>
    public double LearningRate { get; init; } = 1e-3;

    public long WarmupSteps { get; init; } = 10;

    public LearningRateDecay Decay { get; init; } = LearningRateDecay.Cosine;

    /// <summary>Where the cosine ends, e.g. a tenth of the peak; the other decays ignore it.</summary>
    public double MinLearningRate { get; init; }

    public double WeightDecay { get; init; } = 0.1;

    public double Beta1 { get; init; } = 0.9;

    public double Beta2 { get; init; } = 0.95;

    public double Epsilon { get; init; } = 1e-8;

    /// <summary>The global gradient norm is clipped to this, e.g. 1; null leaves gradients as they are.</summary>
    public double? ClipNorm { get; init; } = 1.0;

    /// <summary>
    /// What the model computes in: f32, or bf16 (CUDA), where with f32 optimizer state f32 master weights and
    /// f32 AdamW moments take the update and are copied back into the bf16 model after every step.
    /// </summary>
    public DType ComputeDType { get; init; } = DType.Float32;

    /// <summary>
    /// How AdamW keeps its moments: f32 (8 bytes per parameter, plus 4 of master weights in bf16), bf16 with
    /// stochastic rounding (4), or block-wise 8-bit (about 2). The compact forms update a bf16 model's weights
    /// in place by stochastic rounding, without master weights.
    /// </summary>
    public OptimizerState OptimizerState { get; init; } = OptimizerState.F32;

    /// <summary>Recompute each layer during backward instead of keeping its activations (less memory, ~⅓ more compute).</summary>
    public bool ActivationCheckpointing { get; init; }

    /// <summary>
    /// Record the step as a CUDA graph and replay it (CUDA, libtorch 2.3+, f32 optimizer state, no activation
    /// checkpointing). It is for small models, whose step waits on the host's kernel launches: the train benchmark's
    /// step recorded so ran 1.63× its eager step at 125M and 4k tokens on an H200. Clipping then scales by a factor
    /// computed on the GPU in f32, as PyTorch does. How a run executes, not what it computes: a checkpoint does not
    /// record it, and a resumed run may turn it on or off.
    /// </summary>
    [JsonIgnore]
    public bool CudaGraph { get; init; }

    /// <summary>Seeds libtorch's generators at the start; data and initialization take their own seeds.</summary>
    public ulong Seed { get; init; }

    /// <summary>A checkpoint after every this many steps (and always after the last one and on cancel).</summary>
    public long CheckpointEvery { get; init; } = 100;

    /// <summary>How many of the newest checkpoints are kept; older ones are deleted.</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>Steps with a non-finite loss or gradient norm are skipped; the run fails at the one past this many.</summary>
    public int MaxSkippedSteps { get; init; } = 10;

    /// <summary>
    /// The run fails as diverged at this many skipped steps in a row. A skipped step changes nothing but the batch (no
    /// loss scale backs off here, as fp16's does in PyTorch's GradScaler or DeepSpeed), so a streak means broken weights
    /// or a learning rate that blows up every step, not bad luck with data; a single bad batch breaks no streak.
    /// A run that ends before a streak can reach this many fails as diverged too when its last step is skipped and either
    /// the streak it ends in covers every step after the first (all of a run of 3 steps but the first, say: the most a run
    /// that short can skip after training, min(this, <see cref="Steps"/> − 1)), or its skipped steps outnumber its trained
    /// ones. Otherwise a run whose last steps are skipped completes, its last good weights saved: one bad batch at the end
    /// of a long run is bad luck, not divergence. <see cref="Divergence"/> holds the rule.
    /// </summary>
    public int MaxConsecutiveSkippedSteps { get; init; } = 3;

    /// <summary>A step event after every this many steps (and after the last one).</summary>
    public long LogEvery { get; init; } = 1;

    [JsonIgnore]
    public LearningRateSchedule Schedule => new(LearningRate, WarmupSteps, Steps, Decay, MinLearningRate);

    /// <summary>
    /// What is wrong with <paramref name="learningRate"/> as a peak learning rate, or null. The optimizer computes in f32,
    /// where a rate past its largest value (1e308, say) is ∞ and every update NaN.
    /// </summary>
    public static string? LearningRateProblem(double learningRate) =>
        learningRate > 0 && learningRate <= float.MaxValue ? null
            : $"must be > 0 and at most {float.MaxValue:G3} (finite in f32, which the optimizer computes in), got {learningRate}";

    /// <summary>
    /// Why a run diverged at skipped step <paramref name="step"/>, the <paramref name="streak"/>-th skipped in a row and the
    /// <paramref name="skipped"/>-th in all, e.g. "3 steps in a row (steps 2 to 4 skipped, MaxConsecutiveSkippedSteps 3)";
    /// null when it goes on; <see cref="MaxConsecutiveSkippedSteps"/> states the rule. The eager and the recorded step both
    /// come here, each with the loss and gradient norm it read back.
    /// </summary>
    public string? Divergence(long step, int streak, int skipped)
    {
        var range = $"{streak} step{(streak == 1 ? "" : "s")} in a row (steps {step - streak + 1} to {step} skipped";
        if (streak >= MaxConsecutiveSkippedSteps) return $"{range}, MaxConsecutiveSkippedSteps {MaxConsecutiveSkippedSteps})";
        if (step < Steps) return null;
        if (streak >= Steps - 1)
            return $"{range} to the run's end: every step{(streak == Steps ? "" : " after the first")}, and a run of {Steps} " +
                   $"step{(Steps == 1 ? "" : "s")} ends before MaxConsecutiveSkippedSteps {MaxConsecutiveSkippedSteps} can be reached)";
        return skipped > Steps - skipped ? $"{range} to the run's end, {skipped} of its {Steps} steps in all: more skipped than trained)" : null;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the field of the first problem.</summary>
    public TrainerOptions Validate()
    {
        static void Require(bool ok, string field, string problem)
        {
            if (!ok) throw new ArgumentException($"{field} {problem}", field);
        }
        Require(Steps >= 1, nameof(Steps), $"must be at least 1, not {Steps}");
        Require(MicroBatchSize >= 1, nameof(MicroBatchSize), $"must be at least 1, not {MicroBatchSize}");
        Require(GradientAccumulation >= 1, nameof(GradientAccumulation), $"must be at least 1, not {GradientAccumulation}");
        if (LearningRateProblem(LearningRate) is { } learningRate) Require(false, nameof(LearningRate), learningRate);
        Require(WarmupSteps >= 0 && WarmupSteps <= Steps, nameof(WarmupSteps), $"must be in [0, Steps = {Steps}], not {WarmupSteps}");
        Require(Enum.IsDefined(Decay), nameof(Decay), $"is not a known decay ({Decay})");
        Require(MinLearningRate >= 0 && MinLearningRate <= LearningRate, nameof(MinLearningRate),
            $"must be in [0, LearningRate = {LearningRate}], not {MinLearningRate}");
        Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), nameof(WeightDecay), $"must be a non-negative number, not {WeightDecay}");
        Require(Beta1 is >= 0 and < 1, nameof(Beta1), $"must be in [0, 1), not {Beta1}");
        Require(Beta2 is >= 0 and < 1, nameof(Beta2), $"must be in [0, 1), not {Beta2}");
        Require(Epsilon > 0, nameof(Epsilon), $"must be positive, not {Epsilon}");
        Require(ClipNorm is null || ClipNorm > 0, nameof(ClipNorm), $"must be positive or absent, not {ClipNorm}");
        Require(ComputeDType is DType.Float32 or DType.BFloat16, nameof(ComputeDType), $"must be f32 or bf16, not {ComputeDType.ShortName()}");
        Require(Enum.IsDefined(OptimizerState), nameof(OptimizerState), $"is not a known optimizer state ({OptimizerState})");
        Require(!CudaGraph || OptimizerState == OptimizerState.F32, nameof(CudaGraph), $"needs f32 optimizer state, not {OptimizerState.Name()}");
        Require(!CudaGraph || !ActivationCheckpointing, nameof(CudaGraph), "does not record activation checkpointing (its backward runs the layers again from managed code)");
        Require(CheckpointEvery >= 1, nameof(CheckpointEvery), $"must be at least 1, not {CheckpointEvery}");
        Require(KeepCheckpoints >= 1, nameof(KeepCheckpoints), $"must be at least 1, not {KeepCheckpoints}");
        Require(MaxSkippedSteps >= 0, nameof(MaxSkippedSteps), $"must not be negative, not {MaxSkippedSteps}");
        Require(MaxConsecutiveSkippedSteps >= 1, nameof(MaxConsecutiveSkippedSteps), $"must be at least 1, not {MaxConsecutiveSkippedSteps}");
        Require(LogEvery >= 1, nameof(LogEvery), $"must be at least 1, not {LogEvery}");
        return this;
    }
}
