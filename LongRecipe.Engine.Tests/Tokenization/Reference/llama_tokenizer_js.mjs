// Encodes texts with llama-tokenizer-js, an encoder of Llama 2's tokenizer written apart from ours and from HF
// tokenizers, for Llama2Tests to compare with: a JSON array of strings on stdin, a JSON array of id arrays on stdout.
//
//   node llama_tokenizer_js.mjs <.cache/tokenizers/llama2/llama-tokenizer.js> < texts.json
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const { default: tokenizer } = await import(pathToFileURL(process.argv[2]).href);
const texts = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(texts.map((text) => tokenizer.encode(text))));
