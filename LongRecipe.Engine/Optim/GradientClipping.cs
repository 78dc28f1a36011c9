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
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0;
        // One f32 copy at a time: bf16 gradients without f32 masters (the 8B setting) would otherwise hold all of them at once.
        var norms = grads.Select(g =>
        {
            using var one = DisposeScope.Enter();
            return one.MoveToOuter(g.To(DType.Float32).Norm(2));
        }).ToList();
        var total = Tensor.Stack(norms).Norm(2).ToDouble();
        var coefficient = maxNorm / (total + 1e-6);
        if (coefficient < 1)
            foreach (var g in grads) g.MulInPlace(coefficient);
        return total;
    }
}
