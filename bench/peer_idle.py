"""Where PyTorch eager leaves the GPU idle in one training step: the peer's step (peer_train.py) under torch.profiler.

One step after the warm-up is traced (host ops, CUDA runtime calls, kernels). Every gap between one kernel's end and the
next kernel's start is charged to the host op that launched the next kernel: its outermost op (e.g. an autograd
node) and its innermost (e.g. aten::copy_). Prints the step's span, the kernels' busy time and the idle time, then
where the idle time went.

    python3 bench/peer_idle.py --preset 1b --seq 16384 [--warmup 2] [--top 15]
"""
import argparse
import json
import tempfile
from bisect import bisect_right
from collections import defaultdict

import torch
from torch.profiler import ProfilerActivity, profile

from peer_train import PRESETS, training_step

GPU_WORK = {"kernel", "gpu_memcpy", "gpu_memset"}
LAUNCHES = {"cuda_runtime", "cuda_driver"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="1b", choices=PRESETS)
    parser.add_argument("--seq", type=int, default=16384)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    _, _, step = training_step(args.preset, args.seq)
    for _ in range(args.warmup):
        step()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as traced:
        step()
        torch.cuda.synchronize()
    with tempfile.NamedTemporaryFile(suffix=".json") as trace:
        traced.export_chrome_trace(trace.name)
        events = [e for e in json.load(open(trace.name))["traceEvents"] if e.get("ph") == "X"]
    report(events, args)


def report(events, args):
    work = sorted((e for e in events if e.get("cat") in GPU_WORK), key=lambda e: e["ts"])
    launched_by = {e["args"]["correlation"]: e for e in events if e.get("cat") in LAUNCHES and "correlation" in e.get("args", {})}
    ops = defaultdict(list)
    for e in events:
        if e.get("cat") == "cpu_op":
            ops[e["tid"]].append(e)
    for thread in ops.values():
        thread.sort(key=lambda e: e["ts"])
    starts = {tid: [e["ts"] for e in thread] for tid, thread in ops.items()}
    span = work[-1]["ts"] + work[-1]["dur"] - work[0]["ts"]
    busy, idle, end = 0.0, defaultdict(lambda: [0.0, 0]), work[0]["ts"]
    for kernel in work:
        gap = kernel["ts"] - end
        if gap > 0:
            slot = idle[launcher(kernel, launched_by, ops, starts)]
            slot[0] += gap
            slot[1] += 1
        busy += max(0.0, kernel["ts"] + kernel["dur"] - max(end, kernel["ts"]))
        end = max(end, kernel["ts"] + kernel["dur"])
    idle_total = sum(t for t, _ in idle.values())
    print(f"{args.preset} at {args.seq}: one step spans {span / 1e3:.1f} ms from its first kernel to its last; "
          f"kernels busy {busy / 1e3:.1f} ms; GPU idle {idle_total / 1e3:.1f} ms in {sum(n for _, n in idle.values())} gaps")
    print(f"{'idle ms':>9} {'gaps':>6}  launched by (outermost op / innermost op)")
    for name, (gap, n) in sorted(idle.items(), key=lambda kv: -kv[1][0])[:args.top]:
        print(f"{gap / 1e3:9.2f} {n:6d}  {name}")


def launcher(kernel, launched_by, ops, starts):
    """The host ops around the launch of this kernel: the outermost and the innermost op enclosing the launch call."""
    launch = launched_by.get(kernel.get("args", {}).get("correlation"))
    if launch is None:
        return "(launch not traced)"
    thread = ops.get(launch["tid"], [])
    enclosing = [e for e in thread[:bisect_right(starts.get(launch["tid"], []), launch["ts"])] if e["ts"] + e["dur"] >= launch["ts"]]
    if not enclosing:
        return "(outside any op)"
    return f"{enclosing[0]['name']} / {enclosing[-1]['name']}"


if __name__ == "__main__":
    main()
