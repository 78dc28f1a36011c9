// Elementwise math, comparisons, selection and reductions.
// Operation codes mirror LongRecipe.Engine.Torch.UnaryOp / BinaryOp / ReduceOp.
#include "guard.h"

namespace {

at::Tensor unary(int op, const at::Tensor& x) {
  switch (op) {
    case 0: return at::neg(x);
    case 1: return at::exp(x);
    case 2: return at::log(x);
    case 3: return at::sqrt(x);
    case 4: return at::rsqrt(x);
    case 5: return at::abs(x);
    case 6: return at::sin(x);
    case 7: return at::cos(x);
    case 8: return at::tanh(x);
    case 9: return at::sigmoid(x);
    case 10: return at::silu(x);
    case 11: return at::relu(x);
    case 12: return at::gelu(x);
    case 13: return at::square(x);
    case 14: return at::reciprocal(x);
    case 15: return at::logical_not(x);
    case 16: return at::isfinite(x);
    case 17: return at::isnan(x);
    case 18: return at::floor(x);
    case 19: return at::round(x);
    case 20: return at::sign(x);
    case 21: return at::log1p(x);
  }
  TORCH_CHECK(false, "unknown unary op ", op);
}

template <typename Other>
at::Tensor binary(int op, const at::Tensor& x, const Other& y) {
  switch (op) {
    case 0: return at::add(x, y);
    case 1: return at::sub(x, y);
    case 2: return at::mul(x, y);
    case 3: return at::div(x, y);
    case 4: return at::pow(x, y);
    case 5: return at::eq(x, y);
    case 6: return at::ne(x, y);
    case 7: return at::lt(x, y);
    case 8: return at::le(x, y);
    case 9: return at::gt(x, y);
    case 10: return at::ge(x, y);
    case 11: return at::remainder(x, y);
    case 12: return at::floor_divide(x, y);
    case 18: return at::bitwise_and(x, y);
  }
  if constexpr (std::is_same_v<Other, at::Tensor>) {
    switch (op) {
      case 13: return at::maximum(x, y);
      case 14: return at::minimum(x, y);
      case 15: return at::logical_and(x, y);
      case 16: return at::logical_or(x, y);
    }
  } else {
    if (op == 17) return at::rsub(x, y);
  }
  TORCH_CHECK(false, "unknown binary op ", op, " for this operand kind");
}

template <typename Other>
void binary_(int op, const at::Tensor& x, const Other& y) {
  switch (op) {
    case 0: x.add_(y); return;
    case 1: x.sub_(y); return;
    case 2: x.mul_(y); return;
    case 3: x.div_(y); return;
  }
  TORCH_CHECK(false, "unknown in-place op ", op);
}

}  // namespace

LR_API lr_unary(int op, Handle x, Handle* out) { LR_GUARD(*out = lr::wrap(unary(op, lr::ref(x)));) }

LR_API lr_binary(int op, Handle x, Handle y, Handle* out) {
  LR_GUARD(*out = lr::wrap(binary(op, lr::ref(x), lr::ref(y)));)
}

LR_API lr_binary_scalar(int op, Handle x, double value, int64_t integer, int is_integer, Handle* out) {
  LR_GUARD(*out = lr::wrap(binary(op, lr::ref(x), lr::scalar(value, integer, is_integer)));)
}

LR_API lr_binary_(int op, Handle x, Handle y) { LR_GUARD(binary_(op, lr::ref(x), lr::ref(y));) }

LR_API lr_binary_scalar_(int op, Handle x, double value, int64_t integer, int is_integer) {
  LR_GUARD(binary_(op, lr::ref(x), lr::scalar(value, integer, is_integer));)
}

// x += alpha * y, in place.
LR_API lr_add_scaled_(Handle x, Handle y, double alpha) { LR_GUARD(lr::ref(x).add_(lr::ref(y), alpha);) }

// x += value * a * b, in place.
LR_API lr_addcmul_(Handle x, Handle a, Handle b, double value) {
  LR_GUARD(lr::ref(x).addcmul_(lr::ref(a), lr::ref(b), value);)
}

