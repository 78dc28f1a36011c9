#!/usr/bin/env bash
# There (the GPU machine, from the repository root, after `scripts/gpu/pack.sh` here with the real corpus fetched):
# the real-text models and the replication experiment in one sitting. Phases keep their state in data/ and /tmp,
# so the second runs in a later call of the same lease (a call may last 10 minutes, the whole at most 25):
#   scripts/gpu/replicate.sh start      unpack the corpus; train the tokenizer on it; pretrain the built-in model and the experiment's base side
#                                       by side; measure the built-in model (passkey, bits per byte, transformers and HF
#                                       tokenizers on it; it comes back as $OUT/builtin.tar.gz); start the experiment
#   scripts/gpu/replicate.sh wait [S]   wait up to S seconds (default 540) for the experiment; once it ended, its report
#                                       ($OUT/replication.tgz), the run store ($OUT/runs.db.gz) and the longrope check in
#                                       transformers on a searched final model
# BUILTIN_ARGS and BASE_ARGS replace the pretraining options below; EXPERIMENT_ARGS go to make_experiment.py.
set -uo pipefail
out=${OUT:-/tmp/out}
phase=${1:-start}
mkdir -p "$out" /tmp/logs
export DOTNET_ROOT=/tmp/dotnet PATH=/tmp/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 PYTHONUNBUFFERED=1
cli="dotnet .gpu/cli/longrecipe.dll"
summary=$out/summary.txt

