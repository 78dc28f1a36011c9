using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Torch;

/// <summary>libtorch's fused AdamW kernel (torch.optim.AdamW(fused=True)): one launch for all parameters, CUDA only.</summary>
internal static class FusedAdamW
{
    /// <summary>Whether the libtorch in use has the kernel (2.1 and newer).</summary>
    public static bool IsAvailable => Versions.Fused;

    /// <summary>Whether it takes the learning rate as a tensor on the device (2.3 and newer), as a recorded step needs.</summary>
    public static bool TakesLearningRateOnDevice => Versions.LrOnDevice;

    private static readonly (bool Fused, bool LrOnDevice) Versions = Available();

    /// <summary>
    /// Increments each f32 step counter, then updates parameters and both moments in place. With
    /// <paramref name="lrOnDevice"/> (0-dim f32 on the parameters' device) the rate is read there instead of
    /// <paramref name="lr"/>; with <paramref name="skip"/> (0-dim f32, 1 or 0) a 1 leaves everything as it was, counters
    /// included. With both, nothing is read back to the host, so the step can be recorded in a <see cref="CudaGraph"/>.
    /// </summary>
    public static void Step(IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor> grads, IReadOnlyList<Tensor> expAvgs,
        IReadOnlyList<Tensor> expAvgSqs, IReadOnlyList<Tensor> steps, double lr, double beta1, double beta2, double weightDecay,
        double eps, Tensor? lrOnDevice = null, Tensor? skip = null)
    {
        using var p = new HandleArray(parameters);
        using var g = new HandleArray(grads);
        using var m = new HandleArray(expAvgs);
        using var v = new HandleArray(expAvgSqs);
        using var s = new HandleArray(steps);
        Native.Check(Native.lr_fused_adamw_(p.Pointers, g.Pointers, m.Pointers, v.Pointers, s.Pointers, parameters.Count, lr,
            lrOnDevice?.Handle ?? TensorHandle.Null, beta1, beta2, weightDecay, eps, skip?.Handle ?? TensorHandle.Null));
    }

    private static (bool, bool) Available()
    {
        Native.Check(Native.lr_fused_adamw_available(out var fused, out var lrOnDevice));
        return (fused != 0, lrOnDevice != 0);
    }
}
