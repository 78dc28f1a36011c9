// Optimizer kernels libtorch fuses: one launch updates every parameter.
#include "guard.h"

#if LR_TORCH_AT_LEAST(2, 1)
#include <ATen/ops/_foreach_add.h>
#include <ATen/ops/_fused_adamw.h>
#endif

LR_API lr_fused_adamw_available(int* out) {
  LR_GUARD(
#if LR_TORCH_AT_LEAST(2, 1)
    *out = 1;
#else
    *out = 0;
#endif
  )
}

// One AdamW step over `count` parameters (torch.optim.AdamW(fused=True)): increments each f32
// step counter, then updates parameters and moments in place. CUDA tensors only.
LR_API lr_fused_adamw_(const Handle* params, const Handle* grads, const Handle* exp_avgs, const Handle* exp_avg_sqs,
                       const Handle* steps, int count, double lr, double beta1, double beta2, double weight_decay,
                       double eps) {
  LR_GUARD(
#if LR_TORCH_AT_LEAST(2, 1)
    auto step_list = lr::list(steps, count);
    at::_foreach_add_(step_list, 1);
    at::_fused_adamw_(lr::list(params, count), lr::list(grads, count), lr::list(exp_avgs, count),
                      lr::list(exp_avg_sqs, count), {}, step_list, lr, beta1, beta2, weight_decay, eps,
                      false, false);
#else
    TORCH_CHECK(false, "fused AdamW needs libtorch 2.1 or newer");
#endif
  )
}
