#!/usr/bin/env bash
# Here (a machine with the .NET SDK): packs what the GPU machine needs into the git-ignored .gpu/:
# the .NET runtime (the GPU machine has none) and the test and benchmark programs, built
# without the shim, which run.sh builds there against the GPU machine's CUDA libtorch.
# Then call the device tool with carry [".gpu"] and command "scripts/gpu/run.sh".
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpu
if [ ! -f .gpu/dotnet-runtime.tar.xz ]; then
  root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  runtime=$(cd "$root" && ls -d shared/Microsoft.NETCore.App/10.* | sort -V | tail -1)
  tar -C "$root" -cJf .gpu/dotnet-runtime.tar.xz dotnet host "$runtime"
fi
rm -rf .gpu/tests .gpu/bench
# A separate artifacts folder keeps these shim-less builds from replacing the local ones.
artifacts=$(mktemp -d)
trap 'rm -rf "$artifacts"' EXIT
dotnet publish LongRecipe.Engine.Tests -c Release -p:BuildNative=false -p:SatelliteResourceLanguages=en --artifacts-path "$artifacts" -o .gpu/tests -v quiet -nologo
# The test SDK's code-coverage collectors (for other platforms too) would crowd the 64 MiB carry.
rm -rf .gpu/tests/CodeCoverage .gpu/tests/alpine .gpu/tests/arm64 .gpu/tests/macos .gpu/tests/win*
dotnet publish bench/LongRecipe.Bench -c Release -p:BuildNative=false --artifacts-path "$artifacts" -o .gpu/bench -v quiet -nologo
du -sh .gpu
