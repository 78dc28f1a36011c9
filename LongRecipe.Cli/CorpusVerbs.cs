using System.Text.Json.Nodes;
using System.Text.Json;
using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.IO;
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

/// <summary>synthetic: write the built-in corpus as JSON Lines that `corpus` imports; Ctrl-C or SIGTERM stops it writing nothing.</summary>
public static class SyntheticVerb
{
    public static Task<int> RunAsync(Arguments args)
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
        using var cancel = new Interruption();
        using var bar = new ProgressBar($"{kind} documents");
        // Whole or not at all: a cancelled or failed write leaves no file cut short at --out.
        AtomicFile.Write(path, stream =>
        {
            using var output = new StreamWriter(stream, leaveOpen: true);
            var written = 0;
            foreach (var line in lines)
            {
                cancel.Token.ThrowIfCancellationRequested();
                output.WriteLine(line.ToJsonString());
                bar.Report(++written / (double)count);
            }
        });
        return Task.FromResult(0);
    }
}

/// <summary>
/// transform: preview position-index transforms. Request {"scheme": "flt|rpes|pose|longrecipe",
/// "target": T, "length": L | "input_ids": [...], "sentence_end_ids": [...], "seed", "samples",
/// "chunks", "rt1", "bins"} → {"position_ids": [[...]], "coverage": share, "distance_histogram",
/// "gap_histogram"}. A request's numbers are checked before any work, each error naming its field.
/// </summary>
public static class TransformVerb
{
    // A preview's bounds, above any real setting: LongRoPE's largest window is 2,097,152 tokens (2²¹) and the Lab
    // previews a handful of samples. The output grows with the positions written, samples × L; the coverage's work
    // with samples × L × T (its bitset is T/64 words, ORed once per position); the pair histogram's with
    // samples × L × bins; rpes and longrecipe draw each sample from all of [0, T), samples × T (2³⁰ draws: about 3 s).
    // The most work allowed takes about a minute (flt at 2²¹: 45 s and 16 MB; pose, 16 samples of 131,072 in 2²¹ with
    // 1024 bins: 64 s).
    private const int MaxTarget = 1 << 22;
    private const int MaxPositions = 1 << 21;
    private const long MaxWork = 1L << 42;
    private const long MaxDraws = 1L << 30;
    private const int MaxBins = 1024;

    public static async Task<int> RunAsync(Arguments args)
    {
        using var cancel = new Interruption();
        return await JsonLines.ServeAsync(Preview, cancel.Token);
    }

    private static JsonObject Preview(JsonField request)
    {
        request.OnlyFields("scheme", "target", "length", "input_ids", "sentence_end_ids", "seed", "samples", "chunks", "rt1", "bins");
        // T ≥ 2: a preview measures the distances 1 … T − 1.
        var targetField = request.Required("target");
        var requested = targetField.Long();
        if (requested is < 2 or > MaxTarget)
            throw targetField.Invalid($"must be an integer in [2, {MaxTarget}] (twice LongRoPE's largest window), got {requested}");
        var target = (int)requested;
        var ids = request.Optional("input_ids")?.Ints(min: 0);
        var length = request.Optional("length")?.Int(min: 1) ?? ids?.Length ?? throw new RequestException("length or input_ids is required");
        if (ids is not null && ids.Length != length) throw new RequestException($"length ({length}) disagrees with input_ids ({ids.Length} tokens)");
        if (length == 0) throw new RequestException("input_ids must hold at least one token");
        if (length > target) throw new RequestException($"length {length} exceeds target {target}: the positions are drawn from [0, target)");
        var samples = request.Optional("samples")?.Int(min: 1) ?? 1;
        if ((long)samples * length > MaxPositions)
            throw new RequestException($"samples × length = {samples} × {length} positions, more than the {MaxPositions} a preview writes");
        if ((long)samples * length * target > MaxWork)
            throw new RequestException($"samples × length × target = {samples} × {length} × {target}, more than the 2⁴² a preview works through (one full-length sample at 2,097,152)");
        var seed = request.Optional("seed")?.ULong() ?? 0;
        var scheme = request.Required("scheme");
        var spec = scheme.String() switch
        {
            "flt" => PositionTransformSpec.FullLength(target),
            "rpes" => PositionTransformSpec.RandomPositions(target, seed),
            "pose" => PositionTransformSpec.Pose(target, seed, Chunks(request, length)),
            "longrecipe" => PositionTransformSpec.LongRecipe(target, seed, request.Optional("rt1")?.Int()),
            var other => throw scheme.Invalid($"must be flt, rpes, pose or longrecipe, got '{other}'"),
        };
        if (spec.Scheme is PositionScheme.RandomPositions or PositionScheme.LongRecipe && (long)samples * target > MaxDraws)
            throw new RequestException($"samples × target = {samples} × {target}, more than the 2³⁰ values {scheme.String()} draws from in a preview");
        var binsField = request.Optional("bins");
        var bins = binsField?.Int(min: 1) ?? 32;
        if (bins > MaxBins) throw binsField!.Value.Invalid($"must be an integer in [1, {MaxBins}], got {bins}");
        var ends = request.Optional("sentence_end_ids")?.Ints(min: 0).ToHashSet();
        if (spec.Scheme == PositionScheme.LongRecipe && (ends is null || ids is null))
            throw new RequestException("scheme 'longrecipe' needs 'input_ids' and 'sentence_end_ids' (its segments are the sentences)");
        var tokens = ids ?? new int[length];
        var positions = Enumerable.Range(0, samples)
            .Select(k => PositionTransform.Apply(spec, tokens, k, ends is null ? null : ends.Contains)).ToList();
        var edges = Histogram.UniformEdges(1, target, Math.Min(bins, target - 1));
        var coverage = DistanceCoverage.Measure(positions, target, edges);
        return new JsonObject
        {
            ["position_ids"] = JsonSerializer.SerializeToNode(positions),
            ["coverage"] = coverage.Share,
            ["distance_histogram"] = JsonSerializer.SerializeToNode(new { edges, counts = coverage.Pairs.Counts }),
            ["gap_histogram"] = JsonSerializer.SerializeToNode(new { edges, counts = GapHistogram.Measure(positions, target, edges).Counts }),
        };
    }

    /// <summary>PoSE's chunks: as given, else 2, which a one-token sequence cannot hold (the spec would blame a chunks nobody wrote).</summary>
    private static int Chunks(JsonField request, int length) =>
        request.Optional("chunks")?.Int() ?? (length >= 2 ? 2 : throw new RequestException($"pose cuts the sequence into 2 chunks unless told otherwise, so length must be at least 2 (or give \"chunks\": 1), got {length}"));
}
