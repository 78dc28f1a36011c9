// Views, shape changes, joining, and indexing.
#include "guard.h"

LR_API lr_reshape(Handle t, const int64_t* shape, int ndim, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).reshape(lr::dims(shape, ndim)));)
}

LR_API lr_view(Handle t, const int64_t* shape, int ndim, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).view(lr::dims(shape, ndim)));)
}

// The same bytes read as another dtype of the same element size (e.g. f32 as i32), no copy.
LR_API lr_view_dtype(Handle t, int dtype, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).view(lr::scalar_type(dtype)));)
}

LR_API lr_permute(Handle t, const int64_t* order, int ndim, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).permute(lr::dims(order, ndim)));)
}

LR_API lr_transpose(Handle t, int64_t dim0, int64_t dim1, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).transpose(dim0, dim1));)
}

LR_API lr_unsqueeze(Handle t, int64_t dim, Handle* out) { LR_GUARD(*out = lr::wrap(lr::ref(t).unsqueeze(dim));) }

LR_API lr_squeeze(Handle t, int64_t dim, Handle* out) { LR_GUARD(*out = lr::wrap(lr::ref(t).squeeze(dim));) }

LR_API lr_flatten(Handle t, int64_t start, int64_t end, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).flatten(start, end));)
}

LR_API lr_expand(Handle t, const int64_t* shape, int ndim, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).expand(lr::dims(shape, ndim)));)
}

// A copy with the order of elements reversed along each of the dims.
LR_API lr_flip(Handle t, const int64_t* dims, int ndim, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).flip(lr::dims(dims, ndim)));)
}

LR_API lr_repeat_interleave(Handle t, int64_t repeats, int64_t dim, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).repeat_interleave(repeats, dim));)
}

LR_API lr_slice(Handle t, int64_t dim, int64_t start, int64_t end, int64_t step, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).slice(dim, start, end, step));)
}

// Unlike a slice, a narrow that runs past the end is an error, and a negative start counts from the end.
LR_API lr_narrow(Handle t, int64_t dim, int64_t start, int64_t length, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).narrow(dim, start, length));)
}

LR_API lr_select(Handle t, int64_t dim, int64_t index, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).select(dim, index));)
}

LR_API lr_triangle(Handle t, int64_t diagonal, int upper, Handle* out) {
  LR_GUARD(*out = lr::wrap(upper ? lr::ref(t).triu(diagonal) : lr::ref(t).tril(diagonal));)
}

LR_API lr_cat(const Handle* tensors, int count, int64_t dim, Handle* out) {
  LR_GUARD(*out = lr::wrap(at::cat(lr::list(tensors, count), dim));)
}

LR_API lr_stack(const Handle* tensors, int count, int64_t dim, Handle* out) {
  LR_GUARD(*out = lr::wrap(at::stack(lr::list(tensors, count), dim));)
}

// ---- indexing -------------------------------------------------------------

LR_API lr_index_select(Handle t, int64_t dim, Handle index, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).index_select(dim, lr::ref(index)));)
}

LR_API lr_gather(Handle t, int64_t dim, Handle index, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).gather(dim, lr::ref(index)));)
}

// Out-of-place scatter; `accumulate` adds into the destination instead of overwriting.
LR_API lr_scatter(Handle t, int64_t dim, Handle index, Handle source, int accumulate, Handle* out) {
  LR_GUARD(
    *out = lr::wrap(accumulate ? lr::ref(t).scatter_add(dim, lr::ref(index), lr::ref(source))
                               : lr::ref(t).scatter(dim, lr::ref(index), lr::ref(source)));
  )
}

LR_API lr_masked_select(Handle t, Handle mask, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).masked_select(lr::ref(mask)));)
}

LR_API lr_nonzero(Handle t, Handle* out) { LR_GUARD(*out = lr::wrap(lr::ref(t).nonzero());) }
