// Neural-network building blocks: matmul/linear, embedding, softmax, cross-entropy, attention and its kernels.
#include "guard.h"

LR_API lr_matmul(Handle a, Handle b, Handle* out) { LR_GUARD(*out = lr::wrap(at::matmul(lr::ref(a), lr::ref(b)));) }

// y = x Wᵀ + b; `bias` may be null.
LR_API lr_linear(Handle x, Handle weight, Handle bias, Handle* out) {
  LR_GUARD(*out = lr::wrap(at::linear(lr::ref(x), lr::ref(weight), lr::opt(bias)));)
}

// self += a · b, in place: the matrix kernel adds the product to what is there (cuBLAS's β = 1), with no separate add.
LR_API lr_addmm_(Handle self, Handle a, Handle b) { LR_GUARD(lr::ref(self).addmm_(lr::ref(a), lr::ref(b));) }

LR_API lr_embedding(Handle weight, Handle ids, Handle* out) {
  LR_GUARD(*out = lr::wrap(at::embedding(lr::ref(weight), lr::ref(ids)));)
}

// y = w · x / √(mean(x²) + eps) over the last dimension, in one fused kernel on CUDA (libtorch 2.8
// and newer; the engine composes it from elementwise ops elsewhere).
LR_API lr_rms_norm(Handle x, Handle weight, double eps, Handle* out) {
  LR_GUARD(
#if LR_TORCH_AT_LEAST(2, 8)
    const auto& input = lr::ref(x);
    *out = lr::wrap(at::rms_norm(input, {input.size(-1)}, lr::ref(weight), eps));
#else
    TORCH_CHECK(false, "fused RMSNorm needs libtorch 2.8 or newer");
#endif
  )
}

LR_API lr_softmax(Handle x, int64_t dim, Handle* out) { LR_GUARD(*out = lr::wrap(at::softmax(lr::ref(x), dim));) }

LR_API lr_log_softmax(Handle x, int64_t dim, Handle* out) {
  LR_GUARD(*out = lr::wrap(at::log_softmax(lr::ref(x), dim));)
}

// Cross-entropy of logits [N, C] against class ids [N]; targets equal to `ignore_index`
// contribute nothing. reduction: 0 none, 1 mean (over non-ignored), 2 sum.
LR_API lr_cross_entropy(Handle logits, Handle targets, int64_t ignore_index, int reduction, Handle* out) {
  LR_GUARD(
    *out = lr::wrap(at::cross_entropy_loss(lr::ref(logits), lr::ref(targets), {}, reduction, ignore_index));
  )
}

// Which fused attention kernels libtorch may pick on CUDA (torch.backends.cuda.enable_*_sdp): with
// flash and memory-efficient off, cuDNN's runs, which is faster on Hopper at long sequences. The math
// kernel is the fallback for shapes no fused one takes. libtorch 2.8 and newer (cuDNN's with
// grouped-query attention).
LR_API lr_set_attention_backends(int flash, int memory_efficient, int cudnn, int math) {
  LR_GUARD(
#if LR_TORCH_AT_LEAST(2, 8)
    auto& context = at::globalContext();
    context.setSDPUseFlash(flash != 0);
    context.setSDPUseMemEfficient(memory_efficient != 0);
    context.setSDPUseCuDNN(cudnn != 0);
    context.setSDPUseMath(math != 0);
#else
    TORCH_CHECK(false, "choosing attention kernels needs libtorch 2.8 or newer");
#endif
  )
}

// softmax(q kᵀ · scale + mask) v over [batch, heads, seq, head_dim]. `mask` may be null; it is
// boolean (true = attend) or additive. With `enable_gqa`, k and v have fewer heads than q, each
// serving heads/kv_heads consecutive query heads (libtorch 2.5 and newer). libtorch 2 runs its
// fused kernels (flash attention on CUDA); before 2.1 it has none with a scale argument, so there
// the same formula runs unfused. is_causal aligns the mask top-left (query i sees keys 0..i), as
// libtorch's kernel does.
LR_API lr_attention(Handle q, Handle k, Handle v, Handle mask, int is_causal, double scale, int enable_gqa, Handle* out) {
  LR_GUARD(
    const auto& query = lr::ref(q);
    const auto& key = lr::ref(k);
    const auto& value = lr::ref(v);
    TORCH_CHECK(!(is_causal && mask != nullptr), "attention takes a mask or is_causal, not both");
#if LR_TORCH_AT_LEAST(2, 5)
    *out = lr::wrap(at::scaled_dot_product_attention(query, key, value, lr::opt(mask), 0.0, is_causal, scale, enable_gqa != 0));
#else
    TORCH_CHECK(!enable_gqa, "grouped-query attention in one call needs libtorch 2.5 or newer");
#if LR_TORCH_AT_LEAST(2, 1)
    *out = lr::wrap(at::scaled_dot_product_attention(query, key, value, lr::opt(mask), 0.0, is_causal, scale));
#else
    // The [.., q, k] scores are the big tensors here: scale q instead, and mask the scores in place (the
    // product's backward needs only its inputs), so the forward makes two of them, not four.
    auto scores = at::matmul(query * scale, key.transpose(-2, -1));
    if (is_causal) {
      const auto lq = query.size(-2), lk = key.size(-2);
      scores.masked_fill_(at::ones({lq, lk}, query.options().dtype(at::kBool)).triu(1), -std::numeric_limits<double>::infinity());
    } else if (mask != nullptr) {
      if (mask->scalar_type() == at::kBool)
        scores.masked_fill_(mask->logical_not(), -std::numeric_limits<double>::infinity());
      else
        scores.add_(*mask);
    }
    *out = lr::wrap(at::matmul(at::softmax(scores, -1), value));
#endif
#endif
  )
}
