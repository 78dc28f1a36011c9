using System.Text.Json;
using LongRecipe.Engine.IO;

namespace LongRecipe.Engine.Tokenization;

/// <summary>The components a tokenizer.json describes, ready to run.</summary>
internal sealed record TokenizerParts(
    Bpe Model, AddedVocabulary Added, INormalizer? Normalizer, IPreTokenizer? PreTokenizer,
    IPostProcessor? PostProcessor, IDecoder? Decoder);

/// <summary>
/// Reads HF's tokenizer.json (format version 1.0) into <see cref="TokenizerParts"/>. Supports the BPE
/// model and the components byte-level (GPT-2, Llama-3) and SentencePiece-style (Llama-2, Mistral)
/// tokenizers use; anything else is refused with a <see cref="JsonFieldException"/> naming the
/// field, rather than encoded differently from HF.
/// </summary>
internal static class TokenizerJson
{
    public static TokenizerParts Parse(string json, string file)
    {
        using var document = JsonField.Parse(json, file);
        var root = JsonField.Root(document, file);
        if (root.Optional("version") is { } version && version.String() != "1.0")
            throw version.Error($"version '{version.String()}' is not supported (1.0 only)");
        foreach (var name in (string[])["truncation", "padding"])
            if (root.Optional(name) is { } setting)
                throw setting.Error($"{name} is set, which is not supported (Encode returns every id, unpadded)");

        var addedTokens = root.Optional("added_tokens");
        var model = ReadModel(root.Required("model"), addedTokens?.As(JsonValueKind.Array).GetArrayLength() ?? 0, out var idSpace);
        var normalizer = root.Optional("normalizer") is { } n ? ReadNormalizer(n) : null;
        return new TokenizerParts(
            model,
            ReadAddedTokens(addedTokens, model, normalizer, idSpace),
            normalizer,
            root.Optional("pre_tokenizer") is { } p ? ReadPreTokenizer(p) : null,
            root.Optional("post_processor") is { } pp ? ReadPostProcessor(pp) : null,
            root.Optional("decoder") is { } d ? ReadDecoder(d) : null);
    }

    // ---- model ---------------------------------------------------------------------------------

    private static Bpe ReadModel(JsonField model, int addedCount, out IdSpace idSpace)
    {
        if (model.Type() != "BPE") throw model.Unsupported("BPE only");

        // The vocabulary and merges hold hundreds of thousands of entries: they are read from the raw
        // elements, and a field (with its path) is made only to report an error.
        var vocabField = model.Required("vocab");
        idSpace = new IdSpace(vocabField.As(JsonValueKind.Object).GetPropertyCount() + addedCount);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        // Decode reads one token per id: an id given to two tokens is refused rather than decoded as either.
        var tokenOf = new Dictionary<int, string>();
        foreach (var entry in vocabField.As(JsonValueKind.Object).EnumerateObject())
        {
            var id = entry.Value.ValueKind == JsonValueKind.Number && entry.Value.TryGetInt32(out var n) && n >= 0
                ? n
                : new JsonField(entry.Value, model.Source, $"model.vocab[\"{entry.Name}\"]").Int(min: 0);
            idSpace.Check(id, entry.Name, vocabField);
            if (!tokenOf.TryAdd(id, entry.Name) && tokenOf[id] != entry.Name)
                throw vocabField.Invalid($"gives id {id} to both '{tokenOf[id]}' and '{entry.Name}'");
            vocab[entry.Name] = id;
        }

        var mergeList = model.Required("merges").As(JsonValueKind.Array);
        var merges = new List<BpeMerge>(mergeList.GetArrayLength());
        var index = 0;
        foreach (var element in mergeList.EnumerateArray())
        {
            var item = new JsonField(element, model.Source, $"model.merges[{index++}]");
            var (left, right) = ReadMergePair(item, out var skip);
            if (skip) continue;
            int Id(string token) => vocab.TryGetValue(token, out var id)
                ? id
                : throw item.Error($"{item.Path}: '{token}' is not in model.vocab");
            merges.Add(new BpeMerge(Id(left), Id(right), Id(left + right)));
        }

        int? unkId = null;
        if (model.Optional("unk_token") is { } unk)
            unkId = vocab.TryGetValue(unk.String(), out var id) ? id : throw unk.Error($"{unk.Path} '{unk.String()}' is not in model.vocab");
        if (model.Optional("dropout") is { } dropout && dropout.Double() > 0)
            throw dropout.Error($"{dropout.Path} {dropout.Double()} is not supported (it makes encoding random)");
        foreach (var name in (string[])["continuing_subword_prefix", "end_of_word_suffix"])
            if (model.Optional(name) is { } affix && affix.String().Length > 0)
                throw affix.Error($"{affix.Path} '{affix.String()}' is not supported");

        return new Bpe(vocab, merges, new BpeOptions(
            unkId, model.Bool("fuse_unk", false), model.Bool("byte_fallback", false), model.Bool("ignore_merges", false)));
    }

