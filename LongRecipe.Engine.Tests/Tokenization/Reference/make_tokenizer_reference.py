#!/usr/bin/env python3
"""Writes the reference ids that LongRecipe's tokenizer tests compare against, from HF tokenizers.

Usage (on a machine with `pip install tokenizers`):
    python3 make_tokenizer_reference.py <name>=<tokenizer.json> [<name>=<tokenizer.json> ...] <out.json>

e.g. llama3=.cache/tokenizers/llama3/tokenizer.json: the files scripts/ensure-deps.sh --test puts in
.cache/tokenizers/<name>/ (it says where each comes from). Write the output as
tokenizer_reference.json next to this script; ReferenceFixtureTests reads it from there.
For every text and tokenizer it records the ids with and without special tokens and the decoding of
the ids with special tokens, keeping and skipping them.
"""
import json
import sys

import tokenizers
from tokenizers import Tokenizer

TEXTS = [
    # plain English
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "It was the best of times, it was the worst of times; it was the age of wisdom.",
    # nothing, and whitespace of every kind
    "",
    " ",
    "  leading spaces",
    "trailing spaces   ",
    "multiple    inner     spaces",
    "tabs\tand\t\ttabs",
    "line one\nline two\n\n\nline five",
    "windows\r\nline\r\n\r\nends\r\n",
    "\n\n  \n\t \n",
    "    indented code\n\tand tab-indented",
    "non-breaking\u00a0space, ideographic\u3000space, em\u2003space",
    # U+0085 is whitespace to Oniguruma (and .NET), U+FEFF is not: engines disagree on these
    "next\u0085line 'll and \ufeffbom 's and line\u2028separator\u0085",
    # accents, combining marks, other scripts
    "Café naïve résumé façade coöperate",
    "e\u0301 (e + combining acute), and lone marks: \u0301\u0308 at the start",
    "\u0301starts with a combining mark",
    "Ünïcödé ÀÉÎÕÜ ß ﬁ ligature Ⅻ",
    "中文分词测试：你好，世界！",
    "日本語のテキストとカタカナ",
    "한국어 문장입니다",
    "مرحبا بالعالم",
    "Привет, мир!",
    "Mixed: 東京 Tokyo 2020 🏅 résumé",
    "Mathematical 𝐀𝐁𝐂 and 𝟏𝟐𝟑𝟒 and rare 𠀀𠀁 ideographs",
    # emoji, ZWJ sequences, skin tones, flags
    "emoji 😀 and 👍🏽 and family 👨\u200d👩\u200d👧\u200d👦 and flag 🇫🇷",
    "zero\u200bwidth\u200cjoiners\u200d",
    # digits, dates, numbers
    "1234567 and 3.14159 and 1,000,000 and 0.5%",
    "On 2024-09-03 at 14:05:59Z, version 2.0.1-rc3 shipped.",
    # code and data
    "def add(a, b):\n    return a + b\n\nprint(add(1, 2))",
    "public static int Main(string[] args) { Console.WriteLine(\"hi\"); return 0; }",
    '{"name": "LongRecipe", "values": [1, 2.5, null, true], "nested": {"k": "v"}}',
    "x=1;y=2\nif(x<y){return x>>1;}",
    "https://huggingface.co/meta-llama/Meta-Llama-3-8B?foo=bar&x=1#frag",
    # contractions and quotes
    "I'm sure they'RE here, we'll see, you'd know, it's Bob's and I've 'quoted' text",
    "\u2018curly quotes\u2019 and \u201cdouble\u201d \u2014 em dash \u2013 en dash\u2026",
    "!!!???... --- ***",
    # special tokens written in the text
    "<|begin_of_text|>hello<|eot_id|>",
    "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>",
    "<|eot_id|>",
    "<s>[INST] hi [/INST]",
    "text </s> more <unk> end",
    # control characters and SentencePiece's own meta space
    "\u0000 null and \u0007 bell and \u007f del",
    "\u2581 literal meta space \u2581\u2581",
    # long runs (past the 256-byte cache limit)
    "a" * 300,
    "word " * 50,
]


def reference(path):
    tokenizer = Tokenizer.from_file(path)
    results = []
    for text in TEXTS:
        ids = tokenizer.encode(text, add_special_tokens=True).ids
        results.append({
            "ids": ids,
            "ids_without_special": tokenizer.encode(text, add_special_tokens=False).ids,
            "decoded": tokenizer.decode(ids, skip_special_tokens=False),
            "decoded_skipping_special": tokenizer.decode(ids, skip_special_tokens=True),
        })
    return results


def main():
    if len(sys.argv) < 3 or not all("=" in arg for arg in sys.argv[1:-1]):
        sys.exit(__doc__)
    files = dict(arg.split("=", 1) for arg in sys.argv[1:-1])
    out = sys.argv[-1]
    fixture = {
        "tokenizers_version": tokenizers.__version__,
        "texts": TEXTS,
        "results": {name: reference(path) for name, path in files.items()},
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=True, indent=1)
        f.write("\n")
    print(f"wrote {out}: {len(TEXTS)} texts, tokenizers {tokenizers.__version__}")


if __name__ == "__main__":
    main()
