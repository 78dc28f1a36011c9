using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Torch;

// Autograd: tracking, backward, gradients.
public sealed partial class Tensor
{
    /// <summary>Whether operations on this tensor are recorded for backward.</summary>
    public bool RequiresGrad
    {
        get
        {
            Native.Check(Native.lr_requires_grad(Handle, out var flag));
            return flag != 0;
        }
        set => Native.Check(Native.lr_set_requires_grad(Handle, value ? 1 : 0));
    }

    /// <summary>Marks the tensor as a leaf that accumulates a gradient; returns it.</summary>
    public Tensor RequiringGrad()
    {
        RequiresGrad = true;
        return this;
    }

    /// <summary>The accumulated gradient (a new handle sharing its storage), or null before any backward.</summary>
    public Tensor? Grad
    {
        get
        {
            Native.Check(Native.lr_grad(Handle, out var grad));
            return grad == 0 ? null : new Tensor(grad);
        }
        set => Native.Check(Native.lr_set_grad(Handle, value?.Handle ?? TensorHandle.Null));
    }

    /// <summary>Backpropagates from this tensor; <paramref name="gradient"/> is required unless it holds one element.</summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) =>
        Native.Check(Native.lr_backward(Handle, gradient?.Handle ?? TensorHandle.Null, retainGraph ? 1 : 0));

    /// <summary>The same storage, cut from the graph.</summary>
    public Tensor Detach() => Wrap(Native.lr_detach(Handle, out var r), r);
}

/// <summary>
/// Turns gradient recording off on this thread until disposed (libtorch's grad mode is per
/// thread), restoring what was there before.
/// </summary>
public readonly struct NoGradScope : IDisposable
{
    private readonly bool previous;

    public NoGradScope()
    {
        previous = IsEnabled;
        Native.Check(Native.lr_set_grad_enabled(0));
    }

    public static bool IsEnabled
    {
        get
        {
            Native.Check(Native.lr_grad_enabled(out var enabled));
            return enabled != 0;
        }
    }

    public void Dispose() => Native.Check(Native.lr_set_grad_enabled(previous ? 1 : 0));
}
