using System.Runtime.InteropServices;

namespace LongRecipe.Engine.Torch.Interop;

// jit.cpp: kernels compiled at run time: elementwise functions with their gradient (ATen's jiterator), and any kernel
// through libtorch's NVRTC.
internal static partial class Native
{
    [LibraryImport(Library)] internal static partial int lr_jit_available(out int available);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int lr_jit_binary(string forwardCode, string forwardName, string backwardCode, string backwardName,
        TensorHandle a, TensorHandle b, out nint result);

    [LibraryImport(Library)] internal static partial int lr_cuda_modules_available(out int available);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int lr_cuda_module_load(string source, int deviceIndex, out nint module);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int lr_cuda_module_function(nint module, string name, out nint function);

    [LibraryImport(Library)]
    internal static unsafe partial int lr_cuda_launch(nint function, int deviceIndex, uint* grid, uint* block, uint sharedBytes,
        void** arguments);
}
