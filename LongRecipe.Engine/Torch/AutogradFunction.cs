using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Torch;

/// <summary>
/// A differentiable function defined by its forward and backward, as torch.autograd.Function: for work autograd does
/// not see (a kernel the engine launches itself), with the gradient the subclass gives. <see cref="Apply"/> runs
/// <see cref="Forward"/> with autograd off; backward calls <see cref="Backward"/>, on libtorch's autograd thread for CUDA.
/// Tensors backward needs are kept with <see cref="Save"/>, which the function owns until autograd drops it.
/// </summary>
/// <param name="outputs">How many tensors <see cref="Forward"/> gives.</param>
public abstract class AutogradFunction(int outputs = 1)
{
    private readonly int outputs = outputs;
    private readonly List<Tensor> saved = [];
    private Tensor[] inputs = [];
    private Exception? forwardError;

    /// <summary>The outputs, computed from the inputs given to <see cref="Apply"/>.</summary>
    protected abstract Tensor[] Forward();

    /// <summary>The gradient of each input given to <see cref="Apply"/>, in order (null where it needs none), from the
    /// outputs' (zeros for an output that got none).</summary>
    protected abstract Tensor?[] Backward(Tensor[] gradOutputs);

    /// <summary>Keeps <paramref name="tensor"/> for <see cref="Backward"/>: the returned tensor shares its storage and lives
    /// as long as the function, whatever scope disposes the original.</summary>
    protected Tensor Save(Tensor tensor)
    {
        var kept = DisposeScope.Detach(tensor.Detach());
        saved.Add(kept);
        return kept;
    }

    /// <summary>Forward's outputs, whose gradients reach <paramref name="inputs"/> through Backward. The function is used
    /// once.</summary>
    public unsafe Tensor[] Apply(params Tensor[] inputs)
    {
        if (this.inputs.Length > 0) throw new InvalidOperationException("an autograd function is applied once");
        this.inputs = inputs;
        if (!NoGradScope.IsEnabled || !inputs.Any(i => i.RequiresGrad))
        {
            try
            {
                return CheckedOutputs(Forward());
            }
            finally
            {
                ReleaseSaved();
            }
        }
        var state = GCHandle.Alloc(this);
        using var handles = new HandleArray(inputs);
        var results = stackalloc nint[outputs];
        var status = Native.lr_managed_function(&InvokeForward, &InvokeBackward, &Release, GCHandle.ToIntPtr(state),
            handles.Pointers, handles.Pointers.Length, outputs, results);
        if (status != 0 && forwardError is { } error) ExceptionDispatchInfo.Throw(error);
        Native.Check(status);
        var tensors = new Tensor[outputs];
        for (var i = 0; i < outputs; i++) tensors[i] = Tensor.Own(results[i]);
        return tensors;
    }

    private Tensor[] CheckedOutputs(Tensor[] results) => results.Length == outputs ? results
        : throw new InvalidOperationException($"forward gave {results.Length} outputs where the function declares {outputs}");

    private void ReleaseSaved()
    {
        foreach (var tensor in saved) tensor.Dispose();
        saved.Clear();
    }

    [UnmanagedCallersOnly]
    private static unsafe int InvokeForward(nint state, nint* output, nint* error)
    {
        var function = (AutogradFunction)GCHandle.FromIntPtr(state).Target!;
        try
        {
            using var scope = DisposeScope.Enter();
            var results = function.CheckedOutputs(function.Forward());
            for (var i = 0; i < results.Length; i++) output[i] = results[i].TransferOwnership();
            return 0;
        }
        catch (Exception e)
        {
            function.forwardError = e;
            *error = Marshal.StringToCoTaskMemUTF8(e.Message);
            return 1;
        }
    }

    [UnmanagedCallersOnly]
    private static unsafe int InvokeBackward(nint state, nint* gradOutputs, nint* gradients, nint* error)
    {
        var function = (AutogradFunction)GCHandle.FromIntPtr(state).Target!;
        try
        {
            // A scope of its own: this runs on an autograd thread, and nothing made here but the gradients outlives it.
            using var scope = DisposeScope.Enter();
            var grads = new Tensor[function.outputs];
            for (var i = 0; i < grads.Length; i++) grads[i] = Tensor.Own(gradOutputs[i]);
            var result = function.Backward(grads);
            if (result.Length != function.inputs.Length)
                throw new InvalidOperationException($"backward gave {result.Length} gradients for {function.inputs.Length} inputs");
            // Each gradient's handle goes to autograd, so one object given twice would be disposed by the first handing.
            for (var i = 0; i < result.Length; i++)
                for (var j = 0; j < i; j++)
                    if (result[i] is { } repeated && ReferenceEquals(repeated, result[j]))
                        throw new InvalidOperationException(
                            $"backward gave one Tensor object as the gradient of inputs {j} and {i}: give each its own handle");
            for (var i = 0; i < result.Length; i++) gradients[i] = result[i]?.TransferOwnership() ?? 0;
            return 0;
        }
        catch (Exception e)
        {
            *error = Marshal.StringToCoTaskMemUTF8(e.Message);
            return 1;
        }
    }

    [UnmanagedCallersOnly]
    private static void Release(nint state)
    {
        var handle = GCHandle.FromIntPtr(state);
        ((AutogradFunction)handle.Target!).ReleaseSaved();
        handle.Free();
    }
}
