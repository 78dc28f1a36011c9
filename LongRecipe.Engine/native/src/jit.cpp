// Elementwise functions compiled at run time from CUDA C++ source by ATen's jiterator (what torch.cuda.jiterator
// wraps), with their gradient: the caller gives both kernels' source, so a fused elementwise function needs no kernel
// of the shim's own. CUDA builds only.
#include "guard.h"

#ifdef LR_WITH_CUDA
#include <ATen/cuda/jiterator.h>
#if AT_USE_JITERATOR()
#define LR_HAS_JIT 1
#endif
#endif
#ifndef LR_HAS_JIT
#define LR_HAS_JIT 0
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
