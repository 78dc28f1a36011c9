// Handle lifetime, metadata, creation and copies to and from host memory.
#include "guard.h"

#include <cstring>

LR_NOTHROW void lr_tensor_free(Handle t) { delete t; }

// ---- metadata -------------------------------------------------------------

LR_API lr_tensor_dim(Handle t, int* out) { LR_GUARD(*out = static_cast<int>(lr::ref(t).dim());) }

LR_API lr_tensor_shape(Handle t, int64_t* out, int capacity) {
  LR_GUARD(
    const auto sizes = lr::ref(t).sizes();
    TORCH_CHECK(static_cast<int>(sizes.size()) <= capacity, "shape buffer too small");
    std::copy(sizes.begin(), sizes.end(), out);
  )
}

LR_API lr_tensor_dtype(Handle t, int* out) { LR_GUARD(*out = static_cast<int>(lr::ref(t).scalar_type());) }

LR_API lr_tensor_device(Handle t, int* type, int* index) {
  LR_GUARD(
    const auto d = lr::ref(t).device();
    *type = d.is_cuda() ? 1 : 0;
    *index = d.is_cuda() ? d.index() : 0;
  )
}

LR_API lr_tensor_is_contiguous(Handle t, int* out) { LR_GUARD(*out = lr::ref(t).is_contiguous();) }

// The address of the first element, for kernels the engine launches itself.
LR_API lr_tensor_data_ptr(Handle t, void** out) { LR_GUARD(*out = lr::ref(t).data_ptr();) }

// ---- creation -------------------------------------------------------------

// Copies host memory of `source_dtype` into a new tensor of `dtype` on the device, in one pass.
LR_API lr_tensor_from_data(const void* data, const int64_t* shape, int ndim, int source_dtype,
                           int dtype, int device_type, int device_index, Handle* out) {
  LR_GUARD(
    auto view = at::from_blob(const_cast<void*>(data), lr::dims(shape, ndim),
                              at::TensorOptions().dtype(lr::scalar_type(source_dtype)));
    *out = lr::wrap(view.to(lr::options(dtype, device_type, device_index), false, true));
  )
}

LR_API lr_tensor_empty(const int64_t* shape, int ndim, int dtype, int device_type, int device_index, Handle* out) {
  LR_GUARD(*out = lr::wrap(at::empty(lr::dims(shape, ndim), lr::options(dtype, device_type, device_index)));)
}

LR_API lr_tensor_full(const int64_t* shape, int ndim, double value, int64_t integer, int is_integer,
                      int dtype, int device_type, int device_index, Handle* out) {
  LR_GUARD(
    *out = lr::wrap(at::full(lr::dims(shape, ndim), lr::scalar(value, integer, is_integer),
                             lr::options(dtype, device_type, device_index)));
  )
}

LR_API lr_tensor_arange(double start, double end, double step, int dtype, int device_type, int device_index,
                        Handle* out) {
  LR_GUARD(*out = lr::wrap(at::arange(start, end, step, lr::options(dtype, device_type, device_index)));)
}

// ---- copies and conversion ------------------------------------------------

// Copies the tensor's elements, in row-major order, into `nbytes` of host memory.
LR_API lr_tensor_copy_to_host(Handle t, void* destination, int64_t nbytes) {
  LR_GUARD(
    const auto& src = lr::ref(t);
    const int64_t needed = src.numel() * static_cast<int64_t>(src.element_size());
    TORCH_CHECK(nbytes == needed, "destination holds ", nbytes, " bytes, tensor needs ", needed);
    auto host = src.detach().to(at::kCPU).contiguous();
    std::memcpy(destination, host.data_ptr(), static_cast<size_t>(needed));
  )
}

LR_API lr_tensor_to(Handle t, int dtype, int device_type, int device_index, Handle* out) {
  LR_GUARD(*out = lr::wrap(lr::ref(t).to(lr::options(dtype, device_type, device_index)));)
}

LR_API lr_tensor_clone(Handle t, Handle* out) { LR_GUARD(*out = lr::wrap(lr::ref(t).clone());) }

LR_API lr_tensor_contiguous(Handle t, Handle* out) { LR_GUARD(*out = lr::wrap(lr::ref(t).contiguous());) }

LR_API lr_tensor_item(Handle t, double* out) { LR_GUARD(*out = lr::ref(t).item<double>();) }

LR_API lr_tensor_item_int(Handle t, int64_t* out) { LR_GUARD(*out = lr::ref(t).item<int64_t>();) }

// ---- in-place writes ------------------------------------------------------

LR_API lr_tensor_copy_(Handle destination, Handle source) { LR_GUARD(lr::ref(destination).copy_(lr::ref(source));) }

// Copies host memory holding the destination's elements in `source_dtype`, row-major, into it, converting.
LR_API lr_tensor_copy_from_host(Handle destination, const void* data, int64_t nbytes, int source_dtype) {
  LR_GUARD(
    auto& dst = lr::ref(destination);
    const auto type = lr::scalar_type(source_dtype);
    const int64_t needed = dst.numel() * static_cast<int64_t>(c10::elementSize(type));
    TORCH_CHECK(nbytes == needed, "source holds ", nbytes, " bytes, tensor needs ", needed);
    dst.copy_(at::from_blob(const_cast<void*>(data), dst.sizes(), at::TensorOptions().dtype(type)));
  )
}

LR_API lr_tensor_fill_(Handle t, double value, int64_t integer, int is_integer) {
  LR_GUARD(lr::ref(t).fill_(lr::scalar(value, integer, is_integer));)
}
