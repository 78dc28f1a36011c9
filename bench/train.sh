#!/usr/bin/env bash
# Llama training-step throughput, peak memory and MFU through the binding and through transformers
# eager (bf16, SDPA, fused AdamW), same config and data, on the GPU machine:
#   BENCH="dotnet .gpu/bench/LongRecipe.Bench.dll" bench/train.sh
# Rows: 125M at 4k tokens, 1B at 16k, and 1B with activation checkpointing at 64k (the longest-
# sequence target). CONFIGS overrides, each preset:seq:checkpoint[:optimizer_state[:cap_gib]], e.g.
# CONFIGS="8b:38400:true:int8_blockwise:80" (the paper's setting: the allocator of both sides capped at
# 80 GiB of the GPU, the binding's AdamW moments in 8 bits; PyTorch keeps torch.optim.AdamW's).
# WARMUP and STEPS set the steps before and during the timing (default 3 and 10). ATTENTION=cudnn (or flash) limits
# both sides to that fused attention kernel (default all: libtorch's own choice). CUDA_GRAPH=1 records the binding's step
# once as a CUDA graph and times its replays (PyTorch stays eager). JIT_KERNELS=0 composes SwiGLU from libtorch's ops
# instead of the binding's run-time compiled kernel (to measure what the kernel brings); COMPILED_KERNELS=0 composes
# cross-entropy and rotary from libtorch's ops instead of the binding's kernels compiled through NVRTC;
# RESIDUAL_NORM_KERNEL=0 adds each residual update apart from the next RMSNorm, not inside its kernel; SHARED_INPUT_LINEAR=1
# sums the gradient of the projections' shared input inside the matrix products (off by default: no measured effect). PEER=0
# skips PyTorch (a second row of the binding in the same sitting, to compare its switches, needs no second peer).
set -uo pipefail
cd "$(dirname "$0")/.."
bench=${BENCH:-dotnet bench/LongRecipe.Bench/bin/Release/net10.0/LongRecipe.Bench.dll}
timing="--warmup ${WARMUP:-3} --steps ${STEPS:-10} --attention ${ATTENTION:-all}"
graph=$([ -n "${CUDA_GRAPH:-}" ] && echo --cuda-graph)
[ "${JIT_KERNELS:-1}" = 0 ] && graph="$graph --no-jit-kernels"
[ "${COMPILED_KERNELS:-1}" = 0 ] && graph="$graph --no-compiled-kernels"
[ "${RESIDUAL_NORM_KERNEL:-1}" = 0 ] && graph="$graph --no-residual-norm-kernel"
[ "${SHARED_INPUT_LINEAR:-0}" = 1 ] && graph="$graph --shared-input-linear"
out=$(mktemp)
for c in ${CONFIGS:-125m:4096:false 1b:16384:false 1b:16384:true 1b:65536:true}; do
  IFS=: read -r preset seq checkpoint state cap <<<"$c"
  state=${state:-f32}
  cap_args=$([ -n "${cap:-}" ] && echo "--memory-fraction $(bench/memory_fraction.sh "$cap")")
  $bench train --device cuda --preset "$preset" --seq "$seq" --checkpoint "$checkpoint" --optimizer-state "$state" $cap_args $timing $graph \
    >>"$out" 2>>/dev/stderr \
    || echo "{\"impl\":\"longrecipe\",\"preset\":\"$preset\",\"seq\":$seq,\"checkpoint\":$checkpoint,\"failed\":true}" >>"$out"
  flag=$([ "$checkpoint" = true ] && echo --checkpoint)
  [ "${PEER:-1}" = 0 ] || python3 bench/peer_train.py --preset "$preset" --seq "$seq" $flag $cap_args $timing >>"$out" 2>>/dev/stderr \
    || echo "{\"impl\":\"pytorch\",\"preset\":\"$preset\",\"seq\":$seq,\"checkpoint\":$checkpoint,\"failed\":true}" >>"$out"
done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print(f"{'config':<28}{'impl':<12}{'attention':<10}{'state':<16}{'tokens/s':>12}{'MFU':>8}{'peak GiB':>10}{'state GiB':>10}{'loss':>9}{'ratio':>8}{'tokens/day':>12}")
for key in dict.fromkeys((r["preset"], r["seq"], r["checkpoint"]) for r in rows):
    pair = {r["impl"]: r for r in rows if (r["preset"], r["seq"], r["checkpoint"]) == key}
    for impl in ("longrecipe", "pytorch"):
        if impl not in pair:
            continue
        r = pair[impl]
        name = f"{key[0]} {key[1]}{' ckpt' if key[2] else ''}{' graph' if r.get('cuda_graph') else ''}{' nojit' if r.get('jit_kernels') is False else ''}{' no-nvrtc' if r.get('compiled_kernels') is False else ''}{' no-resnorm' if r.get('residual_norm_kernel') is False and r.get('compiled_kernels') is not False else ''}{' shared-in' if r.get('shared_input_linear') else ''}"
        if r.get("failed"):
            print(f"{name:<28}{impl:<12}{r.get('error', 'failed (see log)'):>28}")
            continue
        other = pair.get("pytorch" if impl == "longrecipe" else "longrecipe", {})
        ratio = f"{r['tokens_per_s'] / other['tokens_per_s']:.2f}" if impl == "longrecipe" and other and not other.get("failed") else ""
        cap = f" (cap {r['memory_cap']:.3f})" if r.get("memory_cap") else ""
        # What one day at this speed trains on: the paper's budget for Llama-3-8B at 38k tokens.
        day = f"{r['tokens_per_s'] * 86400 / 1e9:.2f}B"
        print(f"{name:<28}{impl:<12}{r.get('attention', ''):<10}{r.get('optimizer_state', ''):<16}{r['tokens_per_s']:>12.0f}{100 * r['mfu']:>7.1f}%{r['peak_gib']:>10.1f}"
              f"{r.get('state_gib', 0):>10.1f}{r['loss']:>9.3f}{ratio:>8}{day:>12}{cap}")
PY
