// A differentiable function whose forward and backward are managed code, as torch.autograd.Function's are Python: for
// work libtorch's autograd does not see (kernels the engine launches itself), with the gradient the caller defines.
#include "guard.h"

#include <torch/csrc/autograd/custom_function.h>

namespace {

// Each returns 0, or non-zero with `error` set to a malloc'ed message.
// forward: sets each of `outputs` (as many as the function has) to an owned handle.
using ForwardFn = int (*)(void* state, Handle* outputs, char** error);
// backward: given each output's gradient (owned handles; zeros for an output that got none), sets `gradients[i]` to an
// owned handle, or leaves it null where input i gets no gradient.
using BackwardFn = int (*)(void* state, Handle* grad_outputs, Handle* gradients, char** error);
// Lets the managed side free `state` once no graph can call it again.
using ReleaseFn = void (*)(void* state);

void check(int status, char* error, const char* pass) {
  if (status == 0) return;
  std::string message = error ? error : "unknown error";
  std::free(error);
  TORCH_CHECK(false, pass, " failed: ", message);
}

// The managed state, owned by the autograd node: released when the node is destroyed, whether backward ran or not.
struct Managed : torch::CustomClassHolder {
  Managed(ForwardFn forward, BackwardFn backward, ReleaseFn release, void* state)
      : forward(forward), backward(backward), release(release), state(state) {}
  ~Managed() override { release(state); }

  ForwardFn forward;
  BackwardFn backward;
  ReleaseFn release;
  void* state;
};

struct ManagedFunction : public torch::autograd::Function<ManagedFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, at::TensorList inputs,
                                                c10::intrusive_ptr<Managed> managed, int64_t outputs) {
    ctx->saved_data["managed"] = c10::IValue::make_capsule(managed);
    ctx->saved_data["inputs"] = static_cast<int64_t>(inputs.size());
    std::vector<Handle> handles(static_cast<size_t>(outputs), nullptr);
    char* error = nullptr;
    const int status = managed->forward(managed->state, handles.data(), &error);
    torch::autograd::variable_list result;
    for (Handle h : handles) {
      result.push_back(h ? std::move(*h) : at::Tensor());
      delete h;
    }
    check(status, error, "forward");
    return result;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto managed = c10::static_intrusive_pointer_cast<Managed>(ctx->saved_data["managed"].toCapsule());
    std::vector<Handle> gradients(static_cast<size_t>(ctx->saved_data["inputs"].toInt()), nullptr);
    std::vector<Handle> grad_outputs;
    for (auto& g : grads) grad_outputs.push_back(lr::wrap(g));
    char* error = nullptr;
    const int status = managed->backward(managed->state, grad_outputs.data(), gradients.data(), &error);
    torch::autograd::variable_list result;
    for (Handle g : gradients) {
      result.push_back(g ? std::move(*g) : at::Tensor());
      delete g;
    }
    check(status, error, "backward");
    result.emplace_back();  // the managed state
    result.emplace_back();  // the output count
    return result;
  }
};

}  // namespace

// out[0 .. outputs) = forward(state), whose gradients reach `inputs` through backward(state, ∂out). The callbacks read
// the inputs from their state; `inputs` tells autograd which tensors the outputs depend on. `release(state)` is called
// exactly once, when the function can no longer be called.
LR_API lr_managed_function(ForwardFn forward, BackwardFn backward, ReleaseFn release, void* state,
                           const Handle* inputs, int count, int outputs, Handle* out) {
  LR_GUARD(
    auto managed = c10::make_intrusive<Managed>(forward, backward, release, state);
    const auto tensors = lr::list(inputs, count);
    auto results = ManagedFunction::apply(at::TensorList(tensors), managed, static_cast<int64_t>(outputs));
    for (int i = 0; i < outputs; i++) out[i] = lr::wrap(std::move(results[static_cast<size_t>(i)]));
  )
}
