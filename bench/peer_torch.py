"""The PyTorch eager peer of bench/LongRecipe.Bench: the same measurements, the same JSON lines.

    python3 bench/peer_torch.py matmul --device cpu --dtype f32 --sizes 256,512,1024
    python3 bench/peer_torch.py mlp --device cuda
    python3 bench/peer_torch.py overhead --device cpu
"""
import argparse
import json
import time

import torch

DTYPES = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}


def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def time_per_call(device, min_seconds, call):
    """Seconds per call: warm up, then repeat in growing batches until a batch lasts min_seconds."""
    for _ in range(3):
        call()
    sync(device)
    count = 1
    while True:
        start = time.perf_counter()
        for _ in range(count):
            call()
        sync(device)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / count
        count *= 2


def report(name, args, **fields):
    print(json.dumps({"impl": "pytorch", "bench": name, "device": args.device, "dtype": args.dtype,
                      "threads": torch.get_num_threads(), **fields}), flush=True)


def matmul(args):
    g = torch.Generator().manual_seed(0)
    for n in args.sizes:
        a = torch.randn(n, n, generator=g).to(args.device, DTYPES[args.dtype])
        b = torch.randn(n, n, generator=g).to(args.device, DTYPES[args.dtype])
        seconds = time_per_call(args.device, 1.0, lambda: torch.matmul(a, b))
        report("matmul", args, n=n, seconds=seconds, gflops=round(2.0 * n ** 3 / seconds / 1e9, 2))


def mlp(args):
    g = torch.Generator().manual_seed(0)
    shapes = [(2048, 512), (2048,), (512, 2048), (512,), (10, 512), (10,)]
    params = [(torch.randn(*s, generator=g) * 0.02).to(args.device).requires_grad_() for s in shapes]
    x = torch.randn(64, 512, generator=g).to(args.device)
    y = torch.randint(0, 10, (64,), generator=g).to(args.device)
    optimizer = torch.optim.AdamW(params, lr=1e-3)
    F = torch.nn.functional

    def step():
        h = F.silu(F.linear(x, params[0], params[1]))
        h = F.silu(F.linear(h, params[2], params[3]))
        loss = F.cross_entropy(F.linear(h, params[4], params[5]), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    seconds = time_per_call(args.device, 2.0, step)
    report("mlp_step", args, seconds=seconds, steps_per_s=round(1 / seconds, 1))


def overhead(args):
    a = torch.ones(1, device=args.device, dtype=DTYPES[args.dtype])
    b = torch.ones(1, device=args.device, dtype=DTYPES[args.dtype])
    seconds = time_per_call(args.device, 1.0, lambda: a + b)
    report("tiny_add", args, us_per_call=round(seconds * 1e6, 3))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["matmul", "mlp", "overhead"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="f32")
    parser.add_argument("--sizes", default="256,512,1024,2048", type=lambda s: [int(v) for v in s.split(",")])
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.set_grad_enabled(args.command == "mlp")
    {"matmul": matmul, "mlp": mlp, "overhead": overhead}[args.command](args)
