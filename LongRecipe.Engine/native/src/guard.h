// The one guard every export goes through: no C++ exception crosses into .NET.
// An export returns 0 on success; on failure it returns 1 and lr_last_error() holds
// libtorch's message with the shim file and line that caught it.
#pragma once

#include <ATen/ATen.h>
#include <string>
#include <torch/version.h>

#define LR_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

#define LR_EXPORT extern "C" __attribute__((visibility("default")))
// An export that reports through its status code.
#define LR_API LR_EXPORT int
// An export that cannot fail (frees, the error accessor); exempt from the guard.
#define LR_NOTHROW LR_EXPORT

namespace lr {
void set_error(const char* message, const char* file, int line);
}

#define LR_GUARD(...)                                                      \
  try {                                                                    \
    __VA_ARGS__                                                            \
  } catch (const c10::Error& e) {                                          \
    lr::set_error(e.what_without_backtrace(), __FILE__, __LINE__);         \
    return 1;                                                              \
  } catch (const std::exception& e) {                                      \
    lr::set_error(e.what(), __FILE__, __LINE__);                           \
    return 1;                                                              \
  } catch (...) {                                                          \
    lr::set_error("unknown native exception", __FILE__, __LINE__);        \
    return 1;                                                              \
  }                                                                        \
  return 0;

// A tensor handle is an owned at::Tensor on the native heap.
using Handle = at::Tensor*;

namespace lr {

inline Handle wrap(at::Tensor t) { return new at::Tensor(std::move(t)); }

inline const at::Tensor& ref(Handle t) {
  TORCH_CHECK(t != nullptr, "null tensor handle");
  return *t;
}

// Optional tensor arguments arrive as null handles.
inline c10::optional<at::Tensor> opt(Handle t) {
  return t == nullptr ? c10::optional<at::Tensor>() : c10::optional<at::Tensor>(*t);
}

inline at::IntArrayRef dims(const int64_t* values, int count) {
  TORCH_CHECK(count >= 0, "negative dimension count");
  return at::IntArrayRef(values, static_cast<size_t>(count));
}

inline at::ScalarType scalar_type(int code) {
  return static_cast<at::ScalarType>(code);
}

inline at::Device device(int type, int index) {
  TORCH_CHECK(type == 0 || type == 1, "unknown device type ", type);
  return type == 0 ? at::Device(at::kCPU)
                   : at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
}

inline at::TensorOptions options(int dtype, int device_type, int device_index) {
  return at::TensorOptions().dtype(scalar_type(dtype)).device(device(device_type, device_index));
}

// A scalar arrives as a double plus an exact integer, so integer tensors stay integer.
inline at::Scalar scalar(double value, int64_t integer, int is_integer) {
  return is_integer ? at::Scalar(integer) : at::Scalar(value);
}

inline std::vector<at::Tensor> list(const Handle* handles, int count) {
  std::vector<at::Tensor> tensors;
  tensors.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) tensors.push_back(ref(handles[i]));
  return tensors;
}

}  // namespace lr
