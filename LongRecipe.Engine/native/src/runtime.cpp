// The runtime around tensors: version, seeds and generators, random tensors, threads,
// CUDA devices and memory statistics.
#include "guard.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#ifdef LR_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif

using GeneratorHandle = at::Generator*;

LR_API lr_version(int* major, int* minor, int* patch, int* with_cuda) {
  LR_GUARD(
    *major = TORCH_VERSION_MAJOR;
    *minor = TORCH_VERSION_MINOR;
    *patch = TORCH_VERSION_PATCH;
#ifdef LR_WITH_CUDA
    *with_cuda = 1;
#else
    *with_cuda = 0;
#endif
  )
}

// ---- seeds and random tensors ---------------------------------------------

// Seeds the default generators of the CPU and every CUDA device.
LR_API lr_manual_seed(uint64_t seed) { LR_GUARD(torch::manual_seed(seed);) }

// Random tensors are drawn where the generator lives, then moved: a CPU generator's seed gives the
// same values on every device.
LR_API lr_generator_new(uint64_t seed, GeneratorHandle* out) {
  LR_GUARD(*out = new at::Generator(at::make_generator<at::CPUGeneratorImpl>(seed));)
}

// A generator that draws on the device itself (a copy of the device's default generator, reseeded):
// on a GPU, large random tensors then never cross from the host. Its values differ from the CPU
// generator's for the same seed; on the CPU it is that generator.
LR_API lr_generator_new_on(uint64_t seed, int device_type, int device_index, GeneratorHandle* out) {
  LR_GUARD(
    auto generator = at::globalContext().defaultGenerator(lr::device(device_type, device_index)).clone();
    generator.set_current_seed(seed);
    *out = new at::Generator(std::move(generator));
  )
}

LR_NOTHROW void lr_generator_free(GeneratorHandle g) { delete g; }

// kind: 0 normal(0, 1), 1 uniform [0, 1), 2 integers in [low, high), 3 permutation of 0..shape[0)-1.
LR_API lr_random(int kind, const int64_t* shape, int ndim, int64_t low, int64_t high, GeneratorHandle g, int dtype,
                 int device_type, int device_index, Handle* out) {
  LR_GUARD(
    TORCH_CHECK(g != nullptr, "null generator handle");
    const auto where = at::TensorOptions().dtype(lr::scalar_type(dtype)).device(g->device());
    const auto size = lr::dims(shape, ndim);
    // No lock here: libtorch's kernels take the generator's (non-recursive) mutex themselves.
    at::Tensor t;
    switch (kind) {
      case 0: t = at::randn(size, *g, where); break;
      case 1: t = at::rand(size, *g, where); break;
      case 2: t = at::randint(low, high, size, *g, where); break;
      case 3: TORCH_CHECK(ndim == 1, "a permutation has one dimension"); t = at::randperm(size[0], *g, where); break;
      default: TORCH_CHECK(false, "unknown random kind ", kind);
    }
    *out = lr::wrap(t.to(lr::device(device_type, device_index)));
  )
}

// ---- threads --------------------------------------------------------------

LR_API lr_set_num_threads(int count) { LR_GUARD(at::set_num_threads(count);) }

LR_API lr_get_num_threads(int* out) { LR_GUARD(*out = at::get_num_threads();) }

// ---- CUDA -----------------------------------------------------------------

LR_API lr_cuda_device_count(int* out) { LR_GUARD(*out = static_cast<int>(torch::cuda::device_count());) }

LR_API lr_cuda_synchronize(int device_index) { LR_GUARD(torch::cuda::synchronize(device_index);) }

#ifdef LR_WITH_CUDA
namespace {
// libtorch sets its caching allocator up on first CUDA use, and asking for statistics before
// that fails ("did you call init?"); an empty tensor is that first use on every version.
void init_cuda(int device_index) { at::empty({0}, at::TensorOptions().device(lr::device(1, device_index))); }
}  // namespace
#endif

// Bytes held by live tensors now and at peak since the last reset, and bytes reserved by the
// caching allocator.
LR_API lr_cuda_memory(int device_index, int64_t* allocated, int64_t* peak, int64_t* reserved) {
  LR_GUARD(
#ifdef LR_WITH_CUDA
    init_cuda(device_index);
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device_index));
    // StatType::AGGREGATE (all pools) is entry 0 in every libtorch; the enum's namespace moved in 2.x.
    const size_t all = 0;
    *allocated = stats.allocated_bytes[all].current;
    *peak = stats.allocated_bytes[all].peak;
    *reserved = stats.reserved_bytes[all].current;
#else
    TORCH_CHECK(false, "this libtorch was built without CUDA");
#endif
  )
}

LR_API lr_cuda_reset_peak(int device_index) {
  LR_GUARD(
#ifdef LR_WITH_CUDA
    init_cuda(device_index);
    c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device_index));
#else
    TORCH_CHECK(false, "this libtorch was built without CUDA");
#endif
  )
}

// Caps what the caching allocator may hold on the device at `fraction` of its memory
// (torch.cuda.set_per_process_memory_fraction): past it, an allocation fails as out of memory.
LR_API lr_cuda_set_memory_fraction(int device_index, double fraction) {
  LR_GUARD(
#ifdef LR_WITH_CUDA
    TORCH_CHECK(fraction > 0 && fraction <= 1, "memory fraction must be in (0, 1], not ", fraction);
    init_cuda(device_index);
    c10::cuda::CUDACachingAllocator::setMemoryFraction(fraction, static_cast<c10::DeviceIndex>(device_index));
#else
    TORCH_CHECK(false, "this libtorch was built without CUDA");
#endif
  )
}

// The device's memory in bytes, as the driver reports it (what a run's memory bounds are checked against).
LR_API lr_cuda_total_memory(int device_index, int64_t* total) {
  LR_GUARD(
#ifdef LR_WITH_CUDA
    init_cuda(device_index);
    *total = static_cast<int64_t>(at::cuda::getDeviceProperties(static_cast<c10::DeviceIndex>(device_index))->totalGlobalMem);
#else
    TORCH_CHECK(false, "this libtorch was built without CUDA");
#endif
  )
}

// Returns the caching allocator's unused blocks to the driver, e.g. after an out-of-memory step,
// so the next run (or another process) can have them; a no-op without CUDA.
LR_API lr_cuda_empty_cache() {
  LR_GUARD(
#ifdef LR_WITH_CUDA
    c10::cuda::CUDACachingAllocator::emptyCache();
#endif
  )
}
