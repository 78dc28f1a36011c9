#!/usr/bin/env python3
"""Checks the built-in model directory in Hugging Face's libraries (on the GPU machine, see run.sh).

    builtin_check.py request <model dir> > request.jsonl     HF tokenizers encodes a passkey text
    longrecipe score --model <model dir> < request.jsonl > ours.jsonl
    builtin_check.py compare <model dir> request.jsonl ours.jsonl

`compare` loads the directory with transformers (AutoModelForCausalLM, float32, CPU), scores the same
ids and prints the largest log-prob difference from the engine's, and transformers' greedy passkey answer.
"""
import json
import sys

TEXT = ("The grass is green. The sky is blue. The pass key is 48213. Remember it. 48213 is the pass key. "
        "The sun is yellow. Here we go. What is the pass key? The pass key is 48213.")


def request(model_dir):
    from tokenizers import Tokenizer
    ids = Tokenizer.from_file(f"{model_dir}/tokenizer.json").encode(TEXT).ids
    print(json.dumps({"input_ids": ids}))


def compare(model_dir, request_path, ours_path):
    import torch
    from transformers import AutoModelForCausalLM
    ids = json.loads(open(request_path).readline())["input_ids"]
    ours = json.loads(open(ours_path).readline())["logprobs"]
    model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0, :-1]
        theirs = torch.log_softmax(logits, -1).gather(1, torch.tensor(ids[1:])[:, None])[:, 0]
        delta = (theirs - torch.tensor(ours)).abs().max().item()
        prompt = ids[: len(ids) - 3]
        answer = model.generate(torch.tensor([prompt]), max_new_tokens=3, do_sample=False)[0, len(prompt):].tolist()
    print(f"{model.num_parameters()} parameters, {len(ids)} tokens, max |Δ log-prob| engine vs transformers = {delta:.2e}, "
          f"greedy answer ids {answer} vs {ids[len(prompt):]}")


if __name__ == "__main__":
    {"request": request, "compare": compare}[sys.argv[1]](*sys.argv[2:])
