// CUDA graphs (at::cuda::CUDAGraph): the kernels of some GPU work recorded once, then launched again with one call,
// without the host's work per kernel. Recording runs on a side stream of the device, as graphs need; the thread's
// stream is put back when it ends, and replays run on that stream.
#include "guard.h"

#ifdef LR_WITH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAStream.h>
#include <optional>

namespace {
struct Graph {
  at::cuda::CUDAGraph graph;
  // The thread's stream while recording; empty when not recording.
  std::optional<c10::cuda::CUDAStream> previous;
};
}  // namespace
#define LR_NEEDS_CUDA(...) __VA_ARGS__
#else
#define LR_NEEDS_CUDA(...) TORCH_CHECK(false, "CUDA graphs need a CUDA build of libtorch");
#endif

LR_API lr_cuda_graph_new(void** out) { LR_GUARD(LR_NEEDS_CUDA(*out = new Graph();)) }

// From here until lr_cuda_graph_capture_end, CUDA work this thread launches on the current device is recorded, not
// run. Work queued before runs to its end first.
LR_API lr_cuda_graph_capture_begin(void* handle) {
  LR_GUARD(LR_NEEDS_CUDA(
    auto* g = static_cast<Graph*>(handle);
    TORCH_CHECK(!g->previous, "this graph is recording already");
    c10::cuda::device_synchronize();
    const auto previous = c10::cuda::getCurrentCUDAStream();
    c10::cuda::setCurrentCUDAStream(c10::cuda::getStreamFromPool());
    try {
      g->graph.capture_begin();
    } catch (...) {
      c10::cuda::setCurrentCUDAStream(previous);
      throw;
    }
    g->previous = previous;
  ))
}

LR_API lr_cuda_graph_capture_end(void* handle) {
  LR_GUARD(LR_NEEDS_CUDA(
    auto* g = static_cast<Graph*>(handle);
    TORCH_CHECK(g->previous, "this graph is not recording");
    const auto previous = *g->previous;
    g->previous.reset();
    try {
      g->graph.capture_end();
    } catch (...) {
      c10::cuda::setCurrentCUDAStream(previous);
      throw;
    }
    c10::cuda::setCurrentCUDAStream(previous);
  ))
}

LR_API lr_cuda_graph_replay(void* handle) { LR_GUARD(LR_NEEDS_CUDA(static_cast<Graph*>(handle)->graph.replay();)) }

LR_NOTHROW void lr_cuda_graph_free(void* handle) {
#ifdef LR_WITH_CUDA
  delete static_cast<Graph*>(handle);
#endif
}
