#!/usr/bin/env bash
# Tokens/s of the default recipe's two training stages, as the run's own step events report them
# (`./longrecipe run longrecipe`, CPU, f32): the preset with EXTEND_STEPS extend and ANNEAL_STEPS anneal
# steps, no merge and no evaluation. Each command runs once per round, in turn, so a load that changes
# while it runs slows every command alike; each stage's median is taken over the steps of every round
# (the first step of a stage, which warms up, left out).
#   bench/stage_throughput.sh                                         # this checkout, 3 rounds
#   ROUNDS=5 bench/stage_throughput.sh "dotnet /tmp/before/LongRecipe.Cli/bin/Release/net10.0/longrecipe.dll" ./longrecipe
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- ./longrecipe
rounds=${ROUNDS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for i in $(seq 1 $#); do
  command=${!i}
  mkdir -p "$work/$i"
  $command run longrecipe --print | python3 -c '
import json, os, sys
spec = json.load(sys.stdin)
steps = {"extend": int(os.environ.get("EXTEND_STEPS", 20)), "anneal": int(os.environ.get("ANNEAL_STEPS", 15))}
spec["stages"] = [dict(s, steps=steps[s["kind"]], warmup_steps=min(s["warmup_steps"], steps[s["kind"]] - 1))
                  for s in spec["stages"] if s["kind"] in steps]
spec["eval"] = {"short_retention": False}
json.dump(spec, sys.stdout)' >"$work/$i/spec.json"
done

for round in $(seq 1 "$rounds"); do
  for i in $(seq 1 $#); do
    echo "round $round/$rounds: ${!i}" >&2
    ${!i} run "$work/$i/spec.json" --data "$work/$i/data" >/dev/null 2>"$work/$i/round-$round.log" \
      || { tail -5 "$work/$i/round-$round.log" >&2; exit 1; }
  done
done

for i in $(seq 1 $#); do
  python3 - "$work/$i/data/runs.db" "${!i}" "$rounds" <<'PY'
import sqlite3, statistics, sys
db, command, rounds = sys.argv[1], sys.argv[2], sys.argv[3]
rows = sqlite3.connect(db).execute("SELECT stage, tokens_per_second FROM steps WHERE step > 1").fetchall()
medians = {stage: statistics.median(v for s, v in rows if s == stage) for stage in ("extend", "anneal")}
counts = {stage: sum(1 for s, _ in rows if s == stage) for stage in medians}
print(f"{command}: extend {medians['extend']:.0f} tok/s, anneal {medians['anneal']:.0f} tok/s "
      f"(medians of {counts['extend']} and {counts['anneal']} steps over {rounds} rounds)")
PY
done
