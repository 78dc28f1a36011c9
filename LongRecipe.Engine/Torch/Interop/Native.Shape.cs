using System.Runtime.InteropServices;

namespace LongRecipe.Engine.Torch.Interop;

// shape.cpp: views, shape changes, joining, indexing.
internal static partial class Native
{
    [LibraryImport(Library)] internal static partial int lr_reshape(TensorHandle t, ReadOnlySpan<long> shape, int ndim, out nint result);
    [LibraryImport(Library)] internal static partial int lr_view(TensorHandle t, ReadOnlySpan<long> shape, int ndim, out nint result);
    [LibraryImport(Library)] internal static partial int lr_view_dtype(TensorHandle t, int dtype, out nint result);
    [LibraryImport(Library)] internal static partial int lr_permute(TensorHandle t, ReadOnlySpan<long> order, int ndim, out nint result);
    [LibraryImport(Library)] internal static partial int lr_transpose(TensorHandle t, long dim0, long dim1, out nint result);
    [LibraryImport(Library)] internal static partial int lr_unsqueeze(TensorHandle t, long dim, out nint result);
    [LibraryImport(Library)] internal static partial int lr_squeeze(TensorHandle t, long dim, out nint result);
    [LibraryImport(Library)] internal static partial int lr_flatten(TensorHandle t, long start, long end, out nint result);
    [LibraryImport(Library)] internal static partial int lr_expand(TensorHandle t, ReadOnlySpan<long> shape, int ndim, out nint result);
    [LibraryImport(Library)] internal static partial int lr_flip(TensorHandle t, ReadOnlySpan<long> dims, int ndim, out nint result);
    [LibraryImport(Library)] internal static partial int lr_repeat_interleave(TensorHandle t, long repeats, long dim, out nint result);
    [LibraryImport(Library)] internal static partial int lr_slice(TensorHandle t, long dim, long start, long end, long step, out nint result);
    [LibraryImport(Library)] internal static partial int lr_narrow(TensorHandle t, long dim, long start, long length, out nint result);
    [LibraryImport(Library)] internal static partial int lr_select(TensorHandle t, long dim, long index, out nint result);
    [LibraryImport(Library)] internal static partial int lr_triangle(TensorHandle t, long diagonal, int upper, out nint result);
    [LibraryImport(Library)] internal static partial int lr_cat(ReadOnlySpan<nint> tensors, int count, long dim, out nint result);
    [LibraryImport(Library)] internal static partial int lr_stack(ReadOnlySpan<nint> tensors, int count, long dim, out nint result);
    [LibraryImport(Library)] internal static partial int lr_index_select(TensorHandle t, long dim, TensorHandle index, out nint result);
    [LibraryImport(Library)] internal static partial int lr_gather(TensorHandle t, long dim, TensorHandle index, out nint result);
    [LibraryImport(Library)] internal static partial int lr_scatter(TensorHandle t, long dim, TensorHandle index, TensorHandle source, int accumulate, out nint result);
    [LibraryImport(Library)] internal static partial int lr_masked_select(TensorHandle t, TensorHandle mask, out nint result);
    [LibraryImport(Library)] internal static partial int lr_nonzero(TensorHandle t, out nint result);
}
