using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Optim;

public static class GradientClipping
{
    /// <summary>
    /// Scales all gradients together so their global L2 norm ‖(g₁, …, gₙ)‖₂ is at most
    /// <paramref name="maxNorm"/>: each g ← g · min(1, maxNorm / (norm + 1e-6)), as
    /// torch.nn.utils.clip_grad_norm_ does. Returns the norm before clipping (NaN or ∞ when a
    /// gradient is not finite, which callers use to skip the step). Parameters without a
    /// gradient are ignored.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        using var noGrad = new NoGradScope();
        using var scope = DisposeScope.Enter();
        var grads = Gradients(parameters);
        if (grads.Count == 0) return 0;
        var total = TotalNorm(grads).ToDouble();
        var coefficient = maxNorm / (total + 1e-6);
        if (coefficient < 1)
            foreach (var g in grads) g.MulInPlace(coefficient);
        return total;
    }

    /// <summary>
    /// <see cref="ClipGradNorm"/> with the norm left on the device: every gradient is multiplied by
    /// min(1, maxNorm / (norm + 1e-6)) computed there (in f32), so nothing waits for the host and a
    /// <see cref="CudaGraph"/> can record it. Returns the norm, a 0-dim f32 tensor (0 without gradients).
    /// </summary>
    public static Tensor ClipGradNormOnDevice(IReadOnlyList<Tensor> parameters, double maxNorm)
    {
        using var noGrad = new NoGradScope();
        using var scope = DisposeScope.Enter();
        var grads = Gradients(parameters);
        if (grads.Count == 0) return scope.MoveToOuter(Tensor.Zeros([], DType.Float32, parameters[0].Device));
        var total = TotalNorm(grads);
        if (double.IsFinite(maxNorm))
        {
            var coefficient = (Tensor.Full([], maxNorm, DType.Float32, total.Device) / total.Add(1e-6)).Clamp(max: 1);
            foreach (var g in grads) g.MulInPlace(coefficient);
        }
        return scope.MoveToOuter(total);
    }

    private static List<Tensor> Gradients(IEnumerable<Tensor> parameters) => parameters.Select(p => p.Grad).OfType<Tensor>().ToList();

    /// <summary>‖(g₁, …, gₙ)‖₂ in f32, a 0-dim tensor.</summary>
    private static Tensor TotalNorm(List<Tensor> grads)
    {
        // One f32 copy at a time: bf16 gradients without f32 masters (the 8B setting) would otherwise hold all of them at once.
        var norms = grads.Select(g =>
        {
            using var one = DisposeScope.Enter();
            return one.MoveToOuter(g.To(DType.Float32).Norm(2));
        }).ToList();
        return Tensor.Stack(norms).Norm(2);
    }
}
