// Activation checkpointing: a function whose forward keeps only its input and whose backward
// runs it again, with grad, to rebuild the activations it needs. The function is managed code,
// reached through a callback; it may capture parameters, whose gradients the recomputed
// graph accumulates as usual.
#include "guard.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

namespace {

// Runs the managed function on `input` (ownership of the handle passes to it); on success it
// sets `output` to a handle whose ownership passes back. On failure it returns non-zero and sets
// `error` to a malloc'ed message.
using CheckpointFn = int (*)(void* state, Handle input, Handle* output, char** error);
// Lets the managed side free `state` once no graph can call the function again.
using ReleaseFn = void (*)(void* state);

// The managed state, owned by the autograd node: released when the node is destroyed, whether
// backward ran or the graph was dropped.
struct ManagedFunction : torch::CustomClassHolder {
  ManagedFunction(CheckpointFn fn, ReleaseFn release, void* state) : fn(fn), release(release), state(state) {}
  ~ManagedFunction() override { release(state); }

  at::Tensor operator()(const at::Tensor& input) const {
    Handle output = nullptr;
    char* error = nullptr;
    if (fn(state, lr::wrap(input), &output, &error) != 0) {
      std::string message = error ? error : "unknown error";
      std::free(error);
      TORCH_CHECK(false, "checkpointed function failed: ", message);
    }
    at::Tensor result = std::move(*output);
    delete output;
    return result;
  }

  CheckpointFn fn;
  ReleaseFn release;
  void* state;
};

struct Checkpoint : public torch::autograd::Function<Checkpoint> {
  // libtorch runs this with grad mode off, so no graph of the inside is kept.
  // `anchor` is an empty tensor that requires grad: the parameters the function captures are not
  // inputs libtorch sees, so without it an input that needs no gradient (token embeddings of a
  // frozen table, say) would leave the output outside the graph.
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input, const at::Tensor& anchor,
                            c10::intrusive_ptr<ManagedFunction> function) {
    ctx->save_for_backward({input});
    ctx->saved_data["function"] = c10::IValue::make_capsule(function);
    return (*function)(input);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto input = ctx->get_saved_variables()[0].detach().requires_grad_(true);
    at::Tensor output;
    {
      at::AutoGradMode enabled(true);
      auto function = c10::static_intrusive_pointer_cast<ManagedFunction>(ctx->saved_data["function"].toCapsule());
      output = (*function)(input);
    }
    torch::autograd::backward({output}, {grads[0]});
    return {input.grad(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

// out = fn(state, input), recomputed during backward instead of stored. `release(state)` is
// called exactly once, when the function can no longer be called (before returning, if the call
// fails after taking the state).
LR_API lr_checkpoint(CheckpointFn fn, ReleaseFn release, void* state, Handle input, Handle* out) {
  LR_GUARD(
    auto function = c10::make_intrusive<ManagedFunction>(fn, release, state);
    auto anchor = at::empty({0}, lr::ref(input).options()).requires_grad_(true);
    *out = lr::wrap(Checkpoint::apply(lr::ref(input), anchor, function));
  )
}
