using System.Text.Json.Nodes;
using LongRecipe.Engine.Analysis;
using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Cli;

/// <summary>
/// analyze: impactful-token analysis over a token store. H and H′ are a base and an extended model
/// (--model, --extended) or one model with block-truncated versus full context (--model, --window).
/// Prints Δ(t) for the top tokens, the impactful set's size and its category breakdown; --out also
/// saves the full ranking as JSON for the Lab.
/// </summary>
public static class AnalyzeVerb
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var extendedDirectory = args.Optional("extended");
        var window = args.Whole("window", 0);
        if (args.Optional("window") is not null && window < 2) throw new ArgumentException($"--window must be at least 2 tokens, not {window}");
        // Asked before any document is scored; TokenImpact.Impactful would refuse it only after all of them were.
        var fraction = args.Number("top", 0.2);
        if (fraction is <= 0 or > 1) throw new ArgumentException($"--top must be in (0, 1] (the share of tokens called impactful), not {fraction}");
        if (extendedDirectory is null && window == 0) throw new ArgumentException("pass --extended <model dir>, or --window N for full versus truncated context");
        // H and H′ are two models over the whole document, or one model over a truncated and the full one: a window
        // belongs to the second, and truncating H in the first would compare two changes at once.
        if (extendedDirectory is not null && args.Optional("window") is not null)
            throw new ArgumentException("--window is not read with --extended, where the base and extended models each score the whole document; "
                + "--window N scores one model's truncated context against its full one: give --extended or --window, not both");
        var documents = args.Whole("documents", 16);
        if (documents < 1) throw new ArgumentException($"--documents must be at least 1, not {documents}");
        var tokenizerPath = args.Optional("tokenizer") ?? args.Required("model");
        var tokenizer = Tokenizer.Load(tokenizerPath);
        using var model = args.LoadModel(args.Required("model"), args.Device);
        using var extended = extendedDirectory is null ? null : args.LoadModel(extendedDirectory, args.Device);
        // Δ(t) compares the two models' scores of one token id: another vocabulary means other tokens (or ids past the embedding).
        if (extended is not null && extended.Config.VocabSize != model.Config.VocabSize)
            throw new ArgumentException($"--extended {extendedDirectory} has vocab_size {extended.Config.VocabSize}, --model {args.Required("model")} "
                + $"{model.Config.VocabSize}: a model pair must share its tokenizer");
        using var store = TokenStore.Open(args.Required("store"), tokenizerPath, model.Config.VocabSize);
        var limit = Math.Min(store.DocumentCount, documents);
        if (extended is null) CheckWindowTruncates(store, limit, window);
        using var cancel = new Interruption();

        var scored = new List<ScoredDocument>();
        using (var bar = new ProgressBar("scoring documents"))
        {
            for (var d = 0; d < limit; d++)
            {
                cancel.Token.ThrowIfCancellationRequested();
                var ids = store.Document(d).ToArray().Select(i => (long)i).ToArray();
                scored.Add(extended is not null ? ImpactScoring.ModelPair(model, extended, ids) : ImpactScoring.FullVersusTruncated(model, ids, window));
                bar.Report((d + 1.0) / limit);
            }
        }
        var ranked = TokenImpact.Rank(scored);
        var impactful = TokenImpact.Impactful(ranked, fraction);
        string Text(long id) => tokenizer.Decode([(int)id]);
        JsonObject Row(TokenDelta t) => new() { ["id"] = t.TokenId, ["text"] = Text(t.TokenId), ["delta"] = t.MeanDelta, ["count"] = t.Count };
        var result = new JsonObject
        {
            ["documents"] = limit,
            ["tokens_scored"] = ranked.Sum(t => t.Count),
            ["impactful_fraction"] = fraction,
            ["impactful_count"] = impactful.Count,
            ["categories"] = new JsonObject(TokenCategories.Breakdown(impactful, Text).Select(p => KeyValuePair.Create(p.Key.ToString(), (JsonNode?)p.Value))),
            ["top"] = new JsonArray(ranked.Take(20).Select(t => (JsonNode)Row(t)).ToArray()),
        };
        if (args.Optional("out") is { } output)
        {
            var saved = result.DeepClone().AsObject();
            saved["ranking"] = new JsonArray(ranked.Select(t => (JsonNode)Row(t)).ToArray());
            await File.WriteAllTextAsync(output, saved.ToJsonString());
        }
        Console.WriteLine(result.ToJsonString());
        return 0;
    }

    /// <summary>
    /// A document of at most <paramref name="window"/> tokens is one block: truncated and full context are the same
    /// there, and every δ of it is 0. Such documents among the first <paramref name="limit"/> are a warning (their
    /// zeros weigh in Δ as a longer document's first window does); when all of them are, every Δ would be 0, refused.
    /// </summary>
    private static void CheckWindowTruncates(TokenStore store, int limit, int window)
    {
        var lengths = Enumerable.Range(0, limit).Select(d => store.Document(d).Length).ToList();
        var whole = lengths.Count(length => length <= window);
        if (whole == 0) return;
        if (whole == lengths.Count)
            throw new ArgumentException($"--window {window} holds every document whole (the longest of the {lengths.Count} scored has {lengths.Max()} tokens), "
                + $"so truncated and full context are the same and every Δ would be 0; give a --window below {lengths.Max()}");
        Console.Error.WriteLine($"warning: {whole} of {lengths.Count} documents have at most --window {window} tokens; truncated and full context are the same there, so their tokens score Δ = 0");
    }
}
