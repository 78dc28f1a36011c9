using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Optim;

/// <summary>Hyperparameters of AdamW, e.g. lr 5e-5, betas (0.9, 0.95), eps 1e-8, weight decay 0.1.</summary>
public sealed record AdamWOptions(
    double LearningRate = 1e-3,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Epsilon = 1e-8,
    double WeightDecay = 0.01);

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter), as torch.optim.AdamW computes it.
/// At step t, for each parameter p with gradient g:
///   p ← p · (1 − lr·λ)
///   m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²
///   p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// Parameters without a gradient are skipped. The moments live as long as the optimizer. On CUDA
/// with libtorch 2.1 or newer, one fused kernel does the whole step.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly IReadOnlyList<Tensor> parameters;
    private readonly Tensor?[] firstMoments;
    private readonly Tensor?[] secondMoments;
    private readonly Tensor?[] fusedSteps;

    public AdamWOptions Options { get; }

    /// <summary>The learning rate of the next step; schedules set it before each step.</summary>
    public double LearningRate { get; set; }

    /// <summary>Steps taken so far (t of the last step).</summary>
    public long StepCount { get; private set; }

    public AdamW(IReadOnlyList<Tensor> parameters, AdamWOptions options)
    {
        this.parameters = parameters;
        Options = options;
        LearningRate = options.LearningRate;
        firstMoments = new Tensor?[parameters.Count];
        secondMoments = new Tensor?[parameters.Count];
        fusedSteps = new Tensor?[parameters.Count];
    }

    public void Step()
    {
        StepCount++;
        using var noGrad = new NoGradScope();
        using var scope = DisposeScope.Enter();
        var updates = new List<(int Index, Tensor Grad)>();
        for (var i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].Grad is not { } g) continue;
            var p = parameters[i];
            firstMoments[i] ??= DisposeScope.Detach(Tensor.Zeros(p.Shape, p.DType, p.Device));
            secondMoments[i] ??= DisposeScope.Detach(Tensor.Zeros(p.Shape, p.DType, p.Device));
            updates.Add((i, g));
        }
        if (updates.Count == 0) return;
        if (FusedAdamW.IsAvailable && updates.All(u => parameters[u.Index].Device.IsCuda))
            FusedStep(updates);
        else
            PlainStep(updates);
    }

    private void PlainStep(List<(int Index, Tensor Grad)> updates)
    {
        var (lr, b1, b2, eps) = (LearningRate, Options.Beta1, Options.Beta2, Options.Epsilon);
        var biasCorrection1 = 1 - Math.Pow(b1, StepCount);
        var sqrtBiasCorrection2 = Math.Sqrt(1 - Math.Pow(b2, StepCount));
        foreach (var (i, g) in updates)
        {
            var (p, m, v) = (parameters[i], firstMoments[i]!, secondMoments[i]!);
            p.MulInPlace(1 - lr * Options.WeightDecay);
            m.LerpInPlace(g, 1 - b1);
            v.MulInPlace(b2).AddcmulInPlace(g, g, 1 - b2);
            var denominator = v.Sqrt().DivInPlace(sqrtBiasCorrection2).AddInPlace(eps);
            p.AddcdivInPlace(m, denominator, -lr / biasCorrection1);
        }
    }

    /// <summary>The kernel keeps its own step count per parameter; it starts where the optimizer is.</summary>
    private void FusedStep(List<(int Index, Tensor Grad)> updates)
    {
        foreach (var (i, _) in updates)
            fusedSteps[i] ??= DisposeScope.Detach(Tensor.Full([], StepCount - 1, DType.Float32, parameters[i].Device));
        FusedAdamW.Step(
            updates.Select(u => parameters[u.Index]).ToList(), updates.Select(u => u.Grad).ToList(),
            updates.Select(u => firstMoments[u.Index]!).ToList(), updates.Select(u => secondMoments[u.Index]!).ToList(),
            updates.Select(u => fusedSteps[u.Index]!).ToList(),
            LearningRate, Options.Beta1, Options.Beta2, Options.WeightDecay, Options.Epsilon);
    }

    /// <summary>Parameter <paramref name="index"/>'s first and second moments, null before its first update; for checkpoints.</summary>
    public (Tensor? First, Tensor? Second) Moments(int index) => (firstMoments[index], secondMoments[index]);

    /// <summary>
    /// Continues from a checkpoint: the step count and each parameter's moments (copied in, onto the
    /// parameter's device and dtype; null for a parameter not yet updated).
    /// </summary>
    public void Restore(long stepCount, IReadOnlyList<(Tensor? First, Tensor? Second)> moments)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        if (moments.Count != parameters.Count)
            throw new ArgumentException($"{moments.Count} moment pairs for {parameters.Count} parameters", nameof(moments));
        using var noGrad = new NoGradScope();
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            Tensor? Copy(Tensor? t) => t is null ? null : DisposeScope.Detach(Tensor.Empty(p.Shape, p.DType, p.Device).CopyFrom(t));
            firstMoments[i]?.Dispose();
            secondMoments[i]?.Dispose();
            fusedSteps[i]?.Dispose();
            (firstMoments[i], secondMoments[i], fusedSteps[i]) = (Copy(moments[i].First), Copy(moments[i].Second), null);
        }
        StepCount = stepCount;
    }

    /// <summary>Clears every parameter's gradient (drops it, as set_to_none does).</summary>
    public void ZeroGrad()
    {
        foreach (var p in parameters) p.Grad = null;
    }

    public void Dispose()
    {
        foreach (var t in firstMoments) t?.Dispose();
        foreach (var t in secondMoments) t?.Dispose();
        foreach (var t in fusedSteps) t?.Dispose();
    }
}