case $phase in
  start)
    mkdir -p /tmp/dotnet data/corpora/real data/models
    tar -C /tmp/dotnet -xJf .gpu/dotnet-runtime.tar.xz
    LongRecipe.Engine/native/build.sh >/tmp/logs/shim-build.log 2>&1 || { tail -40 /tmp/logs/shim-build.log; exit 1; }
    cp LongRecipe.Engine/native/build/liblongrecipe_torch.so .gpu/cli/
    tar -C data/corpora/real -xJf .gpu/corpus.tar.xz
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >"$summary"

    # One byte-level BPE trained on the corpus's train split for both models (deterministic: the same one as here).
    $cli tokenizer-train --corpus data/corpora/real --vocab-size ${VOCAB_SIZE:-8192} --out /tmp/tokenizer >/tmp/logs/tokenizer-train.json 2>/dev/null
    # The built-in model first: it builds the corpus's token store, which the base's pretraining then shares.
    started=$(date +%s)
    $cli pretrain --tokenizer /tmp/tokenizer --corpus data/corpora/real --out /tmp/builtin --config builtin --device cuda --dtype bf16 \
      ${BUILTIN_ARGS:---steps 3000 --batch 128 --seq-len 256 --lr 2e-3 --warmup 300 --checkpoint-every 1000 --retrieval-ratio 0.5 --seed 0} \
      >/tmp/logs/builtin-pretrain.json 2>/tmp/logs/builtin-pretrain.log &
    builtin=$!
    until ls data/corpora/real/tokens/*/manifest.json >/dev/null 2>&1 || ! kill -0 $builtin 2>/dev/null; do sleep 2; done
    $cli pretrain --tokenizer /tmp/tokenizer --corpus data/corpora/real --out data/models/replication-base --config small --device cuda --dtype bf16 \
      ${BASE_ARGS:---steps 1800 --batch 64 --seq-len 512 --lr 1e-3 --warmup 100 --checkpoint-every 900 --retrieval-ratio 0.3 --seed 0} \
      >/tmp/logs/base-pretrain.json 2>/tmp/logs/base-pretrain.log &
    base=$!
    wait $builtin; wait $base
    echo "pretraining (both, side by side): $(( $(date +%s) - started )) s" >>"$summary"
    { echo "== built-in: $(cat /tmp/logs/builtin-pretrain.json)"; echo "== base: $(cat /tmp/logs/base-pretrain.json)"; } >>"$summary"

    # The built-in model measured: passkeys (100 per length) and held-out perplexity / bits per byte at its window and beyond.
    $cli eval --model /tmp/builtin --device cuda --suite passkey,perplexity --lengths 256,512,1024 --passkeys 100 --documents 16 \
      --corpus data/corpora/real --split test --batch-size 16 >/tmp/logs/builtin-eval.jsonl 2>/tmp/logs/builtin-eval.log
    $cli eval --model data/models/replication-base --device cuda --suite passkey,niah,perplexity --lengths 512 --passkeys 100 --needles 10 \
      --documents 16 --corpus data/corpora/real --split test --batch-size 16 >/tmp/logs/base-eval.jsonl 2>/tmp/logs/base-eval.log
    reference=LongRecipe.Engine.Tests/Tokenization/Reference
    python3 "$reference/compare_trained_tokenizer.py" requests >/tmp/requests.jsonl
    $cli tokenize --tokenizer /tmp/builtin </tmp/requests.jsonl >/tmp/ours.jsonl 2>/dev/null
    (cd "$reference" && python3 compare_trained_tokenizer.py compare /tmp/builtin /tmp/requests.jsonl /tmp/ours.jsonl) >/tmp/logs/tokenizer-compare.txt 2>&1
    python3 scripts/gpu/builtin_check.py request /tmp/builtin >/tmp/request.jsonl 2>/tmp/logs/transformers-check.txt
    $cli score --model /tmp/builtin --device cpu --dtype f32 </tmp/request.jsonl >/tmp/engine-score.jsonl 2>>/tmp/logs/transformers-check.txt
    python3 scripts/gpu/builtin_check.py compare /tmp/builtin /tmp/request.jsonl /tmp/engine-score.jsonl >>/tmp/logs/transformers-check.txt 2>&1
    { echo "== built-in eval (benchmark length metric value samples)"; cat /tmp/logs/builtin-eval.jsonl
      echo "== base eval"; cat /tmp/logs/base-eval.jsonl
      echo "== HF tokenizers vs ours: $(tail -1 /tmp/logs/tokenizer-compare.txt)"
      echo "== transformers: $(tail -1 /tmp/logs/transformers-check.txt)"; } >>"$summary"
    tar -C /tmp/builtin -czf "$out/builtin.tar.gz" config.json model.safetensors tokenizer.json tokenizer_config.json

    # The experiment runs on in its own session, so it outlives this call (the next one waits for it).
    python3 experiments/replication/make_experiment.py ${EXPERIMENT_ARGS:-} >data/experiment.json
    setsid nohup bash -c "$cli experiment data/experiment.json --data data --out /tmp/replication >/tmp/logs/experiment.json 2>/tmp/logs/experiment.log; echo \$? >/tmp/experiment.exit" \
      >/dev/null 2>&1 < /dev/null &
    echo "experiment started at $(date -u +%T)" >>"$summary"
    tar -C /tmp -czf "$out/logs.tgz" logs
    cat "$summary" ;;

  wait)
    deadline=$(( $(date +%s) + ${2:-540} ))
    while [ ! -f /tmp/experiment.exit ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 10; done
    echo "== experiment: $( [ -f /tmp/experiment.exit ] && echo "ended, exit $(cat /tmp/experiment.exit)" || echo "still running" ) at $(date -u +%T)" >"$summary"
    tr '\r' '\n' </tmp/logs/experiment.log | grep -v '^\[' | tail -20 >>"$summary"
    tr '\r' '\n' </tmp/logs/experiment.log | tail -1 >>"$summary"
    if [ -f /tmp/experiment.exit ]; then
      cp data/experiment.json /tmp/replication/
      tar -C /tmp -czf "$out/replication.tgz" replication
      gzip -c data/runs.db >"$out/runs.db.gz"
      # The longrope check: a searched final model (n̂ = 0) of the experiment, in transformers beside the engine.
      model=$(ls -d data/runs/*-longrope/model 2>/dev/null | head -1)
      if [ -n "$model" ]; then
        timeout 300 python3 scripts/gpu/longrope_check.py "$model" --engine "$cli" --device cuda --lengths 1024,2048,4096 \
          >/tmp/logs/longrope-check.txt 2>&1
        { echo "== longrope in transformers beside the engine ($model, exit $?)"; cat /tmp/logs/longrope-check.txt; } >>"$summary"
      fi
      cat /tmp/replication/results.md >>"$summary"
    fi
    tar -C /tmp -czf "$out/logs.tgz" logs
    cat "$summary" ;;
  *) echo "unknown phase $phase (start or wait)"; exit 2 ;;
esac
