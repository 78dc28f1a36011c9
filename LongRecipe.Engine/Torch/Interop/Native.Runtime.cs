using System.Runtime.InteropServices;

namespace LongRecipe.Engine.Torch.Interop;

// runtime.cpp: version, seeds, generators, random tensors, threads, CUDA.
internal static partial class Native
{
    [LibraryImport(Library)] internal static partial int lr_version(out int major, out int minor, out int patch, out int withCuda);
    [LibraryImport(Library)] internal static partial int lr_manual_seed(ulong seed);
    [LibraryImport(Library)] internal static partial int lr_generator_new(ulong seed, out nint generator);
    [LibraryImport(Library)] internal static partial int lr_generator_new_on(ulong seed, int deviceType, int deviceIndex, out nint generator);
    [LibraryImport(Library)] internal static partial void lr_generator_free(nint generator);

    [LibraryImport(Library)]
    internal static partial int lr_random(int kind, ReadOnlySpan<long> shape, int ndim, long low, long high, GeneratorHandle generator,
        int dtype, int deviceType, int deviceIndex, out nint result);

    [LibraryImport(Library)] internal static partial int lr_set_num_threads(int count);
    [LibraryImport(Library)] internal static partial int lr_get_num_threads(out int count);
    [LibraryImport(Library)] internal static partial int lr_cuda_device_count(out int count);
    [LibraryImport(Library)] internal static partial int lr_cuda_synchronize(int deviceIndex);
    [LibraryImport(Library)] internal static partial int lr_cuda_memory(int deviceIndex, out long allocated, out long peak, out long reserved);
    [LibraryImport(Library)] internal static partial int lr_cuda_reset_peak(int deviceIndex);
    [LibraryImport(Library)] internal static partial int lr_cuda_set_memory_fraction(int deviceIndex, double fraction);
    [LibraryImport(Library)] internal static partial int lr_cuda_total_memory(int deviceIndex, out long total);
    [LibraryImport(Library)] internal static partial int lr_cuda_empty_cache();
}
