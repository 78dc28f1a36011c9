#!/usr/bin/env bash
# Here (a machine with the .NET SDK): packs what the GPU machine needs into the git-ignored .gpu/:
# the .NET and ASP.NET Core runtimes (the GPU machine has none), the test, benchmark, command-line and Lab programs built
# without the shim (run.sh builds it there against the machine's CUDA libtorch), and the real
# tokenizer files (the tokenizer tests and the reference script read them), and the real-text corpus when it has
# been fetched. Checks that the working tree and .gpu/ together stay under the device's 64 MiB.
# Then call the device tool with carry [".gpu"] and command "scripts/gpu/run.sh <steps>".
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpu
# The .NET runtime and ASP.NET Core's (the Lab runs on it), packed again when an older pack lacks the latter.
if [ ! -f .gpu/dotnet-runtime.tar.xz ] || ! tar -tJf .gpu/dotnet-runtime.tar.xz | grep -q "shared/Microsoft.AspNetCore.App/"; then
  root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  runtime=$(cd "$root" && ls -d shared/Microsoft.NETCore.App/10.* | sort -V | tail -1)
  aspnet=$(cd "$root" && ls -d shared/Microsoft.AspNetCore.App/10.* | sort -V | tail -1)
  tar -C "$root" -cJf .gpu/dotnet-runtime.tar.xz dotnet host "$runtime" "$aspnet"
fi
rm -rf .gpu/tests .gpu/bench .gpu/cli .gpu/lab .gpu/labbench .gpu/tokenizers
# A separate artifacts folder keeps these shim-less builds from replacing the local ones.
artifacts=$(mktemp -d)
trap 'rm -rf "$artifacts"' EXIT
# Invariant globalization: the GPU machine may have no ICU (tokenizers with Unicode normalizers then refuse to load there).
publish() { dotnet publish "$1" -c Release -p:BuildNative=false -p:InvariantGlobalization=true -p:SatelliteResourceLanguages=en --artifacts-path "$artifacts" -o "$2" -v quiet -nologo; }
publish LongRecipe.Engine.Tests .gpu/tests
publish bench/LongRecipe.Bench .gpu/bench
publish LongRecipe.Cli .gpu/cli
# The Lab and its outside client for the `lab` step: no browser there, so neither the Lab's static assets nor Playwright's driver go.
publish LongRecipe.Lab .gpu/lab
publish bench/LongRecipe.LabBench .gpu/labbench
rm -rf .gpu/lab/wwwroot .gpu/labbench/.playwright
# The test SDK's code-coverage collectors (for other platforms too) would crowd the 64 MiB carry.
rm -rf .gpu/tests/CodeCoverage .gpu/tests/alpine .gpu/tests/arm64 .gpu/tests/macos .gpu/tests/win* .gpu/tests/ubuntu .gpu/tests/x64 .gpu/tests/x86 \
  .gpu/tests/Microsoft.CodeCoverage* .gpu/tests/Microsoft.VisualStudio.TraceDataCollector.dll .gpu/tests/Microsoft.VisualStudio.CodeCoverage.Shim.dll
# So would SQLite's native libraries for every other platform.
find .gpu/tests/runtimes .gpu/bench/runtimes .gpu/cli/runtimes .gpu/lab/runtimes .gpu/labbench/runtimes -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} + 2>/dev/null || true
# The real-text corpus for scripts/gpu/replicate.sh (fetch it first: ./longrecipe corpus-fetch), when it is newer.
corpus=data/corpora/real
if [ -f "$corpus/manifest.json" ] && [ ! .gpu/corpus.tar.xz -nt "$corpus/manifest.json" ]; then
  tar -C "$corpus" -cJf .gpu/corpus.tar.xz corpus.jsonl manifest.json
fi
# The real Llama-2/3 tokenizer files: without them 60-odd tokenizer tests skip there.
for name in llama3 llama2; do
  [ -f ".cache/tokenizers/$name/tokenizer.json" ] || scripts/ensure-deps.sh --test
  [ -f ".cache/tokenizers/$name/tokenizer.json" ] || { echo "pack.sh: .cache/tokenizers/$name/tokenizer.json is missing and could not be fetched" >&2; exit 1; }
done
mkdir -p .gpu/tokenizers && tar -C .cache/tokenizers -cJf .gpu/tokenizers/tokenizers.tar.xz llama3 llama2

# What travels: the files git tracks or would track, and the carried .gpu/.
limit=$((64 << 20))
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
packed=$(du -sb .gpu | cut -f1)
echo "pack.sh: working tree $((tree >> 20)) MiB + .gpu $((packed >> 20)) MiB of the device's 64 MiB" >&2
if ((tree + packed > limit)); then
  du -ab .gpu | sort -n | tail -8 >&2
  echo "pack.sh: over the 64 MiB the device takes: leave the corpus out (move data/corpora/real/manifest.json aside) or carry less" >&2
  exit 1
fi
