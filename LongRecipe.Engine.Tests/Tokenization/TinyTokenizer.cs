using System.Text.Json;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>
/// Hand-made tokenizer.json documents: a BPE model whose ids are the vocabulary's order, plus whichever
/// components a test gives (as anonymous objects in HF's JSON shape).
/// </summary>
internal static class TinyTokenizer
{
    public static string Json(
        IReadOnlyList<string> vocab, object merges, object? normalizer = null, object? preTokenizer = null,
        object? postProcessor = null, object? decoder = null, object[]? addedTokens = null,
        bool byteFallback = false, bool fuseUnk = false, bool ignoreMerges = false, string? unkToken = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = addedTokens ?? [],
            ["normalizer"] = normalizer,
            ["pre_tokenizer"] = preTokenizer,
            ["post_processor"] = postProcessor,
            ["decoder"] = decoder,
            ["model"] = new Dictionary<string, object?>
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = unkToken,
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = fuseUnk,
                ["byte_fallback"] = byteFallback,
                ["ignore_merges"] = ignoreMerges,
                ["vocab"] = vocab.Select((token, id) => (token, id)).ToDictionary(p => p.token, p => p.id),
                ["merges"] = merges,
            },
        });

    public static Tokenizer Build(
        IReadOnlyList<string> vocab, object merges, object? normalizer = null, object? preTokenizer = null,
        object? postProcessor = null, object? decoder = null, object[]? addedTokens = null,
        bool byteFallback = false, bool fuseUnk = false, bool ignoreMerges = false, string? unkToken = null) =>
        Tokenizer.FromJson(Json(vocab, merges, normalizer, preTokenizer, postProcessor, decoder, addedTokens,
            byteFallback, fuseUnk, ignoreMerges, unkToken));

    /// <summary>An added_tokens entry.</summary>
    public static object Added(int id, string content, bool special = false, bool singleWord = false,
        bool lstrip = false, bool rstrip = false, bool? normalized = null) => new
    {
        id, content, single_word = singleWord, lstrip, rstrip, normalized = normalized ?? !special, special,
    };

    /// <summary>Llama-2's normalizer: prepend "▁", then every space becomes "▁".</summary>
    public static readonly object SentencePieceNormalizer = new
    {
        type = "Sequence",
        normalizers = new object[]
        {
            new { type = "Prepend", prepend = "▁" },
            new { type = "Replace", pattern = new { String = " " }, content = "▁" },
        },
    };

    /// <summary>Llama-2's decoder: "▁" → " ", byte tokens → text, join, drop one leading space.</summary>
    public static readonly object SentencePieceDecoder = new
    {
        type = "Sequence",
        decoders = new object[]
        {
            new { type = "Replace", pattern = new { String = "▁" }, content = " " },
            new { type = "ByteFallback" },
            new { type = "Fuse" },
            new { type = "Strip", content = " ", start = 1, stop = 0 },
        },
    };

    /// <summary>The 256 byte tokens "&lt;0x00&gt;" … "&lt;0xFF&gt;".</summary>
    public static IEnumerable<string> ByteTokens => Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>");
}
