#!/usr/bin/env bash
# There (the GPU machine, from the repository root, after `scripts/gpu/pack.sh` here with the real corpus fetched;
# the calls carry .gpu/dotnet-runtime.tar.xz, .gpu/cli.tar.xz and .gpu/corpus.tar.xz, the corpus in a call of its own
# first, as the three are over 64 MiB; experiments/replication/README.md has the calls):
# the real-text models and the replication experiment in one sitting. The work runs detached from the calls, in
# its own session (a call may last 10 minutes, the lease 30), so calls only start it and wait on it:
#   scripts/gpu/replicate.sh start [S]   build the shim, start the pipeline, then wait as below
#   scripts/gpu/replicate.sh wait [S]    wait up to S seconds (default 540) for the pipeline to end; either way, what
#                                        is ready comes back in $OUT: summary.txt, logs.tgz, builtin.tar.gz (the
#                                        built-in model, once measured), replication.tgz (the experiment's report) and
#                                        runs.db.gz (the run store: a partial one while the experiment still runs)
#   scripts/gpu/replicate.sh follow-up NAME ARGS...
#                                        after the pipeline, in the same lease (it needs the base): one more experiment
#                                        from `make_experiment.py --name NAME ARGS...`; its report in $OUT/NAME, the run store
# The pipeline: unpack the corpus; train the tokenizer on it; pretrain the built-in model and the experiment's base
# side by side; measure the built-in model (passkeys, bits per byte, HF tokenizers and transformers on it); run the
# experiment; check a searched model's longrope config in transformers beside the engine.
# BUILTIN_ARGS and BASE_ARGS replace the pretraining options below; EXPERIMENT_ARGS go to make_experiment.py.
# DEVICE=cpu DTYPE=f32 BASE_CONFIG=builtin (with small BUILTIN_ARGS, BASE_ARGS and EXPERIMENT_ARGS="--smoke ...") rehearse it on a CPU.
set -uo pipefail
out=${OUT:-/tmp/out}
phase=${1:-start}
state=${STATE:-/tmp/replicate}
logs=$state/logs ready=$state/ready summary=$state/summary.txt
export DOTNET_ROOT=/tmp/dotnet PATH=/tmp/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 PYTHONUNBUFFERED=1
cli=${CLI:-dotnet .gpu/cli/longrecipe.dll}
device=${DEVICE:-cuda} dtype=${DTYPE:-bf16}
note() { echo "$(date -u +%T) $*" >>"$summary"; }
# The run store, gzipped into $OUT: SQLite's backup gives a consistent copy even while runs write to it.
copy_store() {
  python3 -c "import sqlite3,sys; s=sqlite3.connect(sys.argv[1]); d=sqlite3.connect(sys.argv[2]); s.backup(d); d.close()" data/runs.db "$state/runs.db" \
    && gzip -c "$state/runs.db" >"$out/runs.db.gz"
}

# Each step leaves a mark in $state/done: a second start in the same lease (after a fix) redoes only what is missing.
step() { [ -f "$state/done/$1" ]; }
mark() { touch "$state/done/$1"; }

