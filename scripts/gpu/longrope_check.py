#!/usr/bin/env python3
"""A searched longrope model in transformers beside the engine (on the GPU machine, see run.sh step longrope-check).

    longrope_check.py <model dir> --engine "dotnet .gpu/cli/longrecipe.dll" [--device cuda] [--lengths 512,1024]
                      [--documents 3] [--tolerance 0.01] [--engine-only]

The model directory's config must carry a longrope rope_scaling without LongRoPE's n̂ (initial_unscaled_tokens):
transformers' longrope cannot express n̂ > 0, so such a config is refused, naming the field. Long synthetic
documents (`longrecipe synthetic`) are tokenized by the engine (`longrecipe tokenize`), cut to each length beyond
the native window (default: 2× the window and max_position_embeddings), and scored by the engine
(`longrecipe score`) and by transformers (LlamaForCausalLM from the directory, float32). Prints perplexity by
length side by side with the relative difference; exits 1 when one exceeds the tolerance, 2 on a config it cannot
check. --engine-only skips transformers (which this script imports only then), e.g. on a machine without it.
"""
import argparse
import json
import math
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path


def refuse(message):
    """A config or request this check cannot serve: the reason on stderr, exit code 2."""
    print(message, file=sys.stderr)
    sys.exit(2)


def longrope_settings(model_dir):
    """(native window, max_position_embeddings) of a longrope config; exits 2 naming the field otherwise."""
    config_path = Path(model_dir) / "config.json"
    config = json.loads(config_path.read_text())
    section = "rope_scaling" if config.get("rope_scaling") else "rope_parameters"
    rope = config.get(section) or {}
    kind = rope.get("rope_type", rope.get("type"))
    if kind != "longrope":
        refuse(f"{config_path}: {section}.rope_type is {kind!r}; this check is for a searched longrope model")
    unscaled = rope.get("initial_unscaled_tokens", 0)
    if unscaled:
        refuse(f"{config_path}: {section}.initial_unscaled_tokens = {unscaled} (LongRoPE's n̂) cannot be expressed in "
                 "transformers' longrope, which would rescale those positions too; search with n̂ = 0 "
                 "(rope-search --unscaled-tokens 0) to check a model in transformers")
    native = config.get("original_max_position_embeddings") or rope.get("original_max_position_embeddings")
    return int(native or config["max_position_embeddings"]), int(config["max_position_embeddings"])


def engine(command, verb, args, requests):
    """Runs `longrecipe <verb>` with JSON Lines requests; returns the result lines as objects."""
    lines = "".join(json.dumps(r) + "\n" for r in requests)
    done = subprocess.run(shlex.split(command) + [verb] + args, input=lines, capture_output=True, text=True)
    if done.returncode != 0:
        refuse(f"longrecipe {verb} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def documents(command, model_dir, count, longest):
    """Token ids of `count` synthetic long documents of at least `longest` tokens (BOS first), from the engine."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.jsonl"
        # Words outnumber the tokens asked for: a word is a token or more in the built-in vocabularies.
        engine(command, "synthetic", ["--kind", "long", "--count", str(count), "--words", str(longest + longest // 4),
                                      "--seed", "7", "--out", str(path)], [])
        texts = [json.loads(line)["text"] for line in path.read_text().splitlines()]
    ids = [r["ids"] for r in engine(command, "tokenize", ["--tokenizer", str(model_dir)],
                                    [{"text": t, "add_special_tokens": True} for t in texts])]
    short = [len(i) for i in ids if len(i) < longest]
    if short:
        refuse(f"synthetic documents of {short} tokens are shorter than the longest length, {longest}")
    return ids


def perplexity(logprob_rows):
    total = sum(sum(row) for row in logprob_rows)
    count = sum(len(row) for row in logprob_rows)
    return math.exp(-total / count)


def transformers_logprobs(model_dir, rows, device):
    """transformers' log p(token | prefix) for each row, from LlamaForCausalLM in float32."""
    import torch
    from transformers import LlamaForCausalLM
    model = LlamaForCausalLM.from_pretrained(model_dir, dtype=torch.float32).to(device).eval()
    results = []
    with torch.no_grad():
        for ids in rows:
            tokens = torch.tensor([ids], device=device)
            logits = model(tokens).logits[0, :-1].float()
            results.append(torch.log_softmax(logits, -1).gather(1, tokens[0, 1:, None])[:, 0].tolist())
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--engine", default="./longrecipe", help="the longrecipe command, e.g. \"dotnet .gpu/cli/longrecipe.dll\"")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--lengths", help="comma-separated token counts beyond the native window")
    parser.add_argument("--documents", type=int, default=3)
    parser.add_argument("--tolerance", type=float, default=0.01, help="largest |relative difference| of perplexity allowed")
    parser.add_argument("--engine-only", action="store_true")
    args = parser.parse_args()

    native, window = longrope_settings(args.model)
    lengths = [int(n) for n in args.lengths.split(",")] if args.lengths else sorted({2 * native, window})
    if min(lengths) <= native:
        refuse(f"lengths {lengths} must lie beyond the native window of {native} tokens")
    ids = documents(args.engine, args.model, args.documents, max(lengths))

    print(f"{args.model}: longrope over a {native}-token window, {args.documents} documents per length, device {args.device}")
    print(f"{'length':>8} {'engine ppl':>12} {'transformers ppl':>17} {'rel. diff':>10}")
    worst = 0.0
    for length in lengths:
        rows = [i[:length] for i in ids]
        ours = perplexity([r["logprobs"] for r in engine(args.engine, "score", ["--model", args.model, "--device", args.device,
                                                                             "--dtype", "f32"], [{"input_ids": r} for r in rows])])
        if args.engine_only:
            print(f"{length:>8} {ours:>12.4f} {'-':>17} {'-':>10}")
            continue
        theirs = perplexity(transformers_logprobs(args.model, rows, args.device))
        difference = (ours - theirs) / theirs
        worst = max(worst, abs(difference))
        print(f"{length:>8} {ours:>12.4f} {theirs:>17.4f} {difference:>+10.2e}")
    if worst > args.tolerance:
        print(f"FAIL: |relative difference| {worst:.2e} exceeds the tolerance {args.tolerance:.0e}")
        sys.exit(1)
    if not args.engine_only:
        print(f"ok: largest |relative difference| {worst:.2e} within {args.tolerance:.0e}")


if __name__ == "__main__":
    main()