    // A merge is "left right" (split at the one space; "#version" lines are skipped) or ["left", "right"].
    private static (string Left, string Right) ReadMergePair(JsonField item, out bool skip)
    {
        skip = false;
        if (item.Value.ValueKind == JsonValueKind.String)
        {
            var line = item.String();
            if (line.StartsWith("#version", StringComparison.Ordinal))
            {
                skip = true;
                return ("", "");
            }
            var parts = line.Split(' ');
            return parts.Length == 2
                ? (parts[0], parts[1])
                : throw item.Error($"{item.Path} '{line}' should be two tokens separated by one space");
        }
        var pair = item.Items().ToList();
        return pair.Count == 2
            ? (pair[0].String(), pair[1].String())
            : throw item.Error($"{item.Path} should be a pair of tokens");
    }

    // ---- added tokens ----------------------------------------------------------------------------

    private static AddedVocabulary ReadAddedTokens(JsonField? list, Bpe model, INormalizer? normalizer, IdSpace idSpace)
    {
        var tokens = new List<AddedToken>();
        // Decode reads one token per id: an entry whose id the vocabulary or an earlier entry gives to another
        // token is refused rather than decoded as either. Llama-2 lists <unk>, <s> and </s> in both with one id.
        var listedAt = new Dictionary<int, (string Content, string Path)>();
        foreach (var item in list?.Items() ?? [])
        {
            var content = item.Required("content").String();
            var special = item.Bool("special", false);
            var stated = item.Optional("id")?.Int(min: 0);
            if (stated is { } given) idSpace.Check(given, content, item);
            if (stated is { } own && model.IdToToken(own) is { } token && token != content)
                throw item.Invalid($"gives id {own} to '{content}', which model.vocab gives to '{token}'");
            // HF gives a token that the model's vocabulary already has the model's id.
            var id = model.TokenToId(content) ?? stated ?? item.Required("id").Int(min: 0);
            if (!listedAt.TryAdd(id, (content, item.Path)) && listedAt[id].Content != content)
                throw item.Invalid($"gives id {id} to '{content}', which {listedAt[id].Path} gives to '{listedAt[id].Content}'");
            tokens.Add(new AddedToken(id, content, special,
                SingleWord: item.Bool("single_word", false),
                LStrip: item.Bool("lstrip", false),
                RStrip: item.Bool("rstrip", false),
                Normalized: item.Bool("normalized", !special)));
        }
        return new AddedVocabulary(tokens, normalizer);
    }

    /// <summary>
    /// How far ids may reach in a file listing <paramref name="Tokens"/> tokens (model.vocab's and added_tokens' entries).
    /// The tokenizer, and whoever sizes a table by its VocabSize, hold an entry for every id up to the largest, so one
    /// token at id 2147483000 would take gigabytes for nothing. Ids may leave gaps as long as these do not outnumber the
    /// tokens (real files leave none: Llama-3's added tokens follow its 128,000-token vocabulary at 128000…128255), and
    /// anywhere below 65,536, whose tables stay under a megabyte, so that small hand-made files place tokens freely.
    /// </summary>
    private readonly record struct IdSpace(int Tokens)
    {
        private const int Free = 65_536;

        private long Limit => Math.Max(Free, 2L * Tokens);

        public void Check(int id, string token, JsonField where)
        {
            if (id >= Limit)
                throw where.Invalid($"gives id {id} to '{token}', though the file lists {Tokens} {(Tokens == 1 ? "token" : "tokens")}: "
                    + $"ids must stay below {Limit} (twice the tokens listed, or {Free} when that is more), as tables hold an entry for every id up to the largest");
        }
    }

