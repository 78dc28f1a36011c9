using System.Text.Json.Nodes;
using System.Text.Json;
using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Cli;

/// <summary>corpus: tokenize sources once into a token store (reused while sources and tokenizer are unchanged).</summary>
public static class CorpusVerb
{
    public static Task<int> RunAsync(Arguments args)
    {
        var sources = args.Required("sources").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var output = Arguments.OutputFolder(args.Required("out"));
        // Build refuses it too; asked here first so that the message names the flag.
        if (TokenStore.ReplaceProblem(output) is { } problem) throw new ArgumentException($"--out {problem}");
        using var cancel = new Interruption();
        TokenStore store;
        using (var bar = new ProgressBar("tokenizing"))
            store = TokenStore.Build(sources, args.Required("tokenizer"), output, new SynchronousProgress<TokenStoreProgress>(p => bar.Report(p.Fraction)),
                cancel.Token, Warn);
        using var opened = store;
        Console.WriteLine(new JsonObject { ["store"] = store.Folder, ["documents"] = store.DocumentCount, ["tokens"] = store.TokenCount }.ToJsonString());
        return Task.FromResult(0);
    }

    /// <summary>A corpus source's warning (bytes replaced, an empty document skipped) on stderr, on a line of its own.</summary>
    internal static void Warn(CorpusWarning warning) => Console.Error.WriteLine($"\nwarning: {warning}");
}

/// <summary>synthetic: write the built-in corpus as JSON Lines that `corpus` imports.</summary>
public static class SyntheticVerb
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var kind = args.Required("kind");
        var count = args.Whole("count", 16);
        var seed = args.Whole("seed", 0UL);
        var words = args.Whole("words", 8192);
        var spec = new SyntheticCorpusSpec(LongDocumentSpec.Default with { Length = words, FactCount = Math.Max(1, words / 512),
                Distances = FactDistances.Between(Math.Min(256, words / 8), words / 2, perFact: 2) },
            kind == "long" ? count : 0, new ShortDocumentSpec(), kind == "short" ? count : 0, new InstructionPairSpec(), kind == "pairs" ? count : 0, seed).Validate();
        IEnumerable<JsonObject> lines = kind switch
        {
            "long" => SyntheticCorpus.LongDocuments(spec).Select(d => new JsonObject { ["text"] = d.Text }),
            "short" => SyntheticCorpus.ShortDocuments(spec).Select(d => new JsonObject { ["text"] = d.Text }),
            "pairs" => SyntheticCorpus.InstructionPairs(spec).Select(p => new JsonObject { ["prompt"] = p.Prompt, ["response"] = p.Response }),
            _ => throw new ArgumentException($"--kind must be long, short or pairs, not '{kind}'"),
        };
        var path = args.Required("out");
        if (Directory.Exists(path)) throw new ArgumentException($"--out {path} is a folder; give the .jsonl file to write");
        await using var output = new StreamWriter(path);
        using var bar = new ProgressBar($"{kind} documents");
        var written = 0;
        foreach (var line in lines)
        {
            await output.WriteLineAsync(line.ToJsonString());
            bar.Report(++written / (double)count);
        }
        return 0;
    }
}

/// <summary>
/// transform: preview position-index transforms. Request {"scheme": "flt|rpes|pose|longrecipe",
/// "target": T, "length": L | "input_ids": [...], "sentence_end_ids": [...], "seed", "samples",
/// "chunks", "rt1", "bins"} → {"position_ids": [[...]], "coverage": share, "distance_histogram",
/// "gap_histogram"}.
/// </summary>
public static class TransformVerb
{
    public static Task<int> RunAsync(Arguments args) => JsonLines.ServeAsync(request =>
    {
        request.OnlyFields("scheme", "target", "length", "input_ids", "sentence_end_ids", "seed", "samples", "chunks", "rt1", "bins");
        var target = request.Required("target").Int();
        var ids = request.Optional("input_ids")?.Longs().Select(i => (int)i).ToArray();
        var length = request.Optional("length")?.Int() ?? ids?.Length ?? throw new RequestException("length or input_ids is required");
        if (ids is not null && ids.Length != length) throw new RequestException($"length ({length}) disagrees with input_ids ({ids.Length} tokens)");
        var seed = (ulong)(request.Optional("seed")?.Long() ?? 0);
        var scheme = request.Required("scheme");
        var spec = scheme.String() switch
        {
            "flt" => PositionTransformSpec.FullLength(target),
            "rpes" => PositionTransformSpec.RandomPositions(target, seed),
            "pose" => PositionTransformSpec.Pose(target, seed, request.Optional("chunks")?.Int() ?? 2),
            "longrecipe" => PositionTransformSpec.LongRecipe(target, seed, request.Optional("rt1")?.Int()),
            var other => throw scheme.Invalid($"must be flt, rpes, pose or longrecipe, got '{other}'"),
        };
        var ends = request.Optional("sentence_end_ids")?.Longs().Select(i => (int)i).ToHashSet();
        if (spec.Scheme == PositionScheme.LongRecipe && (ends is null || ids is null))
            throw new RequestException("scheme 'longrecipe' needs 'input_ids' and 'sentence_end_ids' (its segments are the sentences)");
        var tokens = ids ?? new int[length];
        var samples = Enumerable.Range(0, request.Optional("samples")?.Int(min: 1) ?? 1)
            .Select(k => PositionTransform.Apply(spec, tokens, k, ends is null ? null : ends.Contains)).ToList();
        var edges = Histogram.UniformEdges(1, target, Math.Min(request.Optional("bins")?.Int(min: 1) ?? 32, target - 1));
        var coverage = DistanceCoverage.Measure(samples, target, edges);
        return new JsonObject
        {
            ["position_ids"] = JsonSerializer.SerializeToNode(samples),
            ["coverage"] = coverage.Share,
            ["distance_histogram"] = JsonSerializer.SerializeToNode(new { edges, counts = coverage.Pairs.Counts }),
            ["gap_histogram"] = JsonSerializer.SerializeToNode(new { edges, counts = GapHistogram.Measure(samples, target, edges).Counts }),
        };
    });
}
