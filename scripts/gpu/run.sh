#!/usr/bin/env bash
# There (the GPU machine, from the repository root, after pack.sh here): unpacks what the call carried, builds the shim against
# the machine's pip torch (CUDA), then runs the steps named (default: tests bench):
#   probe      what this machine's torch offers the engine: its version, F.linear_cross_entropy, and the engine's SwiGLU
#              kernels (their source read from Torch/Functional.cs) compiled by torch's own jiterator, against silu · up
#   tests      the whole test suite, CUDA tests included
#   bench      micro-benchmarks beside PyTorch eager (bench/compare.sh cuda)
#   train      Llama training-step benchmarks beside PyTorch eager (bench/train.sh; CONFIGS picks them, CUDA_GRAPH=1
#              replays the binding's step as a CUDA graph)
#   levers     issue 14 item 2's switches in one sitting, the step recorded, on LEVER_CONFIGS (default 1B at 16k): as
#              landed (beside PyTorch eager), without the compiled kernels, without the residual-norm kernel, with the
#              shared-input linears (bench/train.sh each; the binding only after the first)
#   trainer    the engine's Trainer (a researcher's run: bf16 with f32 masters, clipping, events) eagerly and with its
#              step recorded as a CUDA graph, beside the bare step of train, on TRAINER_CONFIGS (preset:seq, default 125M at 4k),
#              with each of TRAINER_ATTENTION's attention kernels (default: libtorch's choice, then Flash only)
#   attention  the attention kernel's effect on training: bench/train.sh on ATTENTION_CONFIGS (default 1B at 16k, and
#              at 64k with checkpointing) with libtorch's own choice, then with cuDNN's kernel only, both sides
#   headline   the paper's setting: the 8B shape at 38,400 tokens, checkpointing, 8-bit AdamW state, both
#              allocators capped at 80 GiB (bench/train.sh with that one config; a few minutes)
#   clocks     the recorded 1B/16k step for 40 steps (CLOCK_CONFIGS) while nvidia-smi samples the SM clock, board power and
#              throttle reasons every 200 ms: whether the step runs at the power cap (smi.csv in $OUT, a summary)
#   memory     peak memory against length for 1B and 8B with and without checkpointing: memory.csv and
#              memory.svg come back in $OUT (bench/memory.sh; MEMORY_SERIES picks series, e.g. "8b:true:int8_blockwise")
#   prefill    prefill of 128k tokens on the 1B shape, and the 8B at 32k/64k/128k capped at 80 GiB, beside
#              transformers (bench/prefill.sh)
#   profile    Nsight Compute over the training-step benchmark (PROFILE_CONFIGS, default 1B at 16k and 125M at 4k), one
#              warm-up and one timed step, the binding and PyTorch eager: every kernel's time (CSV in $OUT), the last
#              step's summed by kernel (scripts/gpu/kernel_times.py); PROFILE_ARGS go to the binding's benchmark
#              (e.g. "--cuda-graph --attention flash")
#   verify     engine-saved checkpoints of every reference fixture, loaded back by transformers
#   tokenizer  HF tokenizers' ids for the tokenizer reference fixture
#   recipes    the recipe and its baselines on the built-in model (bench/recipes.sh), one table
#   pretrain   the built-in model: BPE tokenizer, pretraining (PRETRAIN_ARGS), passkey/NIAH by length,
#              HF tokenizers and transformers loading it; the model directory comes back as $OUT/builtin.tar
#   lab        the Lab itself on CUDA: started headless, a run (LAB_SPEC: a preset or spec file, default longrecipe)
#              queued through its HTTP API on LAB_DEVICE (default cuda) and followed through its SignalR hub to the end
#   longrope-check
#              a searched longrope model (LONGROPE_MODEL, default: the built-in model with factors searched here
#              at 4×, n̂ = 0, SEARCH_ARGS) scored by transformers beside the engine at lengths past its window
# Logs and results go to $OUT; a summary prints last.
set -uo pipefail
out=${OUT:-/tmp/out}
steps=${*:-tests bench}
mkdir -p "$out" /tmp/dotnet
# What this call carried (a warm machine keeps what an earlier call unpacked).
[ -f .gpu/dotnet-runtime.tar.xz ] && tar -C /tmp/dotnet -xJf .gpu/dotnet-runtime.tar.xz
for name in tests bench cli lab labbench; do
  [ -f ".gpu/$name.tar.xz" ] && [ ".gpu/$name.tar.xz" -nt ".gpu/$name" ] && rm -rf ".gpu/$name" && tar -C .gpu -xJf ".gpu/$name.tar.xz"
