// Autograd: gradient tracking, backward, gradients, and the thread's grad mode.
#include "guard.h"

#include <c10/core/GradMode.h>

LR_API lr_set_requires_grad(Handle t, int flag) { LR_GUARD(lr::ref(t).set_requires_grad(flag != 0);) }

LR_API lr_requires_grad(Handle t, int* out) { LR_GUARD(*out = lr::ref(t).requires_grad();) }

// The accumulated gradient, or a null handle when none has been computed.
LR_API lr_grad(Handle t, Handle* out) {
  LR_GUARD(
    const auto& g = lr::ref(t).grad();
    *out = g.defined() ? lr::wrap(g) : nullptr;
  )
}

// Replaces the gradient; a null handle clears it.
LR_API lr_set_grad(Handle t, Handle grad) {
  LR_GUARD(lr::ref(t).mutable_grad() = grad == nullptr ? at::Tensor() : *grad;)
}

// Backpropagates from `t`; `grad` (may be null for a scalar) seeds the output gradient.
LR_API lr_backward(Handle t, Handle grad, int retain_graph) {
  LR_GUARD(
    lr::ref(t).backward(grad == nullptr ? at::Tensor() : *grad, retain_graph != 0 ? c10::optional<bool>(true)
                                                                                  : c10::optional<bool>());
  )
}

LR_API lr_detach(Handle t, Handle* out) { LR_GUARD(*out = lr::wrap(lr::ref(t).detach());) }

LR_API lr_grad_enabled(int* out) { LR_GUARD(*out = c10::GradMode::is_enabled();) }

LR_API lr_set_grad_enabled(int enabled) { LR_GUARD(c10::GradMode::set_enabled(enabled != 0);) }
