using System.Runtime.InteropServices;

namespace LongRecipe.Engine.Torch.Interop;

/// <summary>Owns one native at::Tensor; the finalizer frees it if Dispose was never called.</summary>
internal sealed class TensorHandle : SafeHandle
{
    /// <summary>Passed for an absent optional tensor argument (a null pointer on the native side).</summary>
    internal static readonly TensorHandle Null = new(0);

    internal TensorHandle(nint handle) : base(0, ownsHandle: handle != 0) => SetHandle(handle);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        Native.lr_tensor_free(handle);
        return true;
    }
}

/// <summary>Owns one native object (not a tensor), freed once when disposed or finalized.</summary>
internal abstract class OwnedHandle : SafeHandle
{
    protected OwnedHandle(nint handle) : base(0, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == 0;

    protected abstract void Free(nint handle);

    protected override bool ReleaseHandle()
    {
        Free(handle);
        return true;
    }
}

/// <summary>Owns one native at::Generator.</summary>
internal sealed class GeneratorHandle(nint handle) : OwnedHandle(handle)
{
    protected override void Free(nint handle) => Native.lr_generator_free(handle);
}

/// <summary>Owns one native at::cuda::CUDAGraph.</summary>
internal sealed class CudaGraphHandle(nint handle) : OwnedHandle(handle)
{
    protected override void Free(nint handle) => Native.lr_cuda_graph_free(handle);
}
