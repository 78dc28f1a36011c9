using System.Runtime.InteropServices;

namespace LongRecipe.Engine.Torch.Interop;

// math.cpp: elementwise math, selection, reductions.
internal static partial class Native
{
    [LibraryImport(Library)] internal static partial int lr_unary(int op, TensorHandle x, out nint result);
    [LibraryImport(Library)] internal static partial int lr_binary(int op, TensorHandle x, TensorHandle y, out nint result);
    [LibraryImport(Library)] internal static partial int lr_binary_scalar(int op, TensorHandle x, double value, long integer, int isInteger, out nint result);
    [LibraryImport(Library)] internal static partial int lr_binary_(int op, TensorHandle x, TensorHandle y);
    [LibraryImport(Library)] internal static partial int lr_binary_scalar_(int op, TensorHandle x, double value, long integer, int isInteger);
    [LibraryImport(Library)] internal static partial int lr_add_scaled_(TensorHandle x, TensorHandle y, double alpha);
    [LibraryImport(Library)] internal static partial int lr_addcmul_(TensorHandle x, TensorHandle a, TensorHandle b, double value);
    [LibraryImport(Library)] internal static partial int lr_addcdiv_(TensorHandle x, TensorHandle a, TensorHandle b, double value);
    [LibraryImport(Library)] internal static partial int lr_lerp_(TensorHandle x, TensorHandle end, double weight);
    [LibraryImport(Library)]
    internal static partial int lr_clamp(TensorHandle x, int hasMin, double min, long minInteger, int minIsInteger, int hasMax, double max,
        long maxInteger, int maxIsInteger, out nint result);

    [LibraryImport(Library)] internal static partial int lr_where(TensorHandle condition, TensorHandle x, TensorHandle y, out nint result);
    [LibraryImport(Library)] internal static partial int lr_masked_fill(TensorHandle x, TensorHandle mask, double value, out nint result);
    [LibraryImport(Library)] internal static partial int lr_reduce(int op, TensorHandle x, ReadOnlySpan<long> dims, int ndim, int keepDim, out nint result);
    [LibraryImport(Library)] internal static partial int lr_argmax(TensorHandle x, long dim, int keepDim, out nint result);
    [LibraryImport(Library)] internal static partial int lr_norm(TensorHandle x, double p, out nint result);
    [LibraryImport(Library)] internal static partial int lr_cumsum(TensorHandle x, long dim, out nint result);
    [LibraryImport(Library)] internal static partial int lr_topk(TensorHandle x, long k, long dim, int largest, out nint values, out nint indices);
    [LibraryImport(Library)] internal static partial int lr_bucketize(TensorHandle values, TensorHandle boundaries, out nint result);
    [LibraryImport(Library)] internal static partial int lr_sort(TensorHandle x, long dim, int descending, out nint values, out nint indices);
}
