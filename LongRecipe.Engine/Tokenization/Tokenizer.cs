using System.Runtime.InteropServices;
using LongRecipe.Engine.IO;

namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// A Hugging Face tokenizer read from tokenizer.json, encoding and decoding as HF tokenizers does:
/// byte-level BPE with a regex pre-tokenizer (GPT-2, Llama-3, Qwen2 without its NFC step) and
/// SentencePiece-style BPE with byte fallback (Llama-2, Mistral). Thread-safe.
/// <para>
/// Encoding: split the input on added tokens (special ones included, wherever they appear in the text);
/// normalize and pre-tokenize the text between them; BPE each piece; then, with
/// <c>addSpecialTokens</c>, apply the post-processor template (Llama-2: "&lt;s&gt; $A").
/// </para>
/// <para>
/// tokenizer_config.json beside the file, when present, names the BOS and EOS tokens; when it sets
/// add_bos_token or add_eos_token, those decide (as in transformers' Llama tokenizers) whether
/// <c>addSpecialTokens</c> puts BOS before and EOS after the ids, in place of the template.
/// Without it, BOS and EOS are the special tokens the template puts before and after the text.
/// </para>
/// </summary>
public sealed class Tokenizer
{
    private readonly Bpe model;
    private readonly AddedVocabulary added;
    private readonly INormalizer? normalizer;
    private readonly IPreTokenizer? preTokenizer;
    private readonly IReadOnlyList<TemplatePiece> template;
    private readonly IDecoder? decoder;

    // Ids go to the writer of a long text in runs of about this many; each run reports progress.
    private const int RunLength = 8192;

    private Tokenizer(TokenizerParts parts, int? bosId, int? eosId, IPostProcessor? postProcessor)
    {
        (model, added, normalizer, preTokenizer, decoder) =
            (parts.Model, parts.Added, parts.Normalizer, parts.PreTokenizer, parts.Decoder);
        template = postProcessor?.Single ?? [new TemplatePiece.Sequence()];
        (BosId, EosId) = (bosId, eosId);
        VocabSize = Math.Max(model.IdCount, added.Tokens.Select(t => t.Id + 1).DefaultIfEmpty(0).Max());
    }

