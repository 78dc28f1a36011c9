#!/usr/bin/env bash
# There (the GPU machine, from the repository root, after pack.sh here): builds the shim against
# the machine's pip torch (CUDA), then runs the steps named (default: tests bench):
#   tests      the whole test suite, CUDA tests included
#   bench      micro-benchmarks beside PyTorch eager (bench/compare.sh cuda)
#   train      Llama training-step benchmarks beside PyTorch eager (bench/train.sh)
#   verify     engine-saved checkpoints of every reference fixture, loaded back by transformers
#   tokenizer  HF tokenizers' ids for the tokenizer reference fixture
# Logs and results go to $OUT; a summary prints last.
set -uo pipefail
out=${OUT:-/tmp/out}
steps=${*:-tests bench}
mkdir -p "$out" /tmp/dotnet
tar -C /tmp/dotnet -xJf .gpu/dotnet-runtime.tar.xz
export DOTNET_ROOT=/tmp/dotnet PATH=/tmp/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 PYTHONUNBUFFERED=1

LongRecipe.Engine/native/build.sh >"$out/shim-build.log" 2>&1 || { tail -40 "$out/shim-build.log"; exit 1; }
for d in .gpu/tests .gpu/bench .gpu/cli; do cp LongRecipe.Engine/native/build/liblongrecipe_torch.so "$d/"; done
summary=$out/summary.txt
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  echo "shim built against $(cat LongRecipe.Engine/native/build/torch_dir.txt)"; } >"$summary"

for step in $steps; do
  case $step in
    tests)
      timeout 300 dotnet .gpu/tests/LongRecipe.Engine.Tests.dll -noColor ${TEST_ARGS:-} >"$out/tests.log" 2>&1
      { echo "== tests (exit $?)"; grep -E "\[FAIL\]|Total:" "$out/tests.log" | head -30; } >>"$summary" ;;
    bench)
      BENCH="dotnet .gpu/bench/LongRecipe.Bench.dll" timeout 240 bench/compare.sh cuda >"$out/bench-cuda.txt" 2>"$out/bench-cuda.log"
      { echo "== micro-benchmarks (binding vs PyTorch eager $(python3 -c 'import torch;print(torch.__version__)'))"; cat "$out/bench-cuda.txt"; } >>"$summary" ;;
    train)
      BENCH="dotnet .gpu/bench/LongRecipe.Bench.dll" timeout 540 bench/train.sh >"$out/train.txt" 2>"$out/train.log"
      { echo "== training step (binding vs transformers eager)"; cat "$out/train.txt"; } >>"$summary" ;;
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
        /tmp/tokenizers/llama3/tokenizer.json /tmp/tokenizers/llama2/tokenizer.json "$out/tokenizer_reference.json" >"$out/tokenizer.log" 2>&1
      echo "== tokenizer reference (exit $?): $(wc -c <"$out/tokenizer_reference.json" 2>/dev/null) bytes" >>"$summary" ;;
    *) echo "unknown step $step" >>"$summary" ;;
  esac
done
cat "$summary"
