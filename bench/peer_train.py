"""PyTorch eager peer of `LongRecipe.Bench train`: one Llama training step, same config and data.

transformers' LlamaForCausalLM in bf16 with SDPA attention and fused AdamW; random init, random
token ids from a fixed seed. Prints one JSON line like the binding's.

    python3 bench/peer_train.py --preset 125m --seq 4096 [--checkpoint] [--memory-fraction 0.56] [--warmup 3] [--steps 10]

Out of memory prints a row with "failed" and the error rather than a traceback.
"""
import argparse
import json
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

# Literal twins of LlamaConfig's presets in the engine (Model/LlamaConfig.cs).
PRESETS = {
    "125m": dict(vocab_size=32000, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                 num_attention_heads=12, num_key_value_heads=4, rms_norm_eps=1e-5, tie_word_embeddings=True,
                 rope_theta=10000.0),
    "1b": dict(vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
               num_attention_heads=32, num_key_value_heads=8, rms_norm_eps=1e-5, tie_word_embeddings=True,
               rope_theta=500000.0, rope_scaling=dict(rope_type="llama3", factor=32.0, low_freq_factor=1.0,
                                                      high_freq_factor=4.0, original_max_position_embeddings=8192)),
    "8b": dict(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
               num_attention_heads=32, num_key_value_heads=8, rms_norm_eps=1e-5, tie_word_embeddings=False,
               rope_theta=500000.0, rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                                      high_freq_factor=4.0, original_max_position_embeddings=8192)),
}


def flops_per_step(n_params, layers, hidden, seq):
    """6·N·tokens for the weights plus causal attention (QKᵀ and AV, forward and backward): 6·L·d·T²."""
    return 6 * n_params * seq + 6 * layers * hidden * seq * seq


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="125m", choices=PRESETS)
    parser.add_argument("--seq", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--checkpoint", action="store_true")
    parser.add_argument("--memory-fraction", type=float)
    parser.add_argument("--attention", default="all", choices=["all", "cudnn", "flash"])
    args = parser.parse_args()
    try:
        run(args)
    except torch.OutOfMemoryError as e:
        print(json.dumps({"impl": "pytorch", "bench": "train_step", "preset": args.preset, "seq": args.seq,
                          "checkpoint": args.checkpoint, "failed": True, "error": "out of memory",
                          "detail": str(e).splitlines()[0]}), flush=True)


def use_attention(name):
    """The binding's --attention: one fused kernel and the math fallback, as torch.backends.cuda.enable_*_sdp set them."""
    if name == "all":
        return
    torch.backends.cuda.enable_flash_sdp(name == "flash")
    torch.backends.cuda.enable_mem_efficient_sdp(False)
    torch.backends.cuda.enable_cudnn_sdp(name == "cudnn")
    torch.backends.cuda.enable_math_sdp(True)


def training_step(preset, seq, checkpoint=False):
    """The model's config, and one training step on seq fixed random tokens as a function returning the loss."""
    torch.manual_seed(0)
    config = LlamaConfig(**PRESETS[preset], max_position_embeddings=max(seq, 2048 if preset == "125m" else 131072),
                         attn_implementation="sdpa", dtype=torch.bfloat16)
    model = LlamaForCausalLM(config).to("cuda", torch.bfloat16)
    if checkpoint:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, config.vocab_size, (1, seq), generator=g).cuda()

    def step():
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss

    return config, model, step


def run(args):
    use_attention(args.attention)
    if args.memory_fraction:
        torch.cuda.set_per_process_memory_fraction(args.memory_fraction)
    config, model, step = training_step(args.preset, args.seq, args.checkpoint)
    # Weights that multiply: a tied embedding counts once, as the lm_head; an untied input table is a lookup.
    n_params = sum(p.numel() for p in model.parameters())
    if not config.tie_word_embeddings:
        n_params -= model.model.embed_tokens.weight.numel()

    for _ in range(args.warmup):
        step()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / args.steps
    flops = flops_per_step(n_params, config.num_hidden_layers, config.hidden_size, args.seq)
    print(json.dumps({"impl": "pytorch", "bench": "train_step", "preset": args.preset, "seq": args.seq,
                      "checkpoint": args.checkpoint, "optimizer_state": "torch_adamw_fused", "attention": args.attention,
                      "memory_cap": args.memory_fraction, "params": n_params, "seconds": seconds,
                      "tokens_per_s": round(args.seq / seconds, 1), "mfu": round(flops / seconds / 989e12, 4),
                      "peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2), "loss": float(loss)}), flush=True)


if __name__ == "__main__":
    main()
