// Encodes texts with @lenml/tokenizers (transformers.js's tokenizers: a reading of tokenizer.json written apart from
// ours), for TransformersJsTests to compare with: a JSON array of strings on stdin, a JSON array of id arrays (special
// tokens added as the file's post-processor says) on stdout.
//
//   node tokenizers_js.mjs <.cache/tokenizers/js/tokenizers.mjs> <folder with tokenizer.json and tokenizer_config.json> < texts.json
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [library, folder] = process.argv.slice(2);
const { TokenizerLoader } = await import(pathToFileURL(library).href);
const read = (name) => JSON.parse(readFileSync(join(folder, name), "utf8"));
const tokenizer = TokenizerLoader.fromPreTrained({ tokenizerJSON: read("tokenizer.json"), tokenizerConfig: read("tokenizer_config.json") });
const texts = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(texts.map((text) => tokenizer.encode(text))));
