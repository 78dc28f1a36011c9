"""PyTorch eager peer of `LongRecipe.Bench prefill`: long-context prefill, same config and data.

transformers' LlamaForCausalLM in bf16 with SDPA attention, random init on the GPU; random token ids from a fixed
seed fed `--chunk` at a time into a DynamicCache, only the last position's logits computed. Prints one
JSON line like the binding's (out of memory as a row with "failed").

    python3 bench/peer_prefill.py --preset 1b --seq 131072 [--chunk 8192] [--memory-fraction 0.56]
"""
import argparse
import json
import time

import torch
from transformers import DynamicCache, LlamaConfig, LlamaForCausalLM

from peer_train import PRESETS


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="1b", choices=PRESETS)
    parser.add_argument("--seq", type=int, default=131072)
    parser.add_argument("--chunk", type=int, default=8192)
    parser.add_argument("--memory-fraction", type=float)
    args = parser.parse_args()
    row = {"impl": "pytorch", "bench": "prefill", "preset": args.preset, "seq": args.seq, "chunk": args.chunk,
           "memory_cap": args.memory_fraction}
    try:
        row.update(run(args))
    except torch.OutOfMemoryError as e:
        row.update(failed=True, error="out of memory", detail=str(e).splitlines()[0])
    print(json.dumps(row), flush=True)


def run(args):
    if args.memory_fraction:
        torch.cuda.set_per_process_memory_fraction(args.memory_fraction)
    torch.manual_seed(0)
    config = LlamaConfig(**PRESETS[args.preset], max_position_embeddings=max(args.seq, 131072),
                         attn_implementation="sdpa", dtype=torch.bfloat16)
    # Built on the GPU in bf16: the 8B's random initialisation on the host outlasts a device call.
    torch.set_default_dtype(torch.bfloat16)
    with torch.device("cuda"):
        model = LlamaForCausalLM(config).eval()
    torch.set_default_dtype(torch.float32)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, config.vocab_size, (1, args.seq), generator=g).cuda()

    @torch.no_grad()
    def once():
        cache = DynamicCache()
        logits = None
        for start in range(0, args.seq, args.chunk):
            logits = model(input_ids=ids[:, start:start + args.chunk], past_key_values=cache, use_cache=True,
                           logits_to_keep=1).logits
        return int(logits[0, -1].argmax())

    once()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    token = once()
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 3), "tokens_per_s": round(args.seq / seconds, 1),
            "peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2), "next_token": token}


if __name__ == "__main__":
    main()
