using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Torch;

/// <summary>
/// Activation checkpointing: trades compute for memory. While gradients are recorded,
/// <see cref="Run"/> keeps only the function's input; backward runs the function again, with
/// gradients, to rebuild the activations it needs. A decoder checkpointed per layer holds one
/// layer's activations at a time instead of all of them.
/// </summary>
public static class ActivationCheckpoint
{
    /// <summary>
    /// function(input), recomputed during backward. The function must be deterministic, and
    /// whatever it captures (parameters, rotary tables, masks) must stay alive until backward;
    /// it may run on another thread then (libtorch's autograd threads for CUDA).
    /// </summary>
    public static unsafe Tensor Run(Func<Tensor, Tensor> function, Tensor input)
    {
        if (!NoGradScope.IsEnabled) return function(input);
        var call = new Call(function);
        var state = GCHandle.Alloc(call);
        var status = Native.lr_checkpoint(&Invoke, &Release, GCHandle.ToIntPtr(state), input.Handle, out var result);
        if (status != 0 && call.Error is { } error) ExceptionDispatchInfo.Throw(error);
        return Tensor.Wrap(status, result);
    }

    private sealed class Call(Func<Tensor, Tensor> function)
    {
        public Func<Tensor, Tensor> Function { get; } = function;

        /// <summary>The first failure, rethrown as is when it happens in the forward pass.</summary>
        public Exception? Error { get; set; }
    }

    [UnmanagedCallersOnly]
    private static unsafe int Invoke(nint state, nint input, nint* output, nint* error)
    {
        var call = (Call)GCHandle.FromIntPtr(state).Target!;
        try
        {
            // A scope of its own: backward may call in on a thread with no scope, and nothing
            // made here but the output may outlive the call.
            using var scope = DisposeScope.Enter();
            *output = call.Function(Tensor.Own(input)).TransferOwnership();
            return 0;
        }
        catch (Exception e)
        {
            call.Error ??= e;
            *error = Marshal.StringToCoTaskMemUTF8(e.Message);
            return 1;
        }
    }

    [UnmanagedCallersOnly]
    private static void Release(nint state) => GCHandle.FromIntPtr(state).Free();
}
