#!/usr/bin/env python3
"""Reference log-probabilities from Hugging Face transformers for the engine's Llama-family decoder.

    python3 make_model_reference.py build <out dir>
        For each family (llama, qwen2) and rope type (default, linear, dynamic, yarn, llama3,
        longrope) builds a tiny random float32 model, saves it with save_pretrained into
        <out>/<family>-<rope>/ (config.json + model.safetensors, written by transformers itself)
        and writes <out>/<family>-<rope>/reference.json with transformers' per-token log-probs.

    python3 make_model_reference.py verify <model dir> <reference.json> [--tolerance 1e-4]
        Loads <model dir> (e.g. a checkpoint the engine saved) with AutoModelForCausalLM and checks
        its log-probs against reference.json, printing the largest absolute difference per case.
        Exits with status 1 on a mismatch.

Written for torch 2.11 and transformers 5.17 (it also runs on transformers 4.45+), with no network
access. Everything runs on the CPU in float32, single-threaded, so the numbers do not depend on the
GPU or its TF32 settings.

What a reference.json records, per case (a batch of 2 rows over the same input_ids):
  position_ids    [2][24] i64, different in each row
  logprobs        [2][23] float64: log_softmax(logits[b, i], float64)[input_ids[b, i + 1]]
                  (the float32 logits are converted to float64 before the log-softmax)
  rope_inv_freq   the inv_freq transformers rotated with, after its dynamic update (float32 values)
  rope_attention_scaling, rope_sequence_length (= max(position_ids) + 1 over the whole batch)
Cases:
  contiguous      positions 0..23 in both rows
  sparse          increasing positions with gaps, spread over [0, 4 × 64): past the original
                  64-token window, so scaled rope types scale; row 0 starts with 4 contiguous ids
  sparse_window   increasing positions with gaps inside [0, 64): longrope keeps its short factors

How transformers is driven, and why (the engine must do the same to match):
  * attention_mask is passed, all ones. With attention_mask=None, transformers 5 reads gaps in
    position_ids as boundaries between packed documents and blocks attention across them;
    LongRecipe-style sparse positions mean one document, attended causally over token order.
  * use_cache=False, and every case runs on a freshly loaded model. Dynamic NTK keeps state:
    it recomputes inv_freq when max(position_ids) + 1 exceeds the longest length seen so far
    (starting at max_position_embeddings) and only resets below the original window. A fresh
    model makes each case depend on its own batch only: seq_len = max over the batch + 1.
  * Weights are drawn here, not by transformers' initializer: normal(0, 0.15) for matrices,
    1 + normal(0, 0.2) for RMSNorm weights and normal(0, 0.1) for biases, so that a decoder that
    ignored norm weights or Qwen2's q/k/v biases would not match by accident.
"""

import argparse
import json
import os
import random
import sys

import torch
import transformers

ORIGINAL = 64  # the "pretraining" window of every fixture
EXTENDED = 4 * ORIGINAL  # where the scaled types extend it to
LENGTH = 24  # tokens per row
SEED = 20240901

# Small enough that all twelve fixtures take about 2 MB: 2 heads of 16 share 1 kv head.
SIZES = dict(
    vocab_size=256,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=1,
    rms_norm_eps=1e-6,
    initializer_range=0.15,
    tie_word_embeddings=False,
    bos_token_id=1,
    eos_token_id=2,
)

FAMILIES = {
    # family: (config class, model class, rope theta)
    "llama": ("LlamaConfig", "LlamaForCausalLM", 10000.0),
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM", 1000000.0),
}

RECIPE = (
    "float32 on the CPU; a freshly loaded model per case; attention_mask all ones (no packed-sequence "
    "splitting at position gaps); use_cache=False; logprobs[b][i] = log_softmax(float64(logits[b, i]))[input_ids[b][i + 1]]; "
    "rope_sequence_length = max(position_ids over the batch) + 1"
)

ROPE_TYPES = ["default", "linear", "dynamic", "yarn", "llama3", "longrope"]

# Longrope needs rotary_dim / 2 = 8 factors per set.
SHORT_FACTOR = [1.0, 1.05, 1.1, 1.2, 1.35, 1.5, 1.8, 2.0]
LONG_FACTOR = [1.0, 1.3, 1.8, 2.5, 3.2, 3.8, 4.0, 4.0]