    // ---- normalizer ------------------------------------------------------------------------------

    private static INormalizer ReadNormalizer(JsonField field) => field.Type() switch
    {
        "Sequence" => new SequenceNormalizer(field.Required("normalizers").Items().Select(ReadNormalizer).ToList()),
        "Prepend" => new PrependNormalizer(field.Required("prepend").String()),
        "Replace" => new ReplaceNormalizer(ReadPattern(field.Required("pattern")), field.Required("content").String()),
        "NFC" or "NFD" or "NFKC" or "NFKD" when !UnicodeNormalizer.IsAvailable =>
            throw field.Unsupported("Unicode normalization needs ICU: install libicu, and run without invariant globalization"),
        "NFC" => new UnicodeNormalizer(System.Text.NormalizationForm.FormC),
        "NFD" => new UnicodeNormalizer(System.Text.NormalizationForm.FormD),
        "NFKC" => new UnicodeNormalizer(System.Text.NormalizationForm.FormKC),
        "NFKD" => new UnicodeNormalizer(System.Text.NormalizationForm.FormKD),
        _ => throw field.Unsupported("supported: Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD"),
    };

    private static TextPattern ReadPattern(JsonField field)
    {
        if (field.Optional("String") is { } literal)
            return literal.String().Length > 0 ? TextPattern.Literal(literal.String()) : throw literal.Error($"{literal.Path} is empty");
        if (field.Optional("Regex") is { } regex)
        {
            try
            {
                return TextPattern.Regex(regex.String());
            }
            catch (ArgumentException e)
            {
                throw regex.Error($"{regex.Path} is not a regex .NET accepts: {e.Message}");
            }
        }
        throw field.Error($"{field.Path} should hold a String or a Regex");
    }

    // ---- pre-tokenizer ---------------------------------------------------------------------------

    private static IPreTokenizer ReadPreTokenizer(JsonField field) => field.Type() switch
    {
        "Sequence" => new SequencePreTokenizer(field.Required("pretokenizers").Items().Select(ReadPreTokenizer).ToList()),
        "Split" => new SplitPreTokenizer(
            ReadPattern(field.Required("pattern")), ReadBehavior(field.Required("behavior")), field.Bool("invert", false)),
        "ByteLevel" => new ByteLevelPreTokenizer(field.Bool("add_prefix_space", true), field.Bool("use_regex", true)),
        "Metaspace" => new Metaspace(ReadReplacement(field), ReadPrependScheme(field), field.Bool("split", true)),
        _ => throw field.Unsupported("supported: Sequence, Split, ByteLevel, Metaspace"),
    };

    private static SplitBehavior ReadBehavior(JsonField field) =>
        Enum.TryParse<SplitBehavior>(field.String(), ignoreCase: false, out var behavior) && Enum.IsDefined(behavior)
            ? behavior
            : throw field.Error($"{field.Path} '{field.String()}' is not one of {string.Join(", ", Enum.GetNames<SplitBehavior>())}");

    private static string ReadReplacement(JsonField field)
    {
        var replacement = field.Required("replacement");
        var text = replacement.String();
        return text.EnumerateRunes().Count() == 1 ? text : throw replacement.Error($"{replacement.Path} should be one character");
    }

    // "prepend_scheme" (default "always"); older files say add_prefix_space: false for "never".
    private static PrependScheme ReadPrependScheme(JsonField field)
    {
        if (field.Optional("prepend_scheme") is { } scheme)
            return scheme.String() switch
            {
                "always" => PrependScheme.Always,
                "first" => PrependScheme.First,
                "never" => PrependScheme.Never,
                var other => throw scheme.Error($"{scheme.Path} '{other}' is not one of always, first, never"),
            };
        return field.Bool("add_prefix_space", true) ? PrependScheme.Always : PrependScheme.Never;
    }

    // ---- post-processor --------------------------------------------------------------------------