    /// <summary>
    /// Loads a tokenizer from a tokenizer.json file or from a model folder holding one (and, beside it,
    /// an optional tokenizer_config.json).
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no tokenizer.json there.</exception>
    /// <exception cref="JsonFieldException">A file is malformed or uses what is not supported.</exception>
    public static Tokenizer Load(string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, "tokenizer.json") : path;
        if (!File.Exists(file))
            throw new FileNotFoundException($"{file}: no such file (give a tokenizer.json or the folder that holds it)", file);
        var configFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "tokenizer_config.json");
        var config = File.Exists(configFile) ? TokenizerConfig.Parse(File.ReadAllText(configFile), configFile) : null;
        return Create(TokenizerJson.Parse(File.ReadAllText(file), file), config, configFile);
    }

    /// <summary>Builds a tokenizer from the text of a tokenizer.json (and of a tokenizer_config.json); the names label errors.</summary>
    internal static Tokenizer FromJson(string json, string file = "tokenizer.json",
        string? configJson = null, string configFile = "tokenizer_config.json") =>
        Create(TokenizerJson.Parse(json, file),
            configJson is null ? null : TokenizerConfig.Parse(configJson, configFile), configFile);

    private static Tokenizer Create(TokenizerParts parts, TokenizerConfig? config, string configFile)
    {
        var template = parts.PostProcessor as TemplateProcessor;
        int? Id(string? token, string field) => token is null
            ? null
            : parts.Added.TokenToId(token) ?? parts.Model.TokenToId(token)
              ?? throw new JsonFieldException($"{configFile}: {field} '{token}' is not a token of the tokenizer");
        var bosId = config?.BosToken is { } bos ? Id(bos, "bos_token") : TemplateSpecial(template, before: true);
        var eosId = config?.EosToken is { } eos ? Id(eos, "eos_token") : TemplateSpecial(template, before: false);

        var postProcessor = parts.PostProcessor;
        if (config is { AddBosToken: not null } or { AddEosToken: not null })
        {
            var addBos = config.AddBosToken ?? TemplateSpecial(template, before: true) is not null;
            var addEos = config.AddEosToken ?? TemplateSpecial(template, before: false) is not null;
            var pieces = new List<TemplatePiece>();
            if (addBos) pieces.Add(new TemplatePiece.Special("bos_token", [bosId ?? throw Missing("bos_token", "add_bos_token")]));
            pieces.Add(new TemplatePiece.Sequence());
            if (addEos) pieces.Add(new TemplatePiece.Special("eos_token", [eosId ?? throw Missing("eos_token", "add_eos_token")]));
            postProcessor = new TemplateProcessor(pieces);
        }
        return new Tokenizer(parts, bosId, eosId, postProcessor);

        JsonFieldException Missing(string token, string flag) =>
            new($"{configFile}: {flag} is true but {token} is not given");
    }

    // The id of the single special token the template puts before (or after) the text, if there is one.
    private static int? TemplateSpecial(TemplateProcessor? template, bool before)
    {
        if (template is null) return null;
        var sequence = template.Single.ToList().FindIndex(p => p is TemplatePiece.Sequence);
        var side = before ? template.Single.Take(sequence) : template.Single.Skip(sequence + 1);
        var ids = side.OfType<TemplatePiece.Special>().SelectMany(s => s.Ids).ToList();
        return ids.Count == 1 ? ids[0] : null;
    }

    /// <summary>One past the largest id, model vocabulary and added tokens together: the rows an embedding needs.</summary>
    public int VocabSize { get; }

    /// <summary>The beginning-of-text token (Llama-3: 128000 "&lt;|begin_of_text|&gt;"), if known.</summary>
    public int? BosId { get; }

    /// <summary>The end-of-text token (Llama-2: 2 "&lt;/s&gt;"), if known.</summary>
    public int? EosId { get; }

    /// <summary>The id of a token (added tokens first, then the model vocabulary), or null.</summary>
    public int? TokenToId(string token) => added.TokenToId(token) ?? model.TokenToId(token);

    /// <summary>The token string of an id (an added token's content, or the vocabulary entry), or null.</summary>
    public string? IdToToken(int id) => added.Content(id) ?? model.IdToToken(id);

    /// <summary>
    /// The ids of <paramref name="text"/>. Added tokens written in the text are recognized whether or not
    /// <paramref name="addSpecialTokens"/> is set; that flag only controls the post-processor's additions.
    /// </summary>
    public int[] Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        Encode(text, addSpecialTokens, ids, _ => { });
        return [.. ids];
    }

    /// <summary>
    /// The ids <see cref="Encode(string, bool)"/> gives, handed to <paramref name="write"/> in runs of a few thousand as they
    /// come: a long document (a book on one line, say) never has all its pieces or ids held at once. After each run
    /// <paramref name="progress"/> hears how many characters of <paramref name="text"/> are encoded, and
    /// <paramref name="cancel"/> is checked.
    /// </summary>
    public void Encode(string text, bool addSpecialTokens, Action<ReadOnlySpan<int>> write, IProgress<int>? progress = null,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var run = new List<int>(RunLength + 64);
        void Flush(int done)
        {
            write(CollectionsMarshal.AsSpan(run));
            run.Clear();
            progress?.Report(done);
            cancel.ThrowIfCancellationRequested();
        }
        Encode(text, addSpecialTokens, run, done =>
        {
            if (run.Count >= RunLength) Flush(done);
        });
        Flush(text.Length);
    }

    /// <summary>Appends the ids of <paramref name="text"/> with the post-processor's around them (see <see cref="EncodeText"/>).</summary>
    private void Encode(string text, bool addSpecialTokens, List<int> ids, Action<int> encoded)
    {
        foreach (var part in template)
        {
            if (part is TemplatePiece.Special special)
            {
                if (addSpecialTokens) ids.AddRange(special.Ids);
            }
            else
                EncodeText(text, ids, encoded);
        }
    }

    /// <summary>
    /// Appends the ids of <paramref name="text"/> without the post-processor's, telling <paramref name="encoded"/> after each
    /// piece (and each stretch of a long one) how many of its characters are encoded.
    /// </summary>
    private void EncodeText(string text, List<int> ids, Action<int> encoded)
    {
        List<Segment> rawSegments = [], segments = [];
        added.SplitRaw(text, rawSegments);
        foreach (var raw in rawSegments)
        {
            if (raw.IsToken)
            {
                ids.Add(raw.TokenId);
                continue;
            }
            var normalized = normalizer?.Normalize(raw.Text) ?? raw.Text;
            // Characters done in the normalized text count in proportion for the raw text it came from.
            int Done(long normalizedDone) => raw.Start + (int)(raw.Text.Length * normalizedDone / Math.Max(1, normalized.Length));
            segments.Clear();
            added.SplitNormalized(normalized, segments);
            foreach (var segment in segments)
            {
                if (segment.IsToken)
                {
                    ids.Add(segment.TokenId);
                    continue;
                }
                // A piece reaching from `from` to `to` in the segment, its stretches counted in proportion.
                void Piece(PreToken piece, int from, int to)
                {
                    model.Encode(piece.Text, ids, merged => encoded(Done(segment.Start + from + (long)(to - from) * merged / piece.Text.Length)));
                    encoded(Done(segment.Start + to));
                }
                var whole = new PreToken(segment.Text, AtInputStart: raw.Start == 0 && segment.Start == 0);
                if (preTokenizer is null) Piece(whole, 0, segment.Text.Length);
                else
                {
                    var reached = 0;
                    preTokenizer.PreTokenize(whole, (piece, reach) =>
                    {
                        Piece(piece, reached, reach);
                        reached = reach;
                    });
                }
            }
        }
    }

    /// <summary>
    /// The text of <paramref name="ids"/>, through the tokenizer's decoder (without one, the tokens joined
    /// by spaces). Ids that are no token are skipped, as HF does; with <paramref name="skipSpecialTokens"/>
    /// so are special tokens.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = new List<string>(ids.Length);
        foreach (var id in ids)
        {
            var token = added.DecodeForm(id) ?? model.IdToToken(id);
            if (token is null || (skipSpecialTokens && added.IsSpecial(token))) continue;
            tokens.Add(token);
        }
        return decoder is null ? string.Join(' ', tokens) : string.Concat(decoder.DecodeChain(tokens));
    }
}
