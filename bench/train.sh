#!/usr/bin/env bash
# Llama training-step throughput, peak memory and MFU through the binding and through transformers
# eager (bf16, SDPA, fused AdamW), same config and data, on the GPU machine:
#   BENCH="dotnet .gpu/bench/LongRecipe.Bench.dll" bench/train.sh
# Rows: 125M at 4k tokens, 1B at 16k, and 1B with activation checkpointing at 64k (the longest-
# sequence target); CONFIGS overrides, e.g. CONFIGS="1b:32768:true".
set -uo pipefail
cd "$(dirname "$0")/.."
bench=${BENCH:-dotnet bench/LongRecipe.Bench/bin/Release/net10.0/LongRecipe.Bench.dll}
out=$(mktemp)
for c in ${CONFIGS:-125m:4096:false 1b:16384:false 1b:16384:true 1b:65536:true}; do
  IFS=: read -r preset seq checkpoint <<<"$c"
  $bench train --device cuda --preset "$preset" --seq "$seq" --checkpoint "$checkpoint" >>"$out" 2>>/dev/stderr \
    || echo "{\"impl\":\"longrecipe\",\"preset\":\"$preset\",\"seq\":$seq,\"checkpoint\":$checkpoint,\"failed\":true}" >>"$out"
  flag=$([ "$checkpoint" = true ] && echo --checkpoint)
  python3 bench/peer_train.py --preset "$preset" --seq "$seq" $flag >>"$out" 2>>/dev/stderr \
    || echo "{\"impl\":\"pytorch\",\"preset\":\"$preset\",\"seq\":$seq,\"checkpoint\":$checkpoint,\"failed\":true}" >>"$out"
done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print(f"{'config':<22}{'impl':<12}{'tokens/s':>12}{'MFU':>8}{'peak GiB':>10}{'loss':>9}{'ratio':>8}")
for key in dict.fromkeys((r["preset"], r["seq"], r["checkpoint"]) for r in rows):
    pair = {r["impl"]: r for r in rows if (r["preset"], r["seq"], r["checkpoint"]) == key}
    name = f"{key[0]} {key[1]}{' ckpt' if key[2] else ''}"
    for impl in ("longrecipe", "pytorch"):
        r = pair.get(impl, {"failed": True})
        if r.get("failed"):
            print(f"{name:<22}{impl:<12}{'failed (see log)':>20}")
            continue
        other = pair.get("pytorch" if impl == "longrecipe" else "longrecipe", {})
        ratio = f"{r['tokens_per_s'] / other['tokens_per_s']:.2f}" if impl == "longrecipe" and not other.get("failed", True) else ""
        print(f"{name:<22}{impl:<12}{r['tokens_per_s']:>12.0f}{100 * r['mfu']:>7.1f}%{r['peak_gib']:>10.1f}{r['loss']:>9.3f}{ratio:>8}")
PY
