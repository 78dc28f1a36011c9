"""Sums Nsight Compute's per-kernel times (`ncu --csv --page raw --metrics gpu__time_duration.sum`) by kernel.

    python3 scripts/gpu/kernel_times.py profile.csv [--top 20]

Prints the kernels' total time and count, then the top kernels by time with their share, for the last training step
only: the launches after the optimizer's kernels of the step before (AdamW's kernels end each step), up to and
including the last step's. Each kernel is timed alone, so the total falls short of the step's time by more than the
GPU's waits for the host (kernels ran about 5% longer in place on the H200; bench/peer_idle.py gives a real timeline).
"""
import argparse
import csv
import re
from collections import defaultdict


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("csv")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    lines = open(args.csv, errors="replace").read().splitlines()
    # ncu writes its own log lines (==PROF==) before the table.
    start = next(i for i, line in enumerate(lines) if line.startswith('"ID"'))
    rows = list(csv.DictReader(lines[start:]))
    units = rows[0]["gpu__time_duration.sum"]
    scale = {"ns": 1e-9, "nsecond": 1e-9, "us": 1e-6, "usecond": 1e-6, "ms": 1e-3, "msecond": 1e-3, "s": 1.0, "second": 1.0}[units]
    launches = last_step(rows[1:])
    by_kind = defaultdict(lambda: [0.0, 0])
    for row in launches:
        try:
            seconds = float(row["gpu__time_duration.sum"].replace(",", "")) * scale
        except ValueError:
            continue
        kind = by_kind[short(row["Kernel Name"])]
        kind[0] += seconds
        kind[1] += 1
    total = sum(t for t, _ in by_kind.values())
    count = sum(n for _, n in by_kind.values())
    print(f"kernels: {count}, {total * 1e3:.1f} ms on the GPU in all")
    by_category = defaultdict(float)
    for name, (seconds, _) in by_kind.items():
        by_category[category(name)] += seconds
    print("  ".join(f"{c} {t * 1e3:.1f} ms ({100 * t / total:.1f}%)" for c, t in sorted(by_category.items(), key=lambda kv: -kv[1])))
    for name, (seconds, n) in sorted(by_kind.items(), key=lambda kv: -kv[1][0])[:args.top]:
        print(f"{100 * seconds / total:6.1f}% {seconds * 1e3:9.2f} ms {n:6d}x  {name}")


def last_step(launches):
    """The launches of the last step: from after the second-to-last run of optimizer kernels to the end of the last
    (a run: optimizer launches less than 50 launches apart, as a step's own bookkeeping may sit between them)."""
    optimizer = [i for i, row in enumerate(launches) if "adam" in row["Kernel Name"].lower()]
    ends = [i for k, i in enumerate(optimizer) if k + 1 == len(optimizer) or optimizer[k + 1] > i + 50]
    if len(ends) < 2:
        print("(no two optimizer steps found: every launch counts, model set-up included)")
        return launches
    return launches[ends[-2] + 1:ends[-1] + 1]


CATEGORIES = [
    ("attention", r"sdpa|flash|fmha|attention|dot_do_o"),
    ("matmul", r"nvjet|gemm|cutlass|xmma"),
    ("cross-entropy", r"SoftMax|nll_loss"),
    ("optimizer", r"multi_tensor_apply|adam"),
    ("norm", r"layer_norm|GammaBeta|rms_norm"),
]


def category(name):
    """Attention, matmul, cross-entropy, optimizer, norm, or elementwise (pointwise ops, copies, casts, fills)."""
    return next((c for c, pattern in CATEGORIES if re.search(pattern, name, re.IGNORECASE)), "elementwise")


def short(name):
    """A kernel's name without its argument list (cut to 120 characters), so that launches of one kernel add up."""
    name = re.sub(r"\(.*$", "", name)
    return name[:120]


if __name__ == "__main__":
    main()
