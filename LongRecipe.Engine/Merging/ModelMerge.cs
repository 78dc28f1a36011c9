using LongRecipe.Engine.Model;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Merging;

public enum MergeMethod
{
    /// <summary>θ = mean(θ_base, θ_1 … θ_n): the paper's merge of the extended model with the original.</summary>
    Average,
    /// <summary>θ = α·θ_1 + (1−α)·θ_base (one model).</summary>
    Weighted,
    /// <summary>
    /// TIES (Yadav et al., 2023): task vectors τ_i = θ_i − θ_base trimmed to their top <c>density</c> share by
    /// magnitude, a sign elected per entry by the sign of Σ τ_i, and θ = θ_base + the mean of the trimmed
    /// τ_i that agree with it (entries where none agree stay θ_base).
    /// </summary>
    Ties,
    /// <summary>
    /// Spherical interpolation per tensor at t = α (one model): θ = sin((1−t)Ω)/sin Ω·θ_base + sin(tΩ)/sin Ω·θ_1,
    /// Ω the angle between the flattened tensors; linear interpolation where they are nearly parallel.
    /// </summary>
    Slerp,
}

/// <summary>How to merge: Alpha is read by weighted and slerp, Density by ties.</summary>
public sealed record MergeSpec(MergeMethod Method = MergeMethod.Average, double Alpha = 0.5, double Density = 0.2)
{
    /// <summary>The methods that read Alpha and Density, as an error refusing one given to another method names them.</summary>
    public const string AlphaReaders = "weighted and slerp", DensityReaders = "ties";

    public bool ReadsAlpha => Method is MergeMethod.Weighted or MergeMethod.Slerp;

    public bool ReadsDensity => Method is MergeMethod.Ties;

    public MergeSpec Validate() =>
        Alpha is < 0 or > 1 ? throw new ArgumentException($"alpha must be in [0, 1], not {Alpha}", nameof(Alpha))
        : Density is <= 0 or > 1 ? throw new ArgumentException($"density must be in (0, 1], not {Density}", nameof(Density))
        : this;
}

/// <summary>Merges models of one shape tensor by tensor (in f32, one dispose scope per tensor).</summary>
public static class ModelMerge
{
    // Below this |cos Ω| distance from ±1 the slerp weights lose precision: interpolate linearly.
    private const double ParallelTolerance = 1e-6;

    /// <summary>
    /// Writes the merge of <paramref name="models"/> with <paramref name="baseModel"/> into
    /// <paramref name="target"/>'s parameters (which may be one of the models), each tensor in the
    /// target's dtype. Every model must have the base's parameter names and shapes.
    /// </summary>
    public static void Merge(LlamaModel target, LlamaModel baseModel, IReadOnlyList<LlamaModel> models, MergeSpec spec,
        IProgress<double>? progress = null, CancellationToken cancel = default)
    {
        spec.Validate();
        if (models.Count == 0) throw new ArgumentException("merging needs at least one model besides the base", nameof(models));
        if (spec.Method is MergeMethod.Weighted or MergeMethod.Slerp && models.Count != 1)
            throw new ArgumentException($"{spec.Method.ToString().ToLowerInvariant()} merges exactly one model with the base, not {models.Count}", nameof(models));
        var names = baseModel.Parameters.Names;
        foreach (var model in models.Append(target))
            if (Difference(baseModel.Parameters, model.Parameters) is { } difference)
                throw new ArgumentException($"a model differs from the base: it {difference}");

        using var noGrad = new NoGradScope();
        for (var i = 0; i < names.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = DisposeScope.Enter();
            var name = names[i];
            var theta0 = baseModel.Parameters[name].To(DType.Float32);
            var thetas = models.Select(m => m.Parameters[name].To(DType.Float32, theta0.Device)).ToList();
            var merged = MergeTensor(theta0, thetas, spec);
            var destination = target.Parameters[name];
            destination.CopyFrom(merged.To(destination.DType, destination.Device));
            progress?.Report((i + 1.0) / names.Count);
        }
    }

