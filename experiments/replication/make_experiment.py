#!/usr/bin/env python3
"""Writes the replication experiment (experiment.json): the 34M real-text base (native 512) extended 8× to 4096.

    python3 experiments/replication/make_experiment.py [--steps 200] [--batch 8] [--device cuda] [--target 4096] > experiment.json
    python3 experiments/replication/make_experiment.py --smoke --device cpu --target 1024 --steps 4 --batch 1 --documents 40   # a CPU miniature
    python3 experiments/replication/make_experiment.py --name replication-8x-longrecipe-ablation \
        --methods longrecipe-no-merge,longrecipe-extend-only --learning-rates 3e-4,1e-3,3e-3                  # a follow-up

Every trained method gets the same optimizer steps and sequences per step; each picks its peak learning rate from
one shared grid on the validation split (perplexity at 4096); the final runs (3 seeds) are measured on the test
split. The lengths: LongRecipe, PoSE and RPES train at 30% of the target (1229 tokens), FLT and the two fine-tuned
rescalings (PI, the LongRoPE search) at the full 4096.
"""
import argparse
import json

NATIVE = 512


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--anneal-share", type=float, default=0.2, help="LongRecipe's share of the steps spent annealing")
    p.add_argument("--device", default="cuda")
    p.add_argument("--model", default="data/models/replication-base")
    p.add_argument("--documents", type=int, default=1400,
                   help="train documents per run; LongRecipe's replay draws as many again from the split (2988 documents)")
    p.add_argument("--parallel", type=int, default=6)
    p.add_argument("--target", type=int, default=4096)
    p.add_argument("--smoke", action="store_true", help="a miniature of the same experiment for a CPU: few samples, seeds and rates")
    p.add_argument("--name", default="replication-8x")
    p.add_argument("--methods", help="comma-separated method names to keep (default: the replication's eleven)")
    p.add_argument("--learning-rates", default="1e-4,3e-4,1e-3", help="the shared grid, comma-separated")
    a = p.parse_args()
    TARGET = a.target
    SHORT = round(0.3 * TARGET)  # 1229 at 4096: the paper's 30% of the target length
    LENGTHS = [n for n in (512, 1024, 2048, 4096, 8192) if n <= TARGET]

    def extend(scheme, length, steps=a.steps):
        return {"kind": "extend", "transform": {"scheme": scheme}, "sequence_length": length,
                "steps": steps, "micro_batch_size": a.batch, "learning_rate": 3e-4, "warmup_steps": max(1, steps // 10),
                "decay": "cosine", "checkpoint_every": 0}

    search = {"kind": "search", "unscaled_tokens": [0], "population": 16, "generations": 8, "parents": 4,
              "short_generations": 4, "samples": 4, "batch_size": 4}
    anneal_steps = round(a.steps * a.anneal_share)
    data = {"corpus": "real", "documents": a.documents, "retrieval_ratio": 0.1}

    def method(name, stages, rope=None, selection=None, replay=False):
        spec = {"name": name, "target_length": TARGET, "model": a.model, "device": a.device,
                "dtype": "bf16" if a.device.startswith("cuda") else "f32", "seed": 1,
                "data": dict(data, **({"replay": "real"} if replay else {}), **({"selection": selection} if selection else {})),
                "stages": stages}
        if rope:
            spec["rope_scaling"] = rope
        return spec

    methods = [
        method("base", []),
        method("pi", [], rope={"rope_type": "linear", "factor": TARGET / NATIVE}),
        method("ntk", [], rope={"rope_type": "dynamic", "factor": TARGET / NATIVE}),
        method("yarn", [], rope={"rope_type": "yarn", "factor": TARGET / NATIVE, "original_max_position_embeddings": NATIVE}),
        method("longrope", [search]),
        method("flt", [extend("full_length", TARGET)]),
        method("longrecipe",
               [extend("long_recipe", SHORT, a.steps - anneal_steps),
                {"kind": "anneal", "replay_ratio": 0.5, "sequence_length": SHORT, "steps": anneal_steps, "micro_batch_size": a.batch,
                 "learning_rate": 3e-5, "decay": "linear"},
                {"kind": "merge", "method": "average"}],
               selection={"method": "digits", "select_ratio": 0.6}, replay=True),
        method("pose", [extend("pose", SHORT)]),
        method("rpes", [extend("random_positions", SHORT)]),
        method("pi-ft", [extend("full_length", TARGET)], rope={"rope_type": "linear", "factor": TARGET / NATIVE}),
        method("longrope-ft", [search, extend("full_length", TARGET)]),
    ]
    # Ablations of LongRecipe's later stages, for follow-ups (--methods): the same steps without the merge, or all extension.
    recipe = next(m for m in methods if m["name"] == "longrecipe")
    ablations = [dict(recipe, name="longrecipe-no-merge", stages=recipe["stages"][:2]),
                 dict(recipe, name="longrecipe-extend-only", stages=[extend("long_recipe", SHORT)])]
    if a.methods:
        names = a.methods.split(",")
        known = {m["name"]: m for m in methods + ablations}
        unknown = [n for n in names if n not in known]
        if unknown:
            p.error(f"--methods: unknown {', '.join(unknown)} (known: {', '.join(known)})")
        methods = [known[n] for n in names]
    experiment = {
        "name": a.name,
        "methods": methods,
        "seeds": [1, 2, 3],
        "eval": {"passkey": {"lengths": LENGTHS, "samples": 100},
                 "niah": {"lengths": LENGTHS, "depths": [0, 25, 50, 75, 100], "needles_per_cell": 10},
                 "perplexity": {"lengths": LENGTHS, "samples": 16},
                 "short_retention": True, "batch_size": 16, "corpus": "real", "split": "test"},
        "learning_rates": [float(x) for x in a.learning_rates.split(",")],
        "selection_eval": {"perplexity": {"lengths": [TARGET], "samples": 16}, "batch_size": 16, "corpus": "real",
                           "split": "validation"},
        "criterion": {"benchmark": "perplexity", "metric": "perplexity", "context_length": TARGET},
        "parallel": a.parallel,
    }
    if a.smoke:
        experiment.update(name="replication-smoke", seeds=[1, 2], learning_rates=[1e-4, 1e-3], parallel=2)
        experiment["eval"].update(passkey={"lengths": [NATIVE, TARGET], "samples": 4},
                                  niah={"lengths": [NATIVE, TARGET], "depths": [0, 100], "needles_per_cell": 2},
                                  perplexity={"lengths": [NATIVE, TARGET], "samples": 2}, batch_size=2)
        experiment["selection_eval"].update(perplexity={"lengths": [TARGET], "samples": 2}, batch_size=2)
        search.update(population=4, generations=1, parents=2, short_generations=1, samples=1, batch_size=1)
    print(json.dumps(experiment, indent=1))


if __name__ == "__main__":
    main()
