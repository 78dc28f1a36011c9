using System.Text.Json.Nodes;
using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Cli;

/// <summary>
/// eval: needle grid, passkey, perplexity by length and short-document perplexity for a model directory
/// (optionally under another rope_scaling), one JSON line per cell on stdout as it is measured: the eval event as
/// the run store, the Lab's hub and the exports write it. --corpus real (the data directory's fetched corpus) or a
/// corpus folder measures on its held-out --split (test, or validation).
/// </summary>
public static class EvalVerb
{
    public static Task<int> RunAsync(Arguments args)
    {
        var directory = args.Required("model");
        PretrainedModel.RequireDirectory(directory);
        var config = LlamaConfig.Load(Path.Combine(directory, PretrainedModel.ConfigFile));
        // Short documents are scored inside the model's own window (its original one when it is rescaled) unless told otherwise.
        var native = (int)(config.RopeScaling.OriginalMaxPositionEmbeddings ?? config.MaxPositionEmbeddings);
        var defaults = EvaluationSpec.Default;
        var spec = Arguments.NamingOptions(() => new EvaluationSpec(
            args.Optional("suite")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Suite).ToArray()
                ?? defaults.Suites,
            args.Wholes<int>("lengths") ?? defaults.ContextLengths,
            args.Numbers("depths") ?? defaults.DepthPercents,
            NeedlesPerCell: args.Whole("needles", defaults.NeedlesPerCell),
            PasskeySamples: args.Whole("passkeys", defaults.PasskeySamples),
            PerplexityDocuments: args.Whole("documents", defaults.PerplexityDocuments),
            ShortDocuments: args.Whole("short-documents", defaults.ShortDocuments),
            ShortContextLength: args.Whole("short-length", native),
            Seed: args.Whole("seed", defaults.Seed),
            BatchSize: args.Whole("batch-size", defaults.BatchSize),
            Corpus: args.Optional("corpus") is { } corpus ? RunSpec.CorpusPath(corpus, corpus == DataSpec.Real ? RealCorpusFolder(args) : null) : null,
            Split: Split(args.Optional("split"))).Validate(), Options);
        foreach (var length in spec.ContextLengths)
            if (MemoryBounds.ForwardProblem(config, spec.BatchSize, length, args.Device) is { } problem)
                throw new ArgumentException($"--lengths {length}: {problem}");
        var tokenizerPath = args.Optional("tokenizer") ?? directory;
        var tokenizer = Tokenizer.Load(tokenizerPath);
        // Checked before the weights load: an id past the embeddings would fail deep in the first forward.
        if (tokenizer.VocabSize > config.VocabSize)
            throw new ArgumentException($"the tokenizer of {tokenizerPath} has {tokenizer.VocabSize} ids, more than the vocab_size {config.VocabSize} "
                + $"of {directory}: give the model's own tokenizer");
        using var model = args.LoadModel(directory, args.Device, args.Optional("rope-scaling"));
        using var cancel = new Interruption();
        using var bar = new ProgressBar("cells");
        var done = 0;
        Evaluator.Evaluate(model, tokenizer, spec, cell =>
        {
            Console.WriteLine(EventJson.Serialize(cell));
            bar.Report(++done / (double)spec.EventCount);
        }, "eval", cancel.Token);
        return Task.FromResult(0);
    }

    /// <summary>A --suite name: a benchmark's, short_perplexity also as "short", the name the usage gives.</summary>
    private static string Suite(string name) =>
        (name == "short" ? Benchmarks.ShortPerplexity : name) is var suite && Benchmarks.All.Contains(suite) ? suite
            : throw new ArgumentException($"--suite: unknown suite '{name}' (expected {string.Join(", ", Benchmarks.All.Select(b => b == Benchmarks.ShortPerplexity ? "short" : b))})");

    /// <summary>The spec's fields by the options that set them (<see cref="Arguments.NamingOptions"/>).</summary>
    private static readonly Dictionary<string, string> Options = new()
    {
        [nameof(EvaluationSpec.Suites)] = "suite",
        [nameof(EvaluationSpec.ContextLengths)] = "lengths",
        [nameof(EvaluationSpec.DepthPercents)] = "depths",
        [nameof(EvaluationSpec.NeedlesPerCell)] = "needles",
        [nameof(EvaluationSpec.PasskeySamples)] = "passkeys",
        [nameof(EvaluationSpec.PerplexityDocuments)] = "documents",
        [nameof(EvaluationSpec.ShortDocuments)] = "short-documents",
        [nameof(EvaluationSpec.ShortContextLength)] = "short-length",
        [nameof(EvaluationSpec.BatchSize)] = "batch-size",
        [nameof(EvaluationSpec.Split)] = "split",
    };

    /// <summary>
    /// The folder --corpus real names: corpora/real in the data directory (--data, relative to the repository root);
    /// only this one needs the repository, a corpus folder given as such is used where it is.
    /// </summary>
    private static string RealCorpusFolder(Arguments args)
    {
        var data = args.Optional("data") ?? "data";
        try
        {
            return args.Workspace.RealCorpus;
        }
        catch (DirectoryNotFoundException e)
        {
            throw new ArgumentException(
                $"--corpus real is {Path.Combine(data, "corpora", "real")} under the repository root, which was not found: {e.Message} Or give the corpus folder itself.");
        }
    }

    private static CorpusSplit Split(string? text) => text switch
    {
        null or "test" => CorpusSplit.Test,
        "validation" => CorpusSplit.Validation,
        _ => throw new ArgumentException($"--split must be test or validation, not '{text}'"),
    };
}
