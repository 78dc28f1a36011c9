using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Torch;

/// <summary>libtorch's fused AdamW kernel (torch.optim.AdamW(fused=True)): one launch for all parameters, CUDA only.</summary>
internal static class FusedAdamW
{
    /// <summary>Whether the libtorch in use has the kernel (2.1 and newer).</summary>
    public static bool IsAvailable { get; } = Available();

    /// <summary>Increments each f32 step counter, then updates parameters and both moments in place.</summary>
    public static void Step(IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor> grads, IReadOnlyList<Tensor> expAvgs,
        IReadOnlyList<Tensor> expAvgSqs, IReadOnlyList<Tensor> steps, double lr, double beta1, double beta2, double weightDecay,
        double eps)
    {
        using var p = new HandleArray(parameters);
        using var g = new HandleArray(grads);
        using var m = new HandleArray(expAvgs);
        using var v = new HandleArray(expAvgSqs);
        using var s = new HandleArray(steps);
        Native.Check(Native.lr_fused_adamw_(p.Pointers, g.Pointers, m.Pointers, v.Pointers, s.Pointers, parameters.Count, lr, beta1,
            beta2, weightDecay, eps));
    }

    private static bool Available()
    {
        Native.Check(Native.lr_fused_adamw_available(out var available));
        return available != 0;
    }
}
