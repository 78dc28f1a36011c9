#!/usr/bin/env bash
# Long-context prefill through the binding and through transformers eager (bf16, SDPA, chunked into a
# KV cache), same config and data, on the GPU machine: tokens/s and peak GiB.
#   BENCH="dotnet .gpu/bench/LongRecipe.Bench.dll" bench/prefill.sh
# Rows: the 1B shape at 128k tokens, and the 8B shape at 32k, 64k and 128k with both allocators capped at
# 80 GiB (what the 8B needle grid needs to fit on the paper's GPU). CONFIGS overrides, each
# preset:seq:chunk[:cap_gib], e.g. CONFIGS="1b:65536:4096".
set -uo pipefail
cd "$(dirname "$0")/.."
bench=${BENCH:-dotnet bench/LongRecipe.Bench/bin/Release/net10.0/LongRecipe.Bench.dll}
# ROWS keeps the rows as they come (a run cut short still leaves what it measured).
out=${ROWS:-$(mktemp)}
for c in ${CONFIGS:-1b:131072:8192 8b:32768:8192:80 8b:65536:8192:80 8b:131072:8192:80}; do
  IFS=: read -r preset seq chunk cap <<<"$c"
  cap_args=$([ -n "${cap:-}" ] && echo "--memory-fraction $(bench/memory_fraction.sh "$cap")")
  $bench prefill --device cuda --preset "$preset" --seq "$seq" --chunk "$chunk" $cap_args >>"$out" 2>>/dev/stderr \
    || echo "{\"impl\":\"longrecipe\",\"preset\":\"$preset\",\"seq\":$seq,\"failed\":true}" >>"$out"
  python3 bench/peer_prefill.py --preset "$preset" --seq "$seq" --chunk "$chunk" $cap_args >>"$out" 2>>/dev/stderr \
    || echo "{\"impl\":\"pytorch\",\"preset\":\"$preset\",\"seq\":$seq,\"failed\":true}" >>"$out"
done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print(f"{'config':<24}{'impl':<12}{'tokens/s':>12}{'peak GiB':>10}{'ratio':>8}")
for key in dict.fromkeys((r["preset"], r["seq"]) for r in rows):
    pair = {r["impl"]: r for r in rows if (r["preset"], r["seq"]) == key}
    cap = next((f" cap {r['memory_cap']:.3f}" for r in pair.values() if r.get("memory_cap")), "")
    name = f"{key[0]} {key[1]}{cap}"
    for impl in ("longrecipe", "pytorch"):
        r = pair.get(impl, {"failed": True})
        if r.get("failed"):
            print(f"{name:<24}{impl:<12}{r.get('error', 'failed (see log)'):>22}")
            continue
        other = pair.get("pytorch" if impl == "longrecipe" else "longrecipe", {})
        ratio = f"{r['tokens_per_s'] / other['tokens_per_s']:.2f}" if impl == "longrecipe" and other and not other.get("failed") else ""
        print(f"{name:<24}{impl:<12}{r['tokens_per_s']:>12.0f}{r['peak_gib']:>10.1f}{ratio:>8}")
PY
