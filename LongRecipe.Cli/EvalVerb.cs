using System.Globalization;
using System.Text.Json.Nodes;
using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
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
        var defaults = EvaluationSpec.Default;
        var spec = new EvaluationSpec(
            List(args.Optional("suite"), s => s == "short" ? Benchmarks.ShortPerplexity : s) ?? defaults.Suites,
            List(args.Optional("lengths"), s => Parse<int>(s, "lengths")) ?? defaults.ContextLengths,
            List(args.Optional("depths"), s => Parse<double>(s, "depths")) ?? defaults.DepthPercents,
            NeedlesPerCell: Parse(args.Optional("needles"), "needles", defaults.NeedlesPerCell),
            PasskeySamples: Parse(args.Optional("passkeys"), "passkeys", defaults.PasskeySamples),
            PerplexityDocuments: Parse(args.Optional("documents"), "documents", defaults.PerplexityDocuments),
            ShortDocuments: Parse(args.Optional("short-documents"), "short-documents", defaults.ShortDocuments),
            ShortContextLength: Parse(args.Optional("short-length"), "short-length", defaults.ShortContextLength),
            Seed: Parse(args.Optional("seed"), "seed", defaults.Seed),
            BatchSize: Parse(args.Optional("batch-size"), "batch-size", defaults.BatchSize),
            Corpus: args.Optional("corpus") is { } corpus ? RunSpec.CorpusPath(corpus, Workspace.At(args.Optional("data") ?? "data").RealCorpus) : null,
            Split: Split(args.Optional("split"))).Validate();
        var tokenizer = Tokenizer.Load(args.Optional("tokenizer") ?? directory);
        using var model = PretrainedModel.Load(directory, args.Device, args.DType, args.Optional("rope-scaling"));
        using var cancel = CorpusVerb.CancelOnCtrlC();
        using var bar = new ProgressBar("cells");
        var done = 0;
        Evaluator.Evaluate(model, tokenizer, spec, cell =>
        {
            Console.WriteLine(EventJson.Serialize(cell));
            bar.Report(++done / (double)spec.EventCount);
        }, "eval", cancel.Token);
        return Task.FromResult(0);
    }

    private static CorpusSplit Split(string? text) => text switch
    {
        null or "test" => CorpusSplit.Test,
        "validation" => CorpusSplit.Validation,
        _ => throw new ArgumentException($"--split must be test or validation, not '{text}'"),
    };

    private static T[]? List<T>(string? text, Func<string, T> parse) =>
        text?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(parse).ToArray();

    private static T Parse<T>(string text, string option) where T : IParsable<T> =>
        T.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value : throw new ArgumentException($"--{option}: cannot read '{text}'");

    private static T Parse<T>(string? text, string option, T fallback) where T : IParsable<T> =>
        text is null ? fallback : Parse<T>(text, option);
}
