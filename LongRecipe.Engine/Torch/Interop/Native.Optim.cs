using System.Runtime.InteropServices;

namespace LongRecipe.Engine.Torch.Interop;

// optim.cpp: fused optimizer kernels.
internal static partial class Native
{
    [LibraryImport(Library)] internal static partial int lr_fused_adamw_available(out int available, out int lrOnDevice);

    [LibraryImport(Library)]
    internal static partial int lr_fused_adamw_(ReadOnlySpan<nint> parameters, ReadOnlySpan<nint> grads, ReadOnlySpan<nint> expAvgs,
        ReadOnlySpan<nint> expAvgSqs, ReadOnlySpan<nint> steps, int count, double lr, TensorHandle lrOnDevice, double beta1, double beta2,
        double weightDecay, double eps, TensorHandle foundInf);
}
