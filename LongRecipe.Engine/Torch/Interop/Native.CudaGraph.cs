using System.Runtime.InteropServices;

namespace LongRecipe.Engine.Torch.Interop;

// cuda_graph.cpp: recording GPU work once and replaying it.
internal static partial class Native
{
    [LibraryImport(Library)] internal static partial int lr_cuda_graph_new(out nint graph);
    [LibraryImport(Library)] internal static partial int lr_cuda_graph_capture_begin(CudaGraphHandle graph);
    [LibraryImport(Library)] internal static partial int lr_cuda_graph_capture_end(CudaGraphHandle graph);
    [LibraryImport(Library)] internal static partial int lr_cuda_graph_replay(CudaGraphHandle graph);
    [LibraryImport(Library)] internal static partial void lr_cuda_graph_free(nint graph);
}
