using System.Runtime.InteropServices;

namespace LongRecipe.Engine.Torch.Interop;

// jit.cpp: elementwise functions compiled at run time (ATen's jiterator), with their gradient.
internal static partial class Native
{
    [LibraryImport(Library)] internal static partial int lr_jit_available(out int available);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int lr_jit_binary(string forwardCode, string forwardName, string backwardCode, string backwardName,
        TensorHandle a, TensorHandle b, out nint result);
}
