using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Torch;

/// <summary>
/// A libtorch tensor. It owns exactly one native handle: Dispose frees it at once, the
/// innermost <see cref="DisposeScope"/> disposes it at the scope's end, and a finalizer frees
/// it as a last resort. Operations live in the partial files beside this one.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly TensorHandle handle;

    internal DisposeScope? Scope { get; set; }

    private Tensor(nint native)
    {
        handle = new TensorHandle(native);
        DisposeScope.Adopt(this);
    }

    /// <summary>Wraps a handle the shim returned (a status of 0 guarantees it is set).</summary>
    internal static Tensor Wrap(int status, nint native)
    {
        Native.Check(status);
        return new Tensor(native);
    }

    /// <summary>Takes ownership of a handle native code handed over.</summary>
    internal static Tensor Own(nint native) => new(native);

    /// <summary>Hands the native handle's ownership to native code; this tensor counts as disposed afterwards.</summary>
    internal nint TransferOwnership()
    {
        var native = Handle.DangerousGetHandle();
        handle.SetHandleAsInvalid();
        return native;
    }

    /// <summary>The native handle, for P/Invoke; throws once the tensor is disposed.</summary>
    internal TensorHandle Handle =>
        handle.IsClosed ? throw new ObjectDisposedException(nameof(Tensor), "the tensor was used after it was disposed") : handle;

    public bool IsDisposed => handle.IsClosed;

    public void Dispose() => handle.Dispose();

    // ---- metadata ----------------------------------------------------------

    public int Dim
    {
        get
        {
            Native.Check(Native.lr_tensor_dim(Handle, out var dim));
            return dim;
        }
    }

    public long[] Shape
    {
        get
        {
            var shape = new long[Dim];
            Native.Check(Native.lr_tensor_shape(Handle, shape, shape.Length));
            return shape;
        }
    }

    /// <summary>The size of one dimension; negative counts from the end.</summary>
    public long Size(int dim)
    {
        var shape = Shape;
        return shape[dim < 0 ? dim + shape.Length : dim];
    }

    public long NumElements
    {
        get
        {
            long n = 1;
            foreach (var s in Shape) n *= s;
            return n;
        }
    }

    public DType DType
    {
        get
        {
            Native.Check(Native.lr_tensor_dtype(Handle, out var dtype));
            return (DType)dtype;
        }
    }

    public Device Device
    {
        get
        {
            Native.Check(Native.lr_tensor_device(Handle, out var type, out var index));
            return new Device((DeviceType)type, index);
        }
    }

    public bool IsContiguous
    {
        get
        {
            Native.Check(Native.lr_tensor_is_contiguous(Handle, out var contiguous));
            return contiguous != 0;
        }
    }

    public override string ToString() =>
        IsDisposed ? "Tensor(disposed)" : $"Tensor([{string.Join(", ", Shape)}], {DType.ShortName()}, {Device})";
}
