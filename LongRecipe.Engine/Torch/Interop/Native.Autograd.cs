using System.Runtime.InteropServices;

namespace LongRecipe.Engine.Torch.Interop;

// autograd.cpp: gradient tracking, backward, grad mode; checkpoint.cpp: activation checkpointing; function.cpp: functions
// whose forward and backward are managed code.
internal static partial class Native
{
    [LibraryImport(Library)] internal static partial int lr_set_requires_grad(TensorHandle t, int flag);
    [LibraryImport(Library)] internal static partial int lr_requires_grad(TensorHandle t, out int flag);
    [LibraryImport(Library)] internal static partial int lr_grad(TensorHandle t, out nint grad);
    [LibraryImport(Library)] internal static partial int lr_set_grad(TensorHandle t, TensorHandle grad);
    [LibraryImport(Library)] internal static partial int lr_backward(TensorHandle t, TensorHandle grad, int retainGraph);
    [LibraryImport(Library)] internal static partial int lr_detach(TensorHandle t, out nint result);
    [LibraryImport(Library)] internal static partial int lr_grad_enabled(out int enabled);
    [LibraryImport(Library)] internal static partial int lr_set_grad_enabled(int enabled);

    [LibraryImport(Library)]
    internal static unsafe partial int lr_checkpoint(delegate* unmanaged<nint, nint, nint*, nint*, int> function,
        delegate* unmanaged<nint, void> release, nint state, TensorHandle input, out nint result);

    [LibraryImport(Library)]
    internal static unsafe partial int lr_managed_function(delegate* unmanaged<nint, nint*, nint*, int> forward,
        delegate* unmanaged<nint, nint*, nint*, nint*, int> backward, delegate* unmanaged<nint, void> release, nint state,
        ReadOnlySpan<nint> inputs, int count, int outputs, nint* results);
}