    /// <summary>One tensor's merge (all f32, same device); see <see cref="MergeMethod"/> for the formulas.</summary>
    public static Tensor MergeTensor(Tensor theta0, IReadOnlyList<Tensor> thetas, MergeSpec spec) => spec.Method switch
    {
        MergeMethod.Average => thetas.Aggregate(theta0, (sum, t) => sum.Add(t)).Div(thetas.Count + 1),
        MergeMethod.Weighted => thetas[0].Mul(spec.Alpha).Add(theta0.Mul(1 - spec.Alpha)),
        MergeMethod.Slerp => Slerp(theta0, thetas[0], spec.Alpha),
        _ => Ties(theta0, thetas, spec.Density),
    };

    private static Tensor Slerp(Tensor a, Tensor b, double t)
    {
        var (normA, normB) = (a.Norm().ToDouble(), b.Norm().ToDouble());
        if (normA == 0 || normB == 0) return b.Mul(t).Add(a.Mul(1 - t));
        var cos = Math.Clamp(a.Mul(b).Sum().ToDouble() / (normA * normB), -1, 1);
        if (1 - Math.Abs(cos) < ParallelTolerance) return b.Mul(t).Add(a.Mul(1 - t));
        var omega = Math.Acos(cos);
        return a.Mul(Math.Sin((1 - t) * omega) / Math.Sin(omega)).Add(b.Mul(Math.Sin(t * omega) / Math.Sin(omega)));
    }

    private static Tensor Ties(Tensor theta0, IReadOnlyList<Tensor> thetas, double density)
    {
        var trimmed = thetas.Select(t => Trim(t.Sub(theta0), density)).ToList();
        var elected = trimmed.Aggregate((sum, tau) => sum.Add(tau)).Sign();
        Tensor? total = null, count = null;
        foreach (var tau in trimmed)
        {
            // An entry counts for model i when its trimmed τ_i is non-zero and has the elected sign.
            var agrees = tau.Sign().Eq(elected).LogicalAnd(tau.Ne(0));
            var kept = Tensor.Where(agrees, tau, Tensor.Zeros([], DType.Float32, tau.Device));
            var one = agrees.To(DType.Float32);
            (total, count) = total is null ? (kept, one) : (total.Add(kept), count!.Add(one));
        }
        return theta0.Add(total!.Div(count!.Clamp(min: 1)));
    }

    /// <summary>τ with all but its ⌈density·n⌉ largest-magnitude entries set to zero (ties at the threshold kept).</summary>
    private static Tensor Trim(Tensor tau, double density)
    {
        var k = (long)Math.Ceiling(density * tau.NumElements);
        if (k >= tau.NumElements) return tau;
        var (values, _) = tau.Abs().Flatten().TopK(k);
        var threshold = values.Min().ToDouble();
        return tau.MaskedFill(tau.Abs().Lt(threshold), 0);
    }

    /// <summary>
    /// How <paramref name="model"/>'s tensors differ from <paramref name="baseModel"/>'s, e.g. "has lm_head.weight, which the base
    /// lacks"; null when both have the same names and shapes. Both directions count: a tensor only the model has (a bias, an
    /// untied lm_head) would keep its own values unmerged.
    /// </summary>
    public static string? Difference(Parameters baseModel, Parameters model)
    {
        var missing = baseModel.Names.Where(n => !model.Contains(n)).ToList();
        if (missing.Count > 0) return $"lacks {string.Join(", ", missing.Take(5))}, which the base has";
        var extra = model.Names.Where(n => !baseModel.Contains(n)).ToList();
        if (extra.Count > 0) return $"has {string.Join(", ", extra.Take(5))}, which the base lacks";
        foreach (var name in baseModel.Names)
        {
            var (a, b) = (baseModel[name].Shape, model[name].Shape);
            if (!a.SequenceEqual(b)) return $"has {name} of shape [{string.Join(", ", b)}], the base [{string.Join(", ", a)}]";
        }
        return null;
    }
}
