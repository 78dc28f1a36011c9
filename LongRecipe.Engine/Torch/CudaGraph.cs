using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Torch;

/// <summary>
/// Some GPU work recorded once as a CUDA graph (libtorch's at::cuda::CUDAGraph) and launched again by <see cref="Replay"/>
/// with one call, without the host's work per kernel: what a small model's training step, which waits on the host, needs.
/// A replay runs the recorded kernels on the same memory: the work's inputs are tensors made before recording whose
/// contents change between replays, its outputs tensors made while recording and kept, read after each replay.
/// The recorded work must not wait on the host: no value read back (ToDouble), no copy from host memory to the GPU.
/// Tensors made and disposed while recording take memory from a pool the graph keeps. A backward recorded needs the
/// earlier steps' autograd graphs gone (their losses disposed): a graph kept alive keeps the parameters' gradient
/// accumulators, which run on the stream of the step that made them, and the recording fails.
/// </summary>
public sealed class CudaGraph : IDisposable
{
    private readonly CudaGraphHandle handle;

    private CudaGraph(CudaGraphHandle handle) => this.handle = handle;

    /// <summary>Records the CUDA work <paramref name="work"/> launches on the current device (run once eagerly first, so that
    /// libraries have made their plans and workspaces); nothing of it runs until <see cref="Replay"/>.</summary>
    public static CudaGraph Capture(Action work)
    {
        Native.Check(Native.lr_cuda_graph_new(out var raw));
        var graph = new CudaGraph(new CudaGraphHandle(raw));
        try
        {
            Native.Check(Native.lr_cuda_graph_capture_begin(graph.handle));
            try
            {
                work();
            }
            catch
            {
                // Ends the recording (it fails too, having been invalidated) so that the thread's stream is put back.
                _ = Native.lr_cuda_graph_capture_end(graph.handle);
                throw;
            }
            Native.Check(Native.lr_cuda_graph_capture_end(graph.handle));
            return graph;
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    /// <summary>Launches the recorded work once more, after the work queued so far on the device.</summary>
    public void Replay() => Native.Check(Native.lr_cuda_graph_replay(handle));

    public void Dispose() => handle.Dispose();
}
