#!/usr/bin/env bash
# Here (a machine with the .NET SDK): packs what the GPU machine needs into the git-ignored .gpu/, each part an xz
# archive: the .NET and ASP.NET Core runtimes (the GPU machine has none), the test, benchmark, command-line and Lab
# programs built without the shim (run.sh unpacks them and builds the shim there against the machine's CUDA libtorch),
# the real tokenizer files (the tokenizer tests and the reference script read them), and the real-text corpus when it
# has been fetched. All of it does not fit the device's 64 MiB at once: the runtime and the working tree take most
# of it. Prints what each part weighs and what is left beside the runtime. Then call the device tool with carry
# [".gpu/dotnet-runtime.tar.xz", and the archives the steps need] and command "scripts/gpu/run.sh <steps>"; a warm
# machine keeps what an earlier call carried, so a later call can carry other archives and leave the runtime out.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpu
# The .NET runtime and ASP.NET Core's (the Lab runs on it), packed again when an older pack lacks the latter.
# (grep reads the whole listing: with -q it would stop early, tar would die of SIGPIPE, and pipefail would repack every time.)
if [ ! -f .gpu/dotnet-runtime.tar.xz ] || ! tar -tJf .gpu/dotnet-runtime.tar.xz | grep "shared/Microsoft.AspNetCore.App/" >/dev/null; then
  root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  runtime=$(cd "$root" && ls -d shared/Microsoft.NETCore.App/10.* | sort -V | tail -1)
  aspnet=$(cd "$root" && ls -d shared/Microsoft.AspNetCore.App/10.* | sort -V | tail -1)
  tar -C "$root" -cJf .gpu/dotnet-runtime.tar.xz dotnet host "$runtime" "$aspnet"
fi
rm -rf .gpu/tests .gpu/bench .gpu/cli .gpu/lab .gpu/labbench .gpu/tokenizers .gpu/*.tar.xz.tmp
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
# The real tokenizer files: without them 60-odd tokenizer tests skip there.
for name in llama3 llama2 mistral; do
  [ -f ".cache/tokenizers/$name/tokenizer.json" ] || scripts/ensure-deps.sh --test
  [ -f ".cache/tokenizers/$name/tokenizer.json" ] || { echo "pack.sh: .cache/tokenizers/$name/tokenizer.json is missing and could not be fetched" >&2; exit 1; }
done
mkdir -p .gpu/tokenizers && tar -C .cache/tokenizers -cJf .gpu/tokenizers/tokenizers.tar.xz llama3 llama2 mistral

# Each program as one archive (xz takes a program to about a fifth).
for name in tests bench cli lab labbench; do
  tar -C .gpu -cf - "$name" | xz -T0 -6 >".gpu/$name.tar.xz.tmp" && mv ".gpu/$name.tar.xz.tmp" ".gpu/$name.tar.xz"
  rm -rf ".gpu/$name"
done

# What travels: the files git tracks or would track, and the carried archives.
limit=$((64 << 20))
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
runtime=$(stat -c %s .gpu/dotnet-runtime.tar.xz)
{ echo "pack.sh: the working tree takes $((tree >> 10)) KiB and the runtime $((runtime >> 10)) KiB of the device's 64 MiB;"
  echo "beside both, $(((limit - tree - runtime) >> 10)) KiB are left for these (a warm machine keeps what an earlier call carried):"
  find .gpu -maxdepth 2 -name "*.tar.xz" ! -name dotnet-runtime.tar.xz -printf "  %p %k KiB\n" | sort; } >&2
