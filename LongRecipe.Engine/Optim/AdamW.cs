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
/// Parameters without a gradient are skipped. The moments live as long as the optimizer.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly IReadOnlyList<Tensor> parameters;
    private readonly Tensor?[] firstMoments;
    private readonly Tensor?[] secondMoments;

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
    }

    public void Step()
    {
        StepCount++;
        var (lr, b1, b2, eps) = (LearningRate, Options.Beta1, Options.Beta2, Options.Epsilon);
        var biasCorrection1 = 1 - Math.Pow(b1, StepCount);
        var sqrtBiasCorrection2 = Math.Sqrt(1 - Math.Pow(b2, StepCount));
        using var noGrad = new NoGradScope();
        using var scope = DisposeScope.Enter();
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if (p.Grad is not { } g) continue;
            var m = firstMoments[i] ??= DisposeScope.Detach(Tensor.Zeros(p.Shape, p.DType, p.Device));
            var v = secondMoments[i] ??= DisposeScope.Detach(Tensor.Zeros(p.Shape, p.DType, p.Device));

            p.MulInPlace(1 - lr * Options.WeightDecay);
            m.LerpInPlace(g, 1 - b1);
            v.MulInPlace(b2).AddcmulInPlace(g, g, 1 - b2);
            var denominator = v.Sqrt().DivInPlace(sqrtBiasCorrection2).AddInPlace(eps);
            p.AddcdivInPlace(m, denominator, -lr / biasCorrection1);
        }
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
    }
}
