"""Plots bench/memory.sh's CSV (one or more files) as an SVG: peak memory of a training step against
sequence length, one line per model and checkpointing setting, lengths on a log axis, lengths that ran
out of memory as crosses on the top edge, and the 80 GiB of the paper's GPU as a dashed line.
Plain SVG, no plotting library:

    python3 bench/memory_plot.py memory.csv [more.csv ...] memory.svg
"""
import csv
import math
import sys

WIDTH, HEIGHT = 720, 440
LEFT, RIGHT, TOP, BOTTOM = 70, 230, 40, 60
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
PAPER_GPU_GIB = 80


def read(paths):
    rows = []
    for path in paths:
        with open(path, newline="") as f:
            rows.extend(csv.DictReader(f))
    if not rows:
        sys.exit(f"{', '.join(paths)}: no rows")
    return rows


def nice_step(span):
    """A round tick step giving about five ticks over span: 1, 2 or 5 times a power of ten."""
    raw = span / 5
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def label(seq):
    return f"{seq // 1024}k" if seq % 1024 == 0 else f"{seq / 1000:g}k"


def plot(rows):
    series = {}
    for r in rows:
        name = f"{r['preset'].upper()}, {'checkpointing' if r['checkpoint'] == 'True' else 'no checkpointing'}" \
               f" ({r['optimizer_state']} AdamW)"
        series.setdefault(name, []).append(r)
    seqs = sorted({int(r["seq"]) for r in rows})
    fitted = [float(r["peak_gib"]) for r in rows if r["oom"] != "True" and r["peak_gib"]]
    on_gpu = any(r["memory"] == "cuda_peak_allocated" for r in rows)
    top = max(fitted + ([PAPER_GPU_GIB] if on_gpu else [])) * 1.1
    step = nice_step(top)
    top = math.ceil(top / step) * step
    lo, hi = math.log2(seqs[0]), math.log2(seqs[-1])

    def x(seq):
        return LEFT + (math.log2(seq) - lo) / max(hi - lo, 1e-9) * (WIDTH - LEFT - RIGHT)

    def y(gib):
        return HEIGHT - BOTTOM - gib / top * (HEIGHT - TOP - BOTTOM)

    unit = "GiB (CUDA allocator peak)" if on_gpu else "GiB (CPU resident high-water mark)"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="14">Peak memory of one training step against sequence length</text>']
    for i in range(int(top / step) + 1):
        gib = i * step
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(gib):.1f}" y2="{y(gib):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y(gib) + 4:.1f}" text-anchor="end">{gib:g}</text>')
    previous = -math.inf
    for seq in seqs:
        # A label too close to the one before goes a line lower (32k and 38.4k, say).
        lower = x(seq) - previous < 30
        out.append(f'<text x="{x(seq):.1f}" y="{HEIGHT - BOTTOM + (32 if lower else 18)}" text-anchor="middle">{label(seq)}</text>')
        previous = -math.inf if lower else x(seq)
    out.append(f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 8}" text-anchor="middle">sequence length (tokens, log scale)</text>')
    out.append(f'<text transform="translate(18 {(TOP + HEIGHT - BOTTOM) / 2}) rotate(-90)" text-anchor="middle">{unit}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" fill="none" stroke="#444"/>')
    if on_gpu:
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(PAPER_GPU_GIB):.1f}" y2="{y(PAPER_GPU_GIB):.1f}" '
                   'stroke="#000" stroke-dasharray="6 4"/>')
        out.append(f'<text x="{WIDTH - RIGHT - 4}" y="{y(PAPER_GPU_GIB) - 5:.1f}" text-anchor="end">80 GiB (the paper\'s GPU)</text>')
    for i, (name, points) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        points = sorted(points, key=lambda r: int(r["seq"]))
        fit = [(x(int(r["seq"])), y(float(r["peak_gib"]))) for r in points if r["oom"] != "True"]
        if len(fit) > 1:
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in fit)}"/>')
        out.extend(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3.5" fill="{colour}"/>' for a, b in fit)
        for r in points:
            if r["oom"] == "True":
                cx, cy = x(int(r["seq"])), TOP + 8 + 6 * i
                out.append(f'<path d="M{cx - 4:.1f},{cy - 4} l8,8 m0,-8 l-8,8" stroke="{colour}" stroke-width="2"/>')
        ly = TOP + 10 + 34 * i
        out.append(f'<line x1="{WIDTH - RIGHT + 12}" x2="{WIDTH - RIGHT + 32}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="2"/>')
        model, setting = name.split(", ", 1)
        out.append(f'<text x="{WIDTH - RIGHT + 38}" y="{ly + 4}">{model}, {setting.split(" (")[0]}</text>')
        out.append(f'<text x="{WIDTH - RIGHT + 38}" y="{ly + 18}" fill="#555">({setting.split(" (")[1]}</text>')
    out.append(f'<text x="{WIDTH - RIGHT + 12}" y="{TOP + 10 + 34 * len(series) + 4}" fill="#555">× out of memory</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    with open(sys.argv[-1], "w") as f:
        f.write(plot(read(sys.argv[1:-1])))