pipeline() {
  step corpus || { tar -C data/corpora/real -xJf .gpu/corpus.tar.xz && mark corpus; }
  # One byte-level BPE trained on the corpus's train split for both models (deterministic: the same one as here).
  step tokenizer || { $cli tokenizer-train --corpus data/corpora/real --vocab-size ${VOCAB_SIZE:-8192} --out "$state/tokenizer" \
    >"$logs/tokenizer-train.json" 2>"$logs/tokenizer-train.log" && mark tokenizer && note "tokenizer trained"; } || { note "tokenizer training failed"; return 1; }
  # The built-in model first: it builds the corpus's token store, which the base's pretraining then shares.
  local started=$(date +%s) builtin= base=
  if ! step builtin; then
    $cli pretrain --tokenizer "$state/tokenizer" --corpus data/corpora/real --out "$state/builtin" --config builtin --device $device --dtype $dtype \
      ${BUILTIN_ARGS:---steps 5000 --batch 128 --seq-len 256 --lr 2e-3 --warmup 300 --checkpoint-every 1000 --retrieval-ratio 0.5 --seed 0} \
      >"$logs/builtin-pretrain.json" 2>"$logs/builtin-pretrain.log" &
    builtin=$!
    until ls data/corpora/real/tokens/*/manifest.json >/dev/null 2>&1 || ! kill -0 $builtin 2>/dev/null; do sleep 2; done
  fi
  if ! step base; then
    $cli pretrain --tokenizer "$state/tokenizer" --corpus data/corpora/real --out data/models/replication-base --config ${BASE_CONFIG:-small} --device $device --dtype $dtype \
      ${BASE_ARGS:---steps 1800 --batch 64 --seq-len 512 --lr 1e-3 --warmup 100 --checkpoint-every 900 --retrieval-ratio 0.3 --seed 0} \
      >"$logs/base-pretrain.json" 2>"$logs/base-pretrain.log" &
    base=$!
  fi
  if [ -n "$builtin" ]; then
    wait $builtin && mark builtin
    note "built-in pretraining exit $? after $(( $(date +%s) - started )) s: $(cat "$logs/builtin-pretrain.json")"
  fi
  if step builtin && ! step builtin-measured; then
    # The built-in model measured: passkeys (100 per length), needles and held-out perplexity / bits per byte at its window and beyond.
    $cli eval --model "$state/builtin" --device $device --suite passkey,niah,perplexity --lengths 256,512,1024 --passkeys 100 --needles 10 \
      --documents 16 --corpus data/corpora/real --split test --batch-size 16 >"$logs/builtin-eval.jsonl" 2>"$logs/builtin-eval.log"
    local reference=LongRecipe.Engine.Tests/Tokenization/Reference
    python3 "$reference/compare_trained_tokenizer.py" requests >"$state/requests.jsonl"
    $cli tokenize --tokenizer "$state/builtin" <"$state/requests.jsonl" >"$state/ours.jsonl" 2>/dev/null
    (cd "$reference" && python3 compare_trained_tokenizer.py compare "$state/builtin" "$state/requests.jsonl" "$state/ours.jsonl") >"$logs/tokenizer-compare.txt" 2>&1
    python3 scripts/gpu/builtin_check.py request "$state/builtin" >"$state/request.jsonl" 2>"$logs/transformers-check.txt"
    $cli score --model "$state/builtin" --device cpu --dtype f32 <"$state/request.jsonl" >"$state/engine-score.jsonl" 2>>"$logs/transformers-check.txt"
    python3 scripts/gpu/builtin_check.py compare "$state/builtin" "$state/request.jsonl" "$state/engine-score.jsonl" >>"$logs/transformers-check.txt" 2>&1
    tar -C "$state/builtin" -czf "$ready/builtin.tar.gz" config.json model.safetensors tokenizer.json tokenizer_config.json && mark builtin-measured
    note "built-in model measured (HF tokenizers: $(tail -1 "$logs/tokenizer-compare.txt"); transformers: $(tail -1 "$logs/transformers-check.txt"))"
  fi
  if [ -n "$base" ]; then
    wait $base && mark base
    note "base pretraining exit $? after $(( $(date +%s) - started )) s: $(cat "$logs/base-pretrain.json")"
  fi
  step base || return 1
  if ! step base-measured; then
    $cli eval --model data/models/replication-base --device $device --suite passkey,niah,perplexity --lengths 512 --passkeys 100 --needles 10 \
      --documents 16 --corpus data/corpora/real --split test --batch-size 16 >"$logs/base-eval.jsonl" 2>"$logs/base-eval.log" && mark base-measured
    note "base measured"
  fi

  # The experiment reuses the runs it completed before (a second start resumes it).
  python3 experiments/replication/make_experiment.py --device $device ${EXPERIMENT_ARGS:-} >data/experiment.json
  note "experiment started"
  $cli experiment data/experiment.json --data data --out "$state/replication" >"$logs/experiment.json" 2>"$logs/experiment.log"
  local experiment_exit=$?
  note "experiment exit $experiment_exit"
  [ $experiment_exit -eq 0 ] || return 1
  cp data/experiment.json "$state/replication/"
  tar -C "$state" -czf "$ready/replication.tgz" replication
  # The longrope check: a searched final model (n̂ = 0) of the experiment, in transformers beside the engine.
  local model=$(ls -d data/runs/*-longrope/model 2>/dev/null | head -1)
  if [ -n "$model" ]; then
    timeout 300 python3 scripts/gpu/longrope_check.py "$model" --engine "$cli" --device $device --lengths 1024,2048,4096 >"$logs/longrope-check.txt" 2>&1
    note "longrope in transformers beside the engine ($model, exit $?)"
  fi
}

case $phase in
  start)
    rm -f "$state/exit" && mkdir -p "$logs" "$ready" "$state/done" /tmp/dotnet data/corpora/real data/models
    [ -x /tmp/dotnet/dotnet ] || tar -C /tmp/dotnet -xJf .gpu/dotnet-runtime.tar.xz
    [ -f .gpu/cli.tar.xz ] && tar -C .gpu -xJf .gpu/cli.tar.xz
    LongRecipe.Engine/native/build.sh >"$logs/shim-build.log" 2>&1 || { tail -40 "$logs/shim-build.log"; exit 1; }
    cp LongRecipe.Engine/native/build/liblongrecipe_torch.so .gpu/cli/
    { nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "no GPU"; } >>"$summary" 2>/dev/null
    note "shim built; pipeline started"
    # Its own session, so it outlives this call; the next call waits on it.
    setsid nohup bash -c "'$0' pipeline >'$logs/pipeline.log' 2>&1; echo \$? >'$state/exit'" >/dev/null 2>&1 </dev/null &
    exec "$0" wait "${2:-540}" ;;

  pipeline) pipeline ;;

  wait)
    deadline=$(( $(date +%s) + ${2:-540} ))
    while [ ! -f "$state/exit" ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 10; done
    mkdir -p "$out"
    cp "$ready"/* "$out/" 2>/dev/null
    [ -f data/runs.db ] && copy_store
    tar -C "$state" -czf "$out/logs.tgz" logs
    cat "$summary"
    echo "== pipeline: $( [ -f "$state/exit" ] && echo "ended, exit $(cat "$state/exit")" || echo "still running" ) at $(date -u +%T)"
    for log in builtin-pretrain base-pretrain experiment; do
      [ -f "$logs/$log.log" ] && echo "$log: $(tr '\r' '\n' <"$logs/$log.log" | grep -v '^$' | tail -1)"
    done
    [ -f "$logs/builtin-eval.jsonl" ] && { echo "== built-in eval"; cat "$logs/builtin-eval.jsonl"; }
    [ -f "$logs/base-eval.jsonl" ] && { echo "== base eval"; cat "$logs/base-eval.jsonl"; }
    [ -f "$state/replication/results.md" ] && cat "$state/replication/results.md"
    [ -f "$logs/longrope-check.txt" ] && { echo "== longrope check"; tail -8 "$logs/longrope-check.txt"; }
    true ;;
  follow-up)
    name=${2:?follow-up needs a name}
    python3 experiments/replication/make_experiment.py --device $device --name "$name" "${@:3}" >"data/$name.json" || exit 1
    $cli experiment "data/$name.json" --data data --out "$out/$name" >"$out/$name.json" 2>"$logs/$name.log"
    echo "== $name: exit $?"
    cp "data/$name.json" "$out/$name/experiment.json"
    copy_store
    cat "$out/$name/results.md" ;;
  *) echo "unknown phase $phase (start, wait, follow-up)"; exit 2 ;;
esac
