// Optimizer kernels libtorch fuses: one launch updates every parameter.
#include "guard.h"

#if LR_TORCH_AT_LEAST(2, 1)
#include <ATen/ops/_foreach_add.h>
#include <ATen/ops/_foreach_sub.h>
#include <ATen/ops/_fused_adamw.h>
#endif

// Whether the fused kernel exists (2.1+), and whether it takes its learning rate as a tensor (2.3+).
LR_API lr_fused_adamw_available(int* out, int* lr_on_device) {
  LR_GUARD(
    *out = LR_TORCH_AT_LEAST(2, 1);
    *lr_on_device = LR_TORCH_AT_LEAST(2, 3);
  )
}

// One AdamW step over `count` parameters (torch.optim.AdamW(fused=True)): increments each f32
// step counter, then updates parameters and moments in place. CUDA tensors only. Two optional
// tensors let the step be recorded in a CUDA graph, as nothing is read back to the host:
// `lr_on_device` (0-dim f32 on the parameters' device) stands for `lr`; `found_inf` (0-dim f32,
// 1 to skip) leaves parameters and moments as they were and takes the increment back, as
// torch.optim does after a GradScaler's overflow.
LR_API lr_fused_adamw_(const Handle* params, const Handle* grads, const Handle* exp_avgs, const Handle* exp_avg_sqs,
                       const Handle* steps, int count, double lr, Handle lr_on_device, double beta1, double beta2,
                       double weight_decay, double eps, Handle found_inf) {
  LR_GUARD(
#if LR_TORCH_AT_LEAST(2, 1)
    auto step_list = lr::list(steps, count);
    at::_foreach_add_(step_list, 1);
    if (lr_on_device != nullptr) {
#if LR_TORCH_AT_LEAST(2, 3)
      at::_fused_adamw_(lr::list(params, count), lr::list(grads, count), lr::list(exp_avgs, count),
                        lr::list(exp_avg_sqs, count), {}, step_list, lr::ref(lr_on_device), beta1, beta2, weight_decay,
                        eps, false, false, {}, lr::opt(found_inf));
#else
      TORCH_CHECK(false, "a learning rate held on the device needs libtorch 2.3 or newer");
#endif
    } else {
      at::_fused_adamw_(lr::list(params, count), lr::list(grads, count), lr::list(exp_avgs, count),
                        lr::list(exp_avg_sqs, count), {}, step_list, lr, beta1, beta2, weight_decay, eps,
                        false, false, {}, lr::opt(found_inf));
    }
    if (found_inf != nullptr) at::_foreach_sub_(step_list, std::vector<at::Tensor>(step_list.size(), lr::ref(found_inf)));
#else
    TORCH_CHECK(false, "fused AdamW needs libtorch 2.1 or newer");
#endif
  )
}