    private static IPostProcessor ReadPostProcessor(JsonField field) => field.Type() switch
    {
        "TemplateProcessing" => ReadTemplate(field),
        "ByteLevel" => new IdentityProcessor(),
        "Sequence" => new SequenceProcessor(field.Required("processors").Items().Select(ReadPostProcessor).ToList()),
        _ => throw field.Unsupported("supported: TemplateProcessing, ByteLevel, Sequence"),
    };

    // "single" is a list of {"SpecialToken": {"id": "<s>"}} / {"Sequence": {"id": "A"}} objects, or of
    // strings such as "<s>" and "$A:0", or one string of those separated by spaces. Type ids (":0")
    // do not change the ids.
    private static TemplateProcessor ReadTemplate(JsonField field)
    {
        var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var (name, token) in field.Optional("special_tokens")?.Properties() ?? [])
            specials[name] = token.Required("ids").Ints(min: 0);

        var single = field.Required("single");
        var entries = single.Value.ValueKind == JsonValueKind.String
            ? single.String().Split(' ').Select(text => ParsePiece(text, single))
            : single.Items().Select(ReadPiece);

        var pieces = new List<TemplatePiece>();
        foreach (var (where, special, sequence) in entries)
        {
            if (sequence is not null)
            {
                if (sequence != "A") throw where.Error($"{where.Path}: sequence ${sequence} is not supported (a single-sequence template uses $A)");
                pieces.Add(new TemplatePiece.Sequence());
            }
            else
            {
                pieces.Add(specials.TryGetValue(special!, out var ids)
                    ? new TemplatePiece.Special(special!, ids)
                    : throw where.Error($"{where.Path}: special token '{special}' is not in {field.Path}.special_tokens"));
            }
        }
        return new TemplateProcessor(pieces);
    }

    private static (JsonField Where, string? Special, string? Sequence) ReadPiece(JsonField item)
    {
        if (item.Value.ValueKind == JsonValueKind.String) return ParsePiece(item.String(), item);
        if (item.Optional("SpecialToken") is { } special) return (item, special.Required("id").String(), null);
        if (item.Optional("Sequence") is { } sequence) return (item, null, sequence.Required("id").String());
        throw item.Error($"{item.Path} should be a SpecialToken or a Sequence");
    }

    // "<s>", "<s>:1", "$A", "$b:1", "$", "$1" (sequence A with type id 1), as HF's Piece::try_from reads them.
    private static (JsonField Where, string? Special, string? Sequence) ParsePiece(string text, JsonField where)
    {
        var parts = text.Split(':');
        if (parts.Length > 2 || (parts.Length == 2 && !uint.TryParse(parts[1], out _)))
            throw where.Error($"{where.Path}: cannot read template piece '{text}'");
        var id = parts[0];
        if (!id.StartsWith('$')) return (where, id, null);
        return id[1..] switch
        {
            "" or "A" or "a" => (where, null, "A"),
            "B" or "b" => (where, null, "B"),
            var rest when uint.TryParse(rest, out _) => (where, null, "A"),
            _ => throw where.Error($"{where.Path}: cannot read template piece '{text}'"),
        };
    }

    // ---- decoder ---------------------------------------------------------------------------------

    private static IDecoder ReadDecoder(JsonField field) => field.Type() switch
    {
        "ByteLevel" => new ByteLevelDecoder(),
        "Sequence" => new SequenceDecoder(field.Required("decoders").Items().Select(ReadDecoder).ToList()),
        "Replace" => new ReplaceDecoder(ReadPattern(field.Required("pattern")), field.Required("content").String()),
        "ByteFallback" => new ByteFallbackDecoder(),
        "Fuse" => new FuseDecoder(),
        "Strip" => new StripDecoder(field.Required("content").String(), field.Required("start").Int(min: 0), field.Required("stop").Int(min: 0)),
        "Metaspace" => new MetaspaceDecoder(ReadReplacement(field), ReadPrependScheme(field) != PrependScheme.Never),
        _ => throw field.Unsupported("supported: ByteLevel, Sequence, Replace, ByteFallback, Fuse, Strip, Metaspace"),
    };
}
