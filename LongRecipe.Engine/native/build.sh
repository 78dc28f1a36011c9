#!/usr/bin/env bash
# Builds the shim against one libtorch and leaves it at build/liblongrecipe_torch.so.
# Which libtorch, first found wins:
#   LIBTORCH   the root of an unpacked libtorch (the official zip), or a pip torch's package folder
#   Torch_DIR  the folder holding TorchConfig.cmake
#   python3    a pip-installed torch (`import torch`)
#   Debian     libtorch-dev (apt-get install libtorch-dev)
# Each libtorch gets its own CMake build folder, so switching between them and back is
# incremental, and CMake rebuilds only what changed sources or headers touch.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

torch_dir=""
if [ -n "${LIBTORCH:-}" ]; then
  torch_dir="$LIBTORCH/share/cmake/Torch"
elif [ -n "${Torch_DIR:-}" ]; then
  torch_dir="$Torch_DIR"
elif prefix=$(python3 -c 'import torch.utils; print(torch.utils.cmake_prefix_path)' 2>/dev/null) \
     && [ -f "$prefix/Torch/TorchConfig.cmake" ]; then
  torch_dir="$prefix/Torch"
elif [ -f /usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake ]; then
  torch_dir=/usr/lib/x86_64-linux-gnu/cmake/Torch
elif [ -f /usr/lib/aarch64-linux-gnu/cmake/Torch/TorchConfig.cmake ]; then
  torch_dir=/usr/lib/aarch64-linux-gnu/cmake/Torch
fi
if [ -z "$torch_dir" ] || [ ! -f "$torch_dir/TorchConfig.cmake" ]; then
  echo "build.sh: no libtorch found${torch_dir:+ (looked for $torch_dir/TorchConfig.cmake)}." >&2
  echo "  Install Debian's: sudo apt-get install libtorch-dev libopenblas0-pthread cmake g++" >&2
  echo "  or point LIBTORCH at an unpacked libtorch (a CUDA build for the GPU)." >&2
  exit 1
fi
torch_dir=$(cd "$torch_dir" && pwd)

key=$(printf '%s' "$torch_dir" | sha1sum | cut -c1-12)
build="$here/build/$key"
mkdir -p "$here/build"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$here" -B "$build" -DTorch_DIR="$torch_dir" -DCMAKE_BUILD_TYPE=Release >"$build.configure.log" 2>&1 \
    || { cat "$build.configure.log" >&2; exit 1; }
fi
cmake --build "$build" --parallel "$(nproc)" >&2
cmake -E copy_if_different "$build/liblongrecipe_torch.so" "$here/build/liblongrecipe_torch.so"
echo "$torch_dir" >"$here/build/torch_dir.txt"