def rope_settings(rope_type, theta):
    """The rope_parameters dict and max_position_embeddings for one rope type."""
    if rope_type == "default":
        return {"rope_type": "default", "rope_theta": theta}, ORIGINAL
    if rope_type == "linear":
        return {"rope_type": "linear", "rope_theta": theta, "factor": 4.0}, EXTENDED
    if rope_type == "dynamic":
        # Dynamic NTK takes max_position_embeddings itself as the original window.
        return {"rope_type": "dynamic", "rope_theta": theta, "factor": 4.0}, ORIGINAL
    if rope_type == "yarn":
        # beta_fast, beta_slow and the attention factor take their defaults (32, 1, 0.1 ln s + 1).
        return {"rope_type": "yarn", "rope_theta": theta, "factor": 4.0,
                "original_max_position_embeddings": ORIGINAL}, EXTENDED
    if rope_type == "llama3":
        # With L = 64: wavelengths under 16 kept, over 64 divided by 4, in between blended.
        return {"rope_type": "llama3", "rope_theta": theta, "factor": 4.0, "low_freq_factor": 1.0,
                "high_freq_factor": 4.0, "original_max_position_embeddings": ORIGINAL}, EXTENDED
    if rope_type == "longrope":
        # No factor: Phi-3's convention, factor = max_position_embeddings / original = 4.
        return {"rope_type": "longrope", "rope_theta": theta, "short_factor": SHORT_FACTOR,
                "long_factor": LONG_FACTOR, "original_max_position_embeddings": ORIGINAL}, EXTENDED
    raise ValueError(rope_type)


def transformers_major():
    return int(transformers.__version__.split(".")[0])


def make_config(family, rope_type):
    config_name, _, theta = FAMILIES[family]
    config_class = getattr(transformers, config_name)
    rope, max_positions = rope_settings(rope_type, theta)
    kwargs = dict(SIZES, max_position_embeddings=max_positions)
    if transformers_major() >= 5:
        config = config_class(**kwargs, rope_parameters=dict(rope))
    else:
        legacy = dict(rope)
        legacy_theta = legacy.pop("rope_theta")
        config = config_class(**kwargs, rope_theta=legacy_theta, rope_scaling=legacy if rope_type != "default" else None)
    check_rope(config, rope)
    return config


def effective_rope(config):
    """The rope settings a loaded config carries, in either spelling."""
    parameters = getattr(config, "rope_parameters", None)
    if isinstance(parameters, dict) and parameters:
        return dict(parameters)
    scaling = dict(getattr(config, "rope_scaling", None) or {})
    scaling.setdefault("rope_type", scaling.get("type", "default"))
    scaling.setdefault("rope_theta", getattr(config, "rope_theta", 10000.0))
    return scaling


def check_rope(config, expected):
    actual = effective_rope(config)
    for key, value in expected.items():
        if actual.get(key) != value:
            raise SystemExit(f"the config did not keep rope setting {key}={value!r} (it has {actual.get(key)!r})")


def draw_weights(model, seed):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in sorted(model.named_parameters()):
            noise = torch.randn(parameter.shape, generator=generator, dtype=torch.float32)
            if "norm" in name:
                parameter.copy_(1 + 0.2 * noise)
            elif name.endswith(".bias"):
                parameter.copy_(0.1 * noise)
            else:
                parameter.copy_(SIZES["initializer_range"] * noise)


def load(model_dir):
    kwargs = dict(attn_implementation="eager")
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, **kwargs)
    except TypeError:  # transformers before 4.56 names it torch_dtype
        model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32, **kwargs)
    return model.eval()


def rotary_embedding(model):
    return getattr(getattr(model, "model", None), "rotary_emb", None)


def run_case(model_dir, input_ids, position_ids):
    """Log-probs of each next token, on a freshly loaded model (see the module notes)."""
    model = load(model_dir)
    ids = torch.tensor(input_ids, dtype=torch.long)
    positions = torch.tensor(position_ids, dtype=torch.long)
    with torch.no_grad():
        logits = model(input_ids=ids, position_ids=positions, attention_mask=torch.ones_like(ids), use_cache=False).logits
    logprobs = torch.log_softmax(logits.double(), dim=-1)[:, :-1].gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    rotary = rotary_embedding(model)
    return {
        "position_ids": position_ids,
        "logprobs": logprobs.tolist(),
        "rope_inv_freq": rotary.inv_freq.double().tolist() if rotary is not None else None,
        "rope_attention_scaling": float(rotary.attention_scaling) if rotary is not None else None,
        "rope_sequence_length": int(positions.max()) + 1,
    }


def sparse_row(rng, limit, contiguous_head):
    """LENGTH increasing ids below limit: contiguous_head ids 0, 1, … then random ones with gaps."""
    head = list(range(contiguous_head))
    return head + sorted(rng.sample(range(contiguous_head, limit), LENGTH - contiguous_head))


def make_inputs(seed):
    rng = random.Random(seed)
    input_ids = [[rng.randrange(SIZES["vocab_size"]) for _ in range(LENGTH)] for _ in range(2)]
    cases = {
        "contiguous": [list(range(LENGTH)), list(range(LENGTH))],
        "sparse": [sparse_row(rng, EXTENDED - 40, 4), sparse_row(rng, EXTENDED, 0)],
        "sparse_window": [sparse_row(rng, ORIGINAL, 4), sparse_row(rng, ORIGINAL, 0)],
    }
    return input_ids, cases


