#!/usr/bin/env bash
# Peak GPU memory of one training step against sequence length, for the 1B and 8B shapes with and
# without activation checkpointing (the 1B with f32 AdamW moments as in bench/train.sh, the 8B with
# 8-bit ones: nothing else holds it), on the whole GPU; a length past the GPU reads "oom". Writes
# memory.csv and plots it to memory.svg (bench/memory_plot.py) in OUT_DIR (default bench/):
#   BENCH="dotnet .gpu/bench/LongRecipe.Bench.dll" bench/memory.sh
# SERIES picks the series (preset:checkpoint[:optimizer_state]) and SEQS the lengths; on the CPU, tiny
# shapes try the pipeline: DEVICE=cpu SERIES="tiny:false tiny:true" SEQS=256,512,1024 bench/memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${BENCH:-dotnet bench/LongRecipe.Bench/bin/Release/net10.0/LongRecipe.Bench.dll}
out_dir=${OUT_DIR:-bench}
seqs=${SEQS:-4096,8192,16384,32768,38400,65536,131072}
mkdir -p "$out_dir"
# Rows are kept as they come, so a run cut short still leaves the lengths it measured.
rows=$out_dir/memory.jsonl
: >"$rows"
for s in ${SERIES:-1b:false 1b:true 8b:false:int8_blockwise 8b:true:int8_blockwise}; do
  IFS=: read -r preset checkpoint state <<<"$s"
  echo "memory: $preset checkpoint=$checkpoint ${state:-f32}" >&2
  $bench memory --device "${DEVICE:-cuda}" --preset "$preset" --checkpoint "$checkpoint" --optimizer-state "${state:-f32}" --seqs "$seqs" >>"$rows"
done
python3 - "$rows" "$out_dir/memory.csv" <<'PY'
import csv, json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
with open(sys.argv[2], "w", newline="") as f:
    out = csv.writer(f)
    out.writerow(["preset", "checkpoint", "optimizer_state", "seq", "peak_gib", "tokens_per_s", "oom", "memory"])
    for r in rows:
        out.writerow([r["preset"], r["checkpoint"], r["optimizer_state"], r["seq"], r.get("peak_gib", ""),
                      r.get("tokens_per_s", ""), r.get("oom", False), r.get("memory", "")])
PY
python3 bench/memory_plot.py "$out_dir/memory.csv" "$out_dir/memory.svg"
cat "$out_dir/memory.csv"