done
export DOTNET_ROOT=/tmp/dotnet PATH=/tmp/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 PYTHONUNBUFFERED=1

LongRecipe.Engine/native/build.sh >"$out/shim-build.log" 2>&1 || { tail -40 "$out/shim-build.log"; exit 1; }
for d in .gpu/tests .gpu/bench .gpu/cli .gpu/lab; do [ -d "$d" ] && cp LongRecipe.Engine/native/build/liblongrecipe_torch.so "$d/"; done
summary=$out/summary.txt
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  echo "shim built against $(cat LongRecipe.Engine/native/build/torch_dir.txt)"; } >"$summary"

for step in $steps; do
  case $step in
    probe)
      { echo "== probe"; python3 - LongRecipe.Engine/Torch/Functional.cs <<'PY'
import re, sys, torch
import torch.nn.functional as F
from torch.cuda import jiterator
print("torch", torch.__version__, "CUDA", torch.version.cuda, "| F.linear_cross_entropy:", hasattr(F, "linear_cross_entropy"))
source = open(sys.argv[1]).read()
forward = re.search(r'SwiGluKernel = """\n(.*?)""";', source, re.S).group(1)
gradient = re.search(r'SwiGluGradientKernel = """\n(.*?)""";', source, re.S).group(1)
swiglu = jiterator._create_jit_fn(forward)
swiglu_gradient = jiterator._create_multi_output_jit_fn(gradient, num_outputs=2)
for dtype in (torch.float32, torch.bfloat16):
    g = torch.randn(4096, device="cuda", dtype=dtype, requires_grad=True)
    u = torch.randn(4096, device="cuda", dtype=dtype, requires_grad=True)
    dy = torch.randn(4096, device="cuda", dtype=dtype)
    y = F.silu(g) * u
    dg, du = torch.autograd.grad(y, (g, u), dy)
    jg, ju = swiglu_gradient(dy, g.detach(), u.detach())
    print(f"jiterator SwiGLU {dtype}: max |y - silu(g)u| {(swiglu(g.detach(), u.detach()) - y).abs().max().item():.3g}, "
          f"|dg| {(jg - dg).abs().max().item():.3g}, |du| {(ju - du).abs().max().item():.3g}")
PY
      } >>"$summary" 2>&1 ;;
    tests)
      # The real tokenizer files where the tests look for them (the repository's .cache/tokenizers/).
      mkdir -p .cache/tokenizers && tar -C .cache/tokenizers -xJf .gpu/tokenizers/tokenizers.tar.xz
      timeout "${TESTS_TIMEOUT:-300}" dotnet .gpu/tests/LongRecipe.Engine.Tests.dll -noColor ${TEST_ARGS:-} >"$out/tests.log" 2>&1
      { echo "== tests (exit $?)"; grep -E "\[FAIL\]|Total:" "$out/tests.log" | head -30; } >>"$summary" ;;
    bench)
      BENCH="dotnet .gpu/bench/LongRecipe.Bench.dll" timeout 240 bench/compare.sh cuda >"$out/bench-cuda.txt" 2>"$out/bench-cuda.log"
      { echo "== micro-benchmarks (binding vs PyTorch eager $(python3 -c 'import torch;print(torch.__version__)'))"; cat "$out/bench-cuda.txt"; } >>"$summary" ;;
    train)
      BENCH="dotnet .gpu/bench/LongRecipe.Bench.dll" timeout 540 bench/train.sh >"$out/train.txt" 2>"$out/train.log"
      { echo "== training step (binding vs transformers eager)"; cat "$out/train.txt"; } >>"$summary" ;;
    levers)
      for variant in "" "COMPILED_KERNELS=0" "RESIDUAL_NORM_KERNEL=0" "SHARED_INPUT_LINEAR=1"; do
        echo "-- ${variant:-as landed}" >>"$out/levers.txt"
        env $variant PEER=$([ -z "$variant" ] && echo 1 || echo 0) CUDA_GRAPH=1 CONFIGS="${LEVER_CONFIGS:-1b:16384:false}" \
          BENCH="dotnet .gpu/bench/LongRecipe.Bench.dll" timeout 240 bench/train.sh >>"$out/levers.txt" 2>>"$out/levers.log"
      done
      { echo "== issue 14 item 2's levers, one sitting"; cat "$out/levers.txt"; } >>"$summary" ;;
    trainer)
      bench="dotnet .gpu/bench/LongRecipe.Bench.dll"
      for c in ${TRAINER_CONFIGS:-125m:4096}; do
        IFS=: read -r preset seq <<<"$c"
        for attention in ${TRAINER_ATTENTION:-all flash}; do
          for run in "train" "trainer" "trainer --cuda-graph" "train --cuda-graph"; do
            timeout 240 $bench $run --device cuda --preset "$preset" --seq "$seq" --attention "$attention" --warmup 3 --steps 20 \
              >>"$out/trainer.jsonl" 2>>"$out/trainer.log"
          done
        done
      done
      { echo "== the Trainer eager and recorded, beside the bare step"
        python3 - "$out/trainer.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    name = f"{r['preset']} {r['seq']} {r['bench']}{' graph' if r.get('cuda_graph') else ''} {r.get('attention', '')}"
    print(f"{name:<32}" + (r.get("error", "failed") if r.get("failed") else
          f"{r['tokens_per_s']:>12.0f} tok/s {100 * r['mfu']:>6.1f}% {r['peak_gib']:>6.1f} GiB  loss {r['loss']:.3f}"
          + ("  (not recorded: ran eagerly)" if r.get("cuda_graph") and r["bench"] == "trainer" and not r.get("recorded") else "")))
PY
      } >>"$summary" 2>&1 ;;
    attention)
      for kernel in all cudnn; do
        ATTENTION=$kernel CONFIGS="${ATTENTION_CONFIGS:-1b:16384:false 1b:65536:true}" WARMUP=2 STEPS=5 BENCH="dotnet .gpu/bench/LongRecipe.Bench.dll" \
          timeout 270 bench/train.sh >"$out/attention-$kernel.txt" 2>"$out/attention-$kernel.log"
        { echo "== training step with attention kernels: $kernel (exit $?)"; cat "$out/attention-$kernel.txt"; } >>"$summary"
      done ;;
    headline)
      CONFIGS="8b:38400:true:int8_blockwise:80" WARMUP=2 STEPS=3 BENCH="dotnet .gpu/bench/LongRecipe.Bench.dll" \
        timeout "${HEADLINE_TIMEOUT:-540}" bench/train.sh >"$out/headline.txt" 2>"$out/headline.log"
      { echo "== 8B at 38,400 tokens in 80 GiB (binding vs transformers eager, exit $?)"; cat "$out/headline.txt"; } >>"$summary" ;;
    clocks)
      q=clocks.sm,clocks.max.sm,power.draw,power.limit,temperature.gpu,clocks_event_reasons.active
      nvidia-smi --query-gpu=$q --format=csv,noheader >/dev/null 2>&1 || q=${q/clocks_event_reasons/clocks_throttle_reasons}
      nvidia-smi --query-gpu=$q --format=csv,noheader,nounits -lms 200 >"$out/smi.csv" & sampler=$!
      PEER=0 CUDA_GRAPH=1 WARMUP=3 STEPS=40 CONFIGS="${CLOCK_CONFIGS:-1b:16384:false}" BENCH="dotnet .gpu/bench/LongRecipe.Bench.dll" \
        timeout 240 bench/train.sh >"$out/clocks.txt" 2>"$out/clocks.log"
      kill $sampler
      { echo "== the step under sustained load: clocks and power ($q)"; cat "$out/clocks.txt"; python3 - "$out/smi.csv" <<'PY'
import collections, statistics, sys
rows = [[c.strip() for c in line.split(",")] for line in open(sys.argv[1]) if line.strip()]
busy = [r for r in rows if float(r[2]) > 300]  # samples while the step runs, not the model's set-up
print(f"{len(rows)} samples, {len(busy)} above 300 W; max SM clock {rows[0][1]} MHz, power limit {rows[0][3]} W")
for i, name in ((0, "SM MHz"), (2, "power W"), (4, "temperature C")):
    values = [float(r[i]) for r in busy]
    print(f"{name}: median {statistics.median(values):.0f}, min {min(values):.0f}, max {max(values):.0f}")
print("throttle reasons (0x4: software power cap):", collections.Counter(r[5] for r in busy).most_common(3))
PY
      } >>"$summary" 2>&1 ;;
    memory)
      SERIES=${MEMORY_SERIES:-} OUT_DIR="$out" BENCH="dotnet .gpu/bench/LongRecipe.Bench.dll" \
        timeout "${MEMORY_TIMEOUT:-540}" bench/memory.sh >"$out/memory.txt" 2>"$out/memory.log"
      { echo "== peak memory against length (exit $?; memory.csv and memory.svg in \$OUT)"; cat "$out/memory.txt"; } >>"$summary" ;;
    prefill)
      ROWS="$out/prefill.jsonl" BENCH="dotnet .gpu/bench/LongRecipe.Bench.dll" timeout "${PREFILL_TIMEOUT:-540}" bench/prefill.sh >"$out/prefill.txt" 2>"$out/prefill.log"
      { echo "== prefill (binding vs transformers eager, exit $?)"; cat "$out/prefill.txt"; } >>"$summary" ;;
    profile)
      # Nsight Compute (the machine has no Nsight Systems): every kernel of one warm-up and one timed step, timed at the
      # GPU's own clocks, the last step's summed by kernel, for the binding and for PyTorch eager. Each kernel timed alone:
      # the step's time minus their sum bounds the host's share from above (bench/peer_idle.py has the peer's timeline).
      for c in ${PROFILE_CONFIGS:-1b:16384 125m:4096}; do
        IFS=: read -r preset seq <<<"$c"
        for impl in longrecipe pytorch; do
          if [ $impl = longrecipe ]; then program=(dotnet .gpu/bench/LongRecipe.Bench.dll train --device cuda --checkpoint false ${PROFILE_ARGS:-})
          else program=(python3 bench/peer_train.py); fi
          timeout "${PROFILE_TIMEOUT:-240}" /usr/local/cuda/bin/ncu --metrics gpu__time_duration.sum --clock-control none --cache-control none \
            --csv --page raw --log-file "$out/profile-$preset-$impl.csv" \
            "${program[@]}" --preset "$preset" --seq "$seq" --warmup 1 --steps 1 >"$out/profile-$preset-$impl.log" 2>&1
          { echo "== profile: $impl, $preset at $seq (exit $?): $(grep -h '"impl"' "$out/profile-$preset-$impl.log" | tail -1)"
            python3 scripts/gpu/kernel_times.py "$out/profile-$preset-$impl.csv"; } >>"$summary" 2>&1
        done
      done ;;
    verify)
      reference=LongRecipe.Engine.Tests/Model/Reference
      { echo "== engine-saved checkpoints loaded by transformers"
        for fixture in "$reference"/*/; do
          name=$(basename "$fixture")
          dotnet .gpu/cli/longrecipe.dll convert --model "$fixture" --out "/tmp/saved/$name" 2>>"$out/verify.log"
          python3 "$reference/make_model_reference.py" verify "/tmp/saved/$name" "$fixture/reference.json" 2>&1 | tail -1 | sed "s|^|$name: |"
        done; } >>"$summary" ;;
    tokenizer)
      mkdir -p /tmp/tokenizers && tar -C /tmp/tokenizers -xJf .gpu/tokenizers/tokenizers.tar.xz
      python3 LongRecipe.Engine.Tests/Tokenization/Reference/make_tokenizer_reference.py \
        llama3=/tmp/tokenizers/llama3/tokenizer.json llama2=/tmp/tokenizers/llama2/tokenizer.json \
        mistral=/tmp/tokenizers/mistral/tokenizer.json "$out/tokenizer_reference.json" >"$out/tokenizer.log" 2>&1
      echo "== tokenizer reference (exit $?): $(wc -c <"$out/tokenizer_reference.json" 2>/dev/null) bytes" >>"$summary" ;;
    recipes)
      LONGRECIPE="dotnet .gpu/cli/longrecipe.dll" timeout "${RECIPES_TIMEOUT:-400}" bench/recipes.sh >"$out/recipes.txt" 2>"$out/recipes.log"
      { echo "== recipes on the built-in model, 256 → 1024 (exit $?)"; cat "$out/recipes.txt"; } >>"$summary" ;;
    pretrain)
      cli="dotnet .gpu/cli/longrecipe.dll" logs=/tmp/pretrain-logs
      mkdir -p "$logs"
      reference=LongRecipe.Engine.Tests/Tokenization/Reference
      $cli tokenizer-train --synthetic --documents 512 --seed 0 --vocab-size 4096 --out /tmp/builtin-tokenizer >"$logs/tokenizer-train.json" 2>/dev/null
      # SIGINT is the trainer's graceful cancel: a run cut short still leaves its newest checkpoint.
      timeout -s INT "${PRETRAIN_TIMEOUT:-360}" $cli pretrain --tokenizer /tmp/builtin-tokenizer --out /tmp/builtin \
        --device cuda --dtype bf16 ${PRETRAIN_ARGS:-} >"$logs/pretrain.json" 2>"$logs/pretrain.log"
      if [ ! -f /tmp/builtin/model.safetensors ]; then
        newest=$(ls -d /tmp/builtin/checkpoints/step-* 2>/dev/null | sort | tail -1)
        [ -n "$newest" ] && cp "$newest"/config.json "$newest"/model.safetensors /tmp/builtin-tokenizer/*.json /tmp/builtin/
      fi
      tr '\r' '\n' <"$logs/pretrain.log" | grep step | awk 'NR % 100 == 1' >"$logs/pretrain-steps.txt"
      timeout 180 $cli eval --model /tmp/builtin --device cuda --suite passkey,niah --lengths 256,512,1024 \
        --depths 0,25,50,75,100 --passkeys 20 --needles 4 >"$logs/eval.jsonl" 2>"$logs/eval.log"
      python3 "$reference/compare_trained_tokenizer.py" requests >/tmp/requests.jsonl
      $cli tokenize --tokenizer /tmp/builtin-tokenizer </tmp/requests.jsonl >/tmp/ours.jsonl 2>/dev/null
      (cd "$reference" && python3 compare_trained_tokenizer.py compare /tmp/builtin-tokenizer /tmp/requests.jsonl /tmp/ours.jsonl) >"$logs/tokenizer-compare.txt" 2>&1
      python3 scripts/gpu/builtin_check.py request /tmp/builtin >/tmp/request.jsonl 2>"$logs/transformers-check.txt"
      $cli score --model /tmp/builtin --device cpu --dtype f32 </tmp/request.jsonl >/tmp/engine-score.jsonl 2>>"$logs/transformers-check.txt"
      python3 scripts/gpu/builtin_check.py compare /tmp/builtin /tmp/request.jsonl /tmp/engine-score.jsonl >>"$logs/transformers-check.txt" 2>&1
      { echo "== pretrain: $(cat "$logs/pretrain.json")"; tail -3 "$logs/pretrain-steps.txt"
        echo "== eval (benchmark length depth metric value)"
        python3 -c 'import json,sys
for l in open(sys.argv[1]):
    c=json.loads(l); print(c["benchmark"], c["context_length"], c.get("depth"), c["metric"], round(c["value"],3))' "$logs/eval.jsonl" | grep -v logprob
        echo "== HF tokenizers vs ours: $(tail -1 "$logs/tokenizer-compare.txt")"
        echo "== transformers: $(tail -1 "$logs/transformers-check.txt")"; } >>"$summary"
      # Two files back: the device returns only a few.
      tar -C /tmp/builtin -cf "$out/builtin.tar" config.json model.safetensors tokenizer.json tokenizer_config.json
      tar -C /tmp -czf "$out/pretrain-logs.tgz" pretrain-logs ;;
    lab)
      data=/tmp/lab-data url=http://127.0.0.1:5080
      rm -rf "$data" && mkdir -p "$data"
      Lab__DataDirectory=$data dotnet .gpu/lab/LongRecipe.Lab.dll --urls "$url" >"$out/lab.log" 2>&1 &
      lab=$!
      timeout "${LAB_TIMEOUT:-540}" dotnet .gpu/labbench/LongRecipe.LabBench.dll run --url "$url" --spec "${LAB_SPEC:-longrecipe}" \
        --device "${LAB_DEVICE:-cuda}" >"$out/lab-events.jsonl" 2>"$out/lab-run.log"
      status=$?
      kill "$lab" && wait "$lab" 2>/dev/null
      { echo "== the Lab trains on ${LAB_DEVICE:-cuda}: a run queued over HTTP, followed through SignalR (exit $status)"
        grep -E "queued run|ended" "$out/lab-run.log"
        echo "events streamed: $(wc -l <"$out/lab-events.jsonl"), of them steps: $(grep -c '"type":"step"' "$out/lab-events.jsonl")"
        grep '"type":"step"' "$out/lab-events.jsonl" | tail -1; } >>"$summary" ;;
    longrope-check)
      cli="dotnet .gpu/cli/longrecipe.dll" model=${LONGROPE_MODEL:-/tmp/longrope-model}
      if [ -z "${LONGROPE_MODEL:-}" ]; then
        rm -rf "$model" && cp -r models/builtin "$model"
        timeout 300 $cli rope-search --model models/builtin --device cuda --factor 4 --unscaled-tokens 0 \
          ${SEARCH_ARGS:---population 16 --generations 8 --samples 4} --out "$model" >"$out/longrope-search.json" 2>"$out/longrope-search.log"
      fi
      timeout 300 python3 scripts/gpu/longrope_check.py "$model" --engine "$cli" --device cuda ${CHECK_ARGS:-} >"$out/longrope-check.txt" 2>&1
      { echo "== longrope in transformers beside the engine (exit $?)"; cat "$out/longrope-check.txt"; } >>"$summary" ;;
    *) echo "unknown step $step" >>"$summary" ;;
  esac
done
cat "$summary"
