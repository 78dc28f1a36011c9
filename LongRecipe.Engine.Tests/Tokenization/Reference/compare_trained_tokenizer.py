#!/usr/bin/env python3
"""Checks a tokenizer.json that `longrecipe tokenizer-train` wrote against HF tokenizers.

Usage (on a machine with `pip install tokenizers`, from the repository root):
    python3 compare_trained_tokenizer.py requests > requests.jsonl
    ./longrecipe tokenize --tokenizer <trained dir> < requests.jsonl > ours.jsonl
    python3 compare_trained_tokenizer.py compare <trained dir> requests.jsonl ours.jsonl

The requests are make_tokenizer_reference.py's texts (every kind of whitespace, script, emoji, digits)
and a few from the built-in corpus's style, each asked with and without special tokens. `compare`
loads the trained tokenizer.json with HF tokenizers, encodes the same requests, prints every text whose
ids differ from ours (with the first differing position) and checks that HF decodes HF's ids back to
the text. It exits 1 on any mismatch.
"""
import json
import os
import sys

from make_tokenizer_reference import TEXTS

EXTRA = [
    "The special magic number for Lisbon is 7319.",
    "What is the pass key? The pass key is 48213. Remember it. 48213 is the pass key.",
    "<|begin_of_text|>already has a BOS<|end_of_text|><|pad|><|pad|>",
]


def requests():
    for text in TEXTS + EXTRA:
        for special in (True, False):
            print(json.dumps({"text": text, "add_special_tokens": special}))


def compare(folder, requests_path, ours_path):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    with open(requests_path, encoding="utf-8") as f:
        asked = [json.loads(line) for line in f if line.strip()]
    with open(ours_path, encoding="utf-8") as f:
        ours = [json.loads(line) for line in f if line.strip()]
    if len(asked) != len(ours):
        sys.exit(f"{ours_path}: {len(ours)} lines for {len(asked)} requests")
    mismatches = 0
    for number, (request, answer) in enumerate(zip(asked, ours), start=1):
        text, special = request["text"], request["add_special_tokens"]
        theirs = tokenizer.encode(text, add_special_tokens=special).ids
        if theirs != answer.get("ids"):
            mismatches += 1
            mine = answer.get("ids") or []
            at = next((i for i, (a, b) in enumerate(zip(theirs, mine)) if a != b), min(len(theirs), len(mine)))
            print(f"line {number} {text!r} special={special}: first difference at {at}\n  HF:   {theirs}\n  ours: {mine}")
        if not special and tokenizer.decode(theirs, skip_special_tokens=False) != text:
            mismatches += 1
            print(f"line {number} {text!r}: HF decodes its ids to {tokenizer.decode(theirs)!r}")
    print(f"{len(asked)} requests, {mismatches} mismatches")
    sys.exit(1 if mismatches else 0)


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "requests":
        requests()
    elif len(sys.argv) == 5 and sys.argv[1] == "compare":
        compare(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
