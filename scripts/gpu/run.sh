#!/usr/bin/env bash
# There (the GPU machine, from the repository root, after pack.sh here): builds the shim against
# the machine's pip torch (CUDA), runs the whole test suite (CUDA tests included), then the
# GPU benchmarks beside PyTorch eager. Logs go to $OUT; a summary table prints last.
set -uo pipefail
out=${OUT:-/tmp/out}
mkdir -p "$out" /tmp/dotnet
tar -C /tmp/dotnet -xJf .gpu/dotnet-runtime.tar.xz
export DOTNET_ROOT=/tmp/dotnet PATH=/tmp/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1

LongRecipe.Engine/native/build.sh >"$out/shim-build.log" 2>&1 || { tail -40 "$out/shim-build.log"; exit 1; }
for d in .gpu/tests .gpu/bench; do cp LongRecipe.Engine/native/build/liblongrecipe_torch.so "$d/"; done
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"

timeout 300 dotnet .gpu/tests/LongRecipe.Engine.Tests.dll -noColor ${TEST_ARGS:-} >"$out/tests.log" 2>&1
tests_status=$?
BENCH="dotnet .gpu/bench/LongRecipe.Bench.dll" timeout 240 bench/compare.sh cuda >"$out/bench-cuda.txt" 2>"$out/bench-cuda.log"

echo "== shim: $(cat LongRecipe.Engine/native/build/torch_dir.txt)"
echo "== tests (exit $tests_status)"
grep -E "\[FAIL\]|SKIP|Total:" "$out/tests.log" | head -40
echo "== benchmarks (binding vs PyTorch eager $(python3 -c 'import torch;print(torch.__version__)'))"
cat "$out/bench-cuda.txt"