def build(out_dir):
    torch.set_num_threads(1)
    os.makedirs(out_dir, exist_ok=True)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}")
    for family_index, family in enumerate(FAMILIES):
        for rope_index, rope_type in enumerate(ROPE_TYPES):
            seed = SEED + 100 * family_index + rope_index
            model_dir = os.path.join(out_dir, f"{family}-{rope_type}")
            config = make_config(family, rope_type)
            model = getattr(transformers, FAMILIES[family][1])(config).to(torch.float32)
            draw_weights(model, seed)
            model.save_pretrained(model_dir)
            check_saved_weights(model, model_dir)

            input_ids, positions = make_inputs(seed)
            cases = [dict(name=name, **run_case(model_dir, input_ids, ids)) for name, ids in positions.items()]
            with open(os.path.join(model_dir, "config.json")) as f:
                saved_config = json.load(f)
            reference = {
                "family": family,
                "rope_type": rope_type,
                "torch_version": torch.__version__,
                "transformers_version": transformers.__version__,
                "seed": seed,
                "config": saved_config,
                "input_ids": input_ids,
                "recipe": RECIPE,
                "cases": cases,
            }
            with open(os.path.join(model_dir, "reference.json"), "w") as f:
                json.dump(reference, f, indent=1)
            # The fixture must reproduce itself (fresh loads, one thread) before anyone compares against it.
            worst = compare(model_dir, reference, tolerance=1e-6, quiet=True)
            rope = {c["name"]: c["rope_sequence_length"] for c in cases}
            print(f"{family}-{rope_type}: {len(cases)} cases, max positions + 1 {rope}, self-check diff {worst:.1e}")
    total = sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(out_dir) for name in names)
    print(f"{out_dir}: {total / 1e6:.2f} MB")


def check_saved_weights(model, model_dir):
    reloaded = load(model_dir).state_dict()
    for name, tensor in model.state_dict().items():
        if name not in reloaded or not torch.equal(reloaded[name], tensor):
            raise SystemExit(f"{model_dir}: weight {name} did not survive save_pretrained / from_pretrained")


def compare(model_dir, reference, tolerance, quiet=False):
    """Runs every case of reference on model_dir; returns the largest |Δ log-prob|, exits on a mismatch."""
    worst = 0.0
    failed = False
    for case in reference["cases"]:
        result = run_case(model_dir, reference["input_ids"], case["position_ids"])
        diff = max(abs(a - b) for row_a, row_b in zip(result["logprobs"], case["logprobs"]) for a, b in zip(row_a, row_b))
        line = f"  {case['name']}: max |Δ log-prob| = {diff:.3e}"
        if case.get("rope_inv_freq") and result["rope_inv_freq"]:
            inv_diff = max(abs(a - b) / abs(b) for a, b in zip(result["rope_inv_freq"], case["rope_inv_freq"]))
            scaling_diff = abs(result["rope_attention_scaling"] - case["rope_attention_scaling"])
            line += f", inv_freq max relative Δ {inv_diff:.1e}, attention scaling Δ {scaling_diff:.1e}"
        if not diff <= tolerance:  # also catches NaN
            failed = True
            line += f"  > {tolerance:g}  MISMATCH"
        if not quiet:
            print(line)
        worst = max(worst, diff)
    if failed:
        raise SystemExit(f"{model_dir}: log-probs differ from the reference by more than {tolerance:g}")
    return worst


def verify(model_dir, reference_file, tolerance):
    torch.set_num_threads(1)
    with open(reference_file) as f:
        reference = json.load(f)
    config = transformers.AutoConfig.from_pretrained(model_dir)
    rope = effective_rope(config)
    print(f"{model_dir}: model_type {config.model_type}, rope {rope}")
    if config.model_type != reference["config"]["model_type"]:
        raise SystemExit(f"model_type {config.model_type} differs from the reference's {reference['config']['model_type']}")
    if rope.get("rope_type") != reference["rope_type"]:
        raise SystemExit(f"rope_type {rope.get('rope_type')} differs from the reference's {reference['rope_type']}")
    worst = compare(model_dir, reference, tolerance)
    print(f"OK: max |Δ log-prob| = {worst:.3e} <= {tolerance:g} over {len(reference['cases'])} cases")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="write the fixtures into OUT")
    build_parser.add_argument("out")
    verify_parser = commands.add_parser("verify", help="check a model directory against a reference.json")
    verify_parser.add_argument("model_dir")
    verify_parser.add_argument("reference")
    verify_parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    if args.command == "build":
        build(args.out)
    else:
        verify(args.model_dir, args.reference, args.tolerance)


if __name__ == "__main__":
    main()
