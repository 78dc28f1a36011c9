#!/usr/bin/env bash
# Runs each benchmark through the binding and through PyTorch eager on this machine, same config,
# and prints them side by side with the ratio (binding ÷ PyTorch; for per-call time, lower is better).
#   bench/compare.sh cpu     needs Debian's python3-torch (same libtorch 1.13 as the binding)
#   bench/compare.sh cuda    on the GPU machine: BENCH="<published bench binary>" bench/compare.sh cuda
set -euo pipefail
cd "$(dirname "$0")/.."
device=${1:-cpu}
# libtorch defaults to one thread per physical core; both sides get the same count.
THREADS=${THREADS:-$(nproc)}
python=${PYTHON:-python3}
bench=${BENCH:-}
if [ -z "$bench" ]; then
  dotnet build bench/LongRecipe.Bench -c Release -v quiet -nologo >&2
  bench="dotnet bench/LongRecipe.Bench/bin/Release/net10.0/LongRecipe.Bench.dll"
fi
out=$(mktemp)
if [ "$device" = cpu ]; then
  runs=("matmul --dtype f32 --sizes 256,512,1024,2048" "mlp" "overhead")
else
  runs=("matmul --dtype bf16 --sizes 1024,4096,8192" "matmul --dtype f32 --sizes 4096" "mlp" "overhead")
fi
for r in "${runs[@]}"; do
  $bench $r --device "$device" --threads "$THREADS" | tee -a "$out" >&2
  $python bench/peer_torch.py $r --device "$device" --threads "$THREADS" | tee -a "$out" >&2
done
$python - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def key(r): return (r["bench"], r["dtype"], r.get("n"))
metric = {"matmul": ("gflops", "GFLOP/s"), "mlp_step": ("steps_per_s", "steps/s"), "tiny_add": ("us_per_call", "µs/call")}
print(f"{'benchmark':<22}{'device':<8}{'unit':<10}{'binding':>12}{'pytorch':>12}{'ratio':>8}")
for k in dict.fromkeys(key(r) for r in rows):
    ours = next(r for r in rows if key(r) == k and r["impl"] == "longrecipe")
    peer = next(r for r in rows if key(r) == k and r["impl"] == "pytorch")
    field, unit = metric[k[0]]
    name = k[0] + (f" {k[2]}" if k[2] else "") + f" {k[1]}"
    print(f"{name:<22}{ours['device']:<8}{unit:<10}{ours[field]:>12.2f}{peer[field]:>12.2f}{ours[field] / peer[field]:>8.2f}")
PY
