using System.Runtime.InteropServices;

namespace LongRecipe.Engine.Torch.Interop;

// tensor.cpp: lifetime, metadata, creation, copies.
internal static partial class Native
{
    [LibraryImport(Library)] internal static partial void lr_tensor_free(nint t);
    [LibraryImport(Library)] internal static partial int lr_tensor_dim(TensorHandle t, out int dim);
    [LibraryImport(Library)] internal static partial int lr_tensor_shape(TensorHandle t, Span<long> shape, int capacity);
    [LibraryImport(Library)] internal static partial int lr_tensor_dtype(TensorHandle t, out int dtype);
    [LibraryImport(Library)] internal static partial int lr_tensor_device(TensorHandle t, out int type, out int index);
    [LibraryImport(Library)] internal static partial int lr_tensor_is_contiguous(TensorHandle t, out int contiguous);
    [LibraryImport(Library)] internal static partial int lr_tensor_data_ptr(TensorHandle t, out nint data);

    [LibraryImport(Library)]
    internal static unsafe partial int lr_tensor_from_data(void* data, ReadOnlySpan<long> shape, int ndim, int sourceDType,
        int dtype, int deviceType, int deviceIndex, out nint result);

    [LibraryImport(Library)]
    internal static partial int lr_tensor_empty(ReadOnlySpan<long> shape, int ndim, int dtype, int deviceType, int deviceIndex,
        out nint result);

    [LibraryImport(Library)]
    internal static partial int lr_tensor_full(ReadOnlySpan<long> shape, int ndim, double value, long integer, int isInteger,
        int dtype, int deviceType, int deviceIndex, out nint result);

    [LibraryImport(Library)]
    internal static partial int lr_tensor_arange(double start, double end, double step, int dtype, int deviceType,
        int deviceIndex, out nint result);

    [LibraryImport(Library)] internal static unsafe partial int lr_tensor_copy_to_host(TensorHandle t, void* destination, long nbytes);
    [LibraryImport(Library)] internal static partial int lr_tensor_to(TensorHandle t, int dtype, int deviceType, int deviceIndex, out nint result);
    [LibraryImport(Library)] internal static partial int lr_tensor_clone(TensorHandle t, out nint result);
    [LibraryImport(Library)] internal static partial int lr_tensor_contiguous(TensorHandle t, out nint result);
    [LibraryImport(Library)] internal static partial int lr_tensor_item(TensorHandle t, out double value);
    [LibraryImport(Library)] internal static partial int lr_tensor_item_int(TensorHandle t, out long value);
    [LibraryImport(Library)] internal static partial int lr_tensor_copy_(TensorHandle destination, TensorHandle source);
    [LibraryImport(Library)] internal static unsafe partial int lr_tensor_copy_from_host(TensorHandle destination, void* data, long nbytes, int sourceDType);
    [LibraryImport(Library)] internal static partial int lr_tensor_fill_(TensorHandle t, double value, long integer, int isInteger);
}
