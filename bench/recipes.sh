#!/usr/bin/env bash
# The recipe and its baselines on the built-in model, 256 → 1024, same evaluation for all: every preset
# scaled up for a GPU (SCALE × the presets' steps and batch; the presets themselves are sized for two CPU
# cores), run through `longrecipe run` into one run store, then one table: training time, passkey and
# needle accuracy by length, perplexity at 1024, short perplexity before → after.
#   LONGRECIPE="dotnet .gpu/cli/longrecipe.dll" DEVICE=cuda DTYPE=bf16 bench/recipes.sh
# LR=3e-4 replaces the extension stages' peak learning rate (the anneal stage's becomes a tenth of it).
set -euo pipefail
cli=${LONGRECIPE:-./longrecipe}
device=${DEVICE:-cuda} dtype=${DTYPE:-bf16} scale=${SCALE:-4} data=${DATA:-/tmp/recipes-data}
presets=${PRESETS:-"base pi ntk yarn pose rpes flt longrecipe"}
specs=$(mktemp -d)
for preset in $presets; do
  # "base" is the model as it is: the PI preset without its rescaling.
  $cli run "$([ "$preset" = base ] && echo pi || echo "$preset")" --print >"$specs/$preset.raw.json"
  python3 - "$specs/$preset.raw.json" "$preset" "$device" "$dtype" "$scale" "${LR:-}" >"$specs/$preset.json" <<'PY'
import json, sys
path, name, device, dtype, scale, lr = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
spec = json.load(open(path))
spec.update(name=name, device=device, dtype=dtype)
if name == "base":
    spec.pop("rope_scaling", None)
for stage in spec["stages"]:
    if stage["kind"] in ("extend", "anneal"):
        stage["steps"] *= scale
        stage["micro_batch_size"] *= scale
        stage["checkpoint_every"] = 0
        if lr:
            stage["learning_rate"] = float(lr) if stage["kind"] == "extend" else float(lr) / 10
spec["eval"] = {"niah": {"lengths": [256, 512, 1024], "depths": [0, 25, 50, 75, 100], "needles_per_cell": 4},
                "passkey": {"lengths": [256, 512, 1024], "samples": 20},
                "perplexity": {"lengths": [256, 512, 1024], "samples": 8}, "short_retention": True}
print(json.dumps(spec))
PY
  $cli run "$specs/$preset.json" --data "$data" >"$specs/$preset.result.json" 2>"$specs/$preset.log" || true
done
python3 - "$specs" $presets <<'PY'
import json, sys, os
folder, names = sys.argv[1], sys.argv[2:]
print(f"{'run':<11} {'status':<10} {'secs':>6}  {'passkey 256/512/1024':>21}  {'niah 256/512/1024':>18}  {'ppl@1024':>8}  {'short ppl base→after':>20}")
for name in names:
    r = json.load(open(os.path.join(folder, f"{name}.result.json")))
    cells = r["evals"]
    def value(stage, bench, length=None, metric="accuracy"):
        vs = [c["value"] for c in cells if c["stage"] == stage and c["benchmark"] == bench and c["metric"] == metric
              and (length is None or c["context_length"] == length)]
        return sum(vs) / len(vs) if vs else float("nan")
    pk = "/".join(f"{value('eval', 'passkey', n):.2f}" for n in (256, 512, 1024))
    nh = "/".join(f"{value('eval', 'niah', n):.2f}" for n in (256, 512, 1024))
    ppl = value("eval", "perplexity", 1024, "perplexity")
    short = f"{value('base', 'short_perplexity', None, 'perplexity'):.2f} → {value('eval', 'short_perplexity', None, 'perplexity'):.2f}"
    print(f"{name:<11} {r['status']:<10} {r['seconds'] or 0:>6.0f}  {pk:>21}  {nh:>18}  {ppl:>8.2f}  {short:>20}")
PY