// x += value * a / b, in place.
LR_API lr_addcdiv_(Handle x, Handle a, Handle b, double value) {
  LR_GUARD(lr::ref(x).addcdiv_(lr::ref(a), lr::ref(b), value);)
}

// x += weight * (end - x), in place.
LR_API lr_lerp_(Handle x, Handle end, double weight) { LR_GUARD(lr::ref(x).lerp_(lr::ref(end), weight);) }

// Each bound is optional and, like every scalar, integral bounds keep integer tensors integer.
LR_API lr_clamp(Handle x, int has_min, double min, int64_t min_integer, int min_is_integer, int has_max, double max,
                int64_t max_integer, int max_is_integer, Handle* out) {
  LR_GUARD(
    *out = lr::wrap(at::clamp(lr::ref(x),
                              has_min ? c10::optional<at::Scalar>(lr::scalar(min, min_integer, min_is_integer)) : c10::nullopt,
                              has_max ? c10::optional<at::Scalar>(lr::scalar(max, max_integer, max_is_integer)) : c10::nullopt));
  )
}

LR_API lr_where(Handle condition, Handle x, Handle y, Handle* out) {
  LR_GUARD(*out = lr::wrap(at::where(lr::ref(condition), lr::ref(x), lr::ref(y)));)
}

LR_API lr_masked_fill(Handle x, Handle mask, double value, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(x).masked_fill(lr::ref(mask), value));)
}

// ---- reductions -----------------------------------------------------------

// Reduces over `dims` (all dimensions when ndim is 0).
LR_API lr_reduce(int op, Handle x, const int64_t* dims, int ndim, int keepdim, Handle* out) {
  LR_GUARD(
    const auto& t = lr::ref(x);
    const auto d = lr::dims(dims, ndim);
    std::vector<int64_t> all;
    if (ndim == 0) for (int64_t i = 0; i < t.dim(); ++i) all.push_back(i);
    const at::IntArrayRef over = ndim == 0 ? at::IntArrayRef(all) : d;
    switch (op) {
      case 0: *out = lr::wrap(at::sum(t, over, keepdim)); break;
      case 1: *out = lr::wrap(at::mean(t, over, keepdim)); break;
      case 2: *out = lr::wrap(at::amax(t, over, keepdim)); break;
      case 3: *out = lr::wrap(at::amin(t, over, keepdim)); break;
      case 4: *out = lr::wrap(at::logsumexp(t, over, keepdim)); break;
      default: TORCH_CHECK(false, "unknown reduction ", op);
    }
  )
}

LR_API lr_argmax(Handle x, int64_t dim, int keepdim, Handle* out) {
  LR_GUARD(*out = lr::wrap(at::argmax(lr::ref(x), dim, keepdim));)
}

LR_API lr_norm(Handle x, double p, Handle* out) { LR_GUARD(*out = lr::wrap(at::norm(lr::ref(x), p));) }

LR_API lr_cumsum(Handle x, int64_t dim, Handle* out) { LR_GUARD(*out = lr::wrap(at::cumsum(lr::ref(x), dim));) }

LR_API lr_topk(Handle x, int64_t k, int64_t dim, int largest, Handle* values, Handle* indices) {
  LR_GUARD(
    auto result = at::topk(lr::ref(x), k, dim, largest, true);
    *values = lr::wrap(std::get<0>(result));
    *indices = lr::wrap(std::get<1>(result));
  )
}

// For each value, the index i of the bucket boundaries[i-1] < x <= boundaries[i] of the sorted 1-d
// `boundaries` (0 below the first, its length above the last), as int64.
LR_API lr_bucketize(Handle values, Handle boundaries, Handle* out) {
  LR_GUARD(*out = lr::wrap(at::bucketize(lr::ref(values), lr::ref(boundaries), false, false));)
}

LR_API lr_sort(Handle x, int64_t dim, int descending, Handle* values, Handle* indices) {
  LR_GUARD(
    auto result = at::sort(lr::ref(x), dim, descending);
    *values = lr::wrap(std::get<0>(result));
    *indices = lr::wrap(std::get<1>(result));
  )
}
