// Kernels compiled at run time from CUDA C++ source the caller gives, so that a fused function needs no kernel of the
// shim's own: elementwise functions with their gradient through ATen's jiterator (what torch.cuda.jiterator wraps), and
// any kernel through libtorch's NVRTC, launched on libtorch's current stream (what cupy.RawKernel does). CUDA builds only.
#include "guard.h"

#ifdef LR_WITH_CUDA
#include <ATen/cuda/jiterator.h>
#if AT_USE_JITERATOR()
#define LR_HAS_JIT 1
#endif
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <dlfcn.h>
#define LR_HAS_NVRTC 1
#endif
#ifndef LR_HAS_JIT
#define LR_HAS_JIT 0
#endif
#ifndef LR_HAS_NVRTC
#define LR_HAS_NVRTC 0
#endif

#if LR_HAS_JIT
#include <torch/csrc/autograd/custom_function.h>

namespace {

// y = f(a, b) by the forward kernel; backward runs the gradient kernel on (dy, a, b) for (da, db).
struct JitBinary : public torch::autograd::Function<JitBinary> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& a, const at::Tensor& b,
                            const std::string& forward_code, const std::string& forward_name,
                            const std::string& backward_code, const std::string& backward_name) {
    ctx->save_for_backward({a, b});
    ctx->saved_data["backward_code"] = backward_code;
    ctx->saved_data["backward_name"] = backward_name;
    return at::cuda::CompileAndLaunchKernel(forward_code, forward_name, 1, {a, b}, {}, false)[0];
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto outputs = at::cuda::CompileAndLaunchKernel(ctx->saved_data["backward_code"].toStringRef(),
                                                          ctx->saved_data["backward_name"].toStringRef(), 2,
                                                          {grads[0], saved[0], saved[1]}, {}, true);
    return {outputs[0], outputs[1], at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace
#endif

LR_API lr_jit_available(int* out) { LR_GUARD(*out = LR_HAS_JIT;) }

// out = f(a, b) for CUDA tensors of one shape and dtype. `forward_code` defines `template <typename T> T
// forward_name(T a, T b)`; `backward_code` defines `template <typename T> void backward_name(T dy, T a, T b, T& da,
// T& db)`. Each is compiled once, on its first call.
LR_API lr_jit_binary(const char* forward_code, const char* forward_name, const char* backward_code,
                     const char* backward_name, Handle a, Handle b, Handle* out) {
  LR_GUARD(
#if LR_HAS_JIT
    *out = lr::wrap(JitBinary::apply(lr::ref(a), lr::ref(b), std::string(forward_code), std::string(forward_name),
                                     std::string(backward_code), std::string(backward_name)));
#else
    TORCH_CHECK(false, "run-time compiled kernels need a CUDA build of libtorch");
#endif
  )
}

// ---- any kernel, through libtorch's NVRTC ------------------------------------------------------------------------

#if LR_HAS_NVRTC
namespace {

// NVRTC's and the driver's entry points (their C API, handles as void*, results as int), from the NVRTC library
// libtorch loads for its own run-time compiled kernels: libcaffe2_nvrtc.so beside libc10_cuda.so, which links NVRTC and
// the driver. libtorch's table of them is declared in a header its packages do not install (pip's 2.11 lacks it).
struct Nvrtc {
  int (*nvrtcCreateProgram)(void**, const char*, const char*, int, const char* const*, const char* const*);
  int (*nvrtcCompileProgram)(void*, int, const char* const*);
  int (*nvrtcGetProgramLogSize)(void*, size_t*);
  int (*nvrtcGetProgramLog)(void*, char*);
  int (*nvrtcGetPTXSize)(void*, size_t*);
  int (*nvrtcGetPTX)(void*, char*);
  int (*nvrtcDestroyProgram)(void**);
  const char* (*nvrtcGetErrorString)(int);
  int (*cuModuleLoadData)(void**, const void*);
  int (*cuModuleGetFunction)(void**, void*, const char*);
  int (*cuLaunchKernel)(void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void*, void**, void**);
  int (*cuGetErrorString)(int, const char**);
  int (*cuCtxGetCurrent)(void**);
};

template <typename F>
void find(void* library, const char* name, F& entry) {
  entry = reinterpret_cast<F>(dlsym(library, name));
  TORCH_CHECK(entry != nullptr, "libtorch's NVRTC library has no ", name);
}

void* open_library(const std::string& path) {
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  TORCH_CHECK(library != nullptr, "cannot load ", path, ": ", dlerror());
  return library;
}

Nvrtc load_nvrtc() {
  Dl_info info{};
  TORCH_CHECK(dladdr(reinterpret_cast<void*>(&c10::cuda::device_count), &info) != 0 && info.dli_fname != nullptr,
              "cannot find libtorch's library folder");
  const std::string folder = std::string(info.dli_fname).substr(0, std::string(info.dli_fname).find_last_of('/') + 1);
  void* compiler = open_library(folder + "libcaffe2_nvrtc.so");
  void* driver = open_library("libcuda.so.1");
  Nvrtc table{};
  find(compiler, "nvrtcCreateProgram", table.nvrtcCreateProgram);
  find(compiler, "nvrtcCompileProgram", table.nvrtcCompileProgram);
  find(compiler, "nvrtcGetProgramLogSize", table.nvrtcGetProgramLogSize);
  find(compiler, "nvrtcGetProgramLog", table.nvrtcGetProgramLog);
  find(compiler, "nvrtcGetPTXSize", table.nvrtcGetPTXSize);
  find(compiler, "nvrtcGetPTX", table.nvrtcGetPTX);
  find(compiler, "nvrtcDestroyProgram", table.nvrtcDestroyProgram);
  find(compiler, "nvrtcGetErrorString", table.nvrtcGetErrorString);
  find(driver, "cuModuleLoadData", table.cuModuleLoadData);
  find(driver, "cuModuleGetFunction", table.cuModuleGetFunction);
  find(driver, "cuLaunchKernel", table.cuLaunchKernel);
  find(driver, "cuGetErrorString", table.cuGetErrorString);
  find(driver, "cuCtxGetCurrent", table.cuCtxGetCurrent);
  return table;
}

// Loaded on first use; a failure is reported to that call and tried again on the next.
const Nvrtc& nvrtc() {
  static const Nvrtc table = load_nvrtc();
  return table;
}

bool modules_available() {
  try {
    nvrtc();
    return true;
  } catch (const c10::Error&) {
    return false;
  }
}

void check_nvrtc(int result) { TORCH_CHECK(result == 0, "NVRTC: ", nvrtc().nvrtcGetErrorString(result)); }

void check_driver(int result) {
  if (result == 0) return;
  const char* message = nullptr;
  nvrtc().cuGetErrorString(result, &message);
  TORCH_CHECK(false, "CUDA driver: ", message ? message : "unknown error");
}

// The driver API needs the device's context current on this thread; the runtime makes it so on first use.
void make_context_current() {
  void* context = nullptr;
  check_driver(nvrtc().cuCtxGetCurrent(&context));
  if (context == nullptr) C10_CUDA_CHECK(cudaFree(nullptr));
}

struct Program {
  void* program = nullptr;
  ~Program() {
    if (program) nvrtc().nvrtcDestroyProgram(&program);
  }
};

}  // namespace
#define LR_NEEDS_NVRTC(...) __VA_ARGS__
#else
#define LR_NEEDS_NVRTC(...) TORCH_CHECK(false, "compiling kernels at run time needs a CUDA build of libtorch");
namespace {
bool modules_available() { return false; }
}  // namespace
#endif

// Whether kernels can be compiled here: a CUDA build whose NVRTC and driver libraries load (see above).
LR_API lr_cuda_modules_available(int* out) { LR_GUARD(*out = modules_available();) }

// Compiles `source` (CUDA C++17, no includes) for the architecture of device `device_index` and loads it there; its
// `extern "C" __global__` functions are then found by name. A compile error's message holds NVRTC's log. The module
// stays loaded for the life of the process.
LR_API lr_cuda_module_load(const char* source, int device_index, void** out) {
  LR_GUARD(LR_NEEDS_NVRTC(
    c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device_index));
    make_context_current();
    int major = 0, minor = 0;
    C10_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device_index));
    C10_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device_index));
    const std::string architecture = "--gpu-architecture=compute_" + std::to_string(major) + std::to_string(minor);
    const char* options[] = {"--std=c++17", architecture.c_str(), "-default-device"};
    Program p;
    check_nvrtc(nvrtc().nvrtcCreateProgram(&p.program, source, "kernels.cu", 0, nullptr, nullptr));
    if (nvrtc().nvrtcCompileProgram(p.program, 3, options) != 0) {
      size_t size = 0;
      check_nvrtc(nvrtc().nvrtcGetProgramLogSize(p.program, &size));
      std::string log(size, '\0');
      check_nvrtc(nvrtc().nvrtcGetProgramLog(p.program, log.data()));
      TORCH_CHECK(false, "the kernel source does not compile: ", log.c_str());
    }
    size_t size = 0;
    check_nvrtc(nvrtc().nvrtcGetPTXSize(p.program, &size));
    std::string ptx(size, '\0');
    check_nvrtc(nvrtc().nvrtcGetPTX(p.program, ptx.data()));
    void* module = nullptr;
    check_driver(nvrtc().cuModuleLoadData(&module, ptx.data()));
    *out = module;
  ))
}

// The `extern "C"` kernel `name` of a loaded module.
LR_API lr_cuda_module_function(void* module, const char* name, void** out) {
  LR_GUARD(LR_NEEDS_NVRTC(
    void* function = nullptr;
    check_driver(nvrtc().cuModuleGetFunction(&function, module, name));
    *out = function;
  ))
}

// Launches `function` on device `device_index`'s current stream (so that it is recorded while a CUDA graph records):
// `grid` and `block` are three dimensions each, `arguments` points at each argument's value, as cuLaunchKernel takes them.
LR_API lr_cuda_launch(void* function, int device_index, const unsigned* grid, const unsigned* block,
                      unsigned shared_bytes, void** arguments) {
  LR_GUARD(LR_NEEDS_NVRTC(
    c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device_index));
    make_context_current();
    const auto stream = c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device_index));
    check_driver(nvrtc().cuLaunchKernel(function, grid[0], grid[1], grid[2], block[0], block[1], block[2], shared_bytes,
                                        stream.stream(), arguments, nullptr));
  ))
}
