using LongRecipe.Engine.IO;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Tokenization;
using static LongRecipe.Engine.Tests.Tokenization.TinyTokenizer;

namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>What cannot be read is refused with a message naming the file and the field.</summary>
public class LoadErrorTests
{
    private static string Message(string json, string? configJson = null) =>
        Assert.Throws<JsonFieldException>(() => Tokenizer.FromJson(json, "x/tokenizer.json", configJson, "x/tokenizer_config.json")).Message;

    [Fact]
    public void Other_model_types_are_refused()
    {
        var json = Json(["a"], Array.Empty<string>()).Replace("\"type\":\"BPE\"", "\"type\":\"WordPiece\"");
        Assert.Equal("x/tokenizer.json: model.type 'WordPiece' is not supported (BPE only)", Message(json));
    }

    [Fact]
    public void Malformed_json_says_where()
    {
        Assert.StartsWith("x/tokenizer.json: not valid JSON (line 2,", Message("{\n  \"model\": [1,,2]}"));
    }

    [Fact]
    public void Missing_and_mistyped_fields_are_named()
    {
        Assert.Equal("x/tokenizer.json: model.vocab is missing", Message("""{"model": {"type": "BPE", "merges": []}}"""));
        Assert.Equal("x/tokenizer.json: model is missing", Message("{}"));
        Assert.Equal("x/tokenizer.json: model.merges must be an array, got \"a b\"",
            Message("""{"model": {"type": "BPE", "vocab": {}, "merges": "a b"}}"""));
        Assert.Equal("x/tokenizer.json: model.byte_fallback must be true or false, got 1",
            Message("""{"model": {"type": "BPE", "vocab": {}, "merges": [], "byte_fallback": 1}}"""));
    }

    [Fact]
    public void Merges_must_name_vocabulary_tokens()
    {
        Assert.Equal("x/tokenizer.json: model.merges[1]: 'bc' is not in model.vocab",
            Message(Json(["a", "b", "c", "ab"], new[] { "a b", "b c" })));
        Assert.Equal("x/tokenizer.json: model.merges[0] 'a b c' should be two tokens separated by one space",
            Message(Json(["a", "b", "c"], new[] { "a b c" })));
    }

    [Fact]
    public void An_id_given_to_two_tokens_is_refused_naming_both()
    {
        Assert.Equal("x/tokenizer.json: model.vocab gives id 1 to both 'b' and 'c'",
            Message("""{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 1}, "merges": []}}"""));
        Assert.Equal("x/tokenizer.json: added_tokens[1] gives id 1 to '<x>', which model.vocab gives to 'b'",
            Message(Json(["<s>", "b"], Array.Empty<string>(), addedTokens: [Added(0, "<s>", special: true), Added(1, "<x>", special: true)])));
        // A vocabulary token listed under another token's id: the vocabulary's id would be used, but the file contradicts itself.
        Assert.Equal("x/tokenizer.json: added_tokens[0] gives id 1 to 'a', which model.vocab gives to 'b'",
            Message(Json(["a", "b"], Array.Empty<string>(), addedTokens: [Added(1, "a")])));
        Assert.Equal("x/tokenizer.json: added_tokens[2] gives id 7 to '<y>', which added_tokens[0] gives to '<x>'",
            Message(Json(["a"], Array.Empty<string>(), addedTokens: [Added(7, "<x>"), Added(8, "<z>"), Added(7, "<y>")])));
    }

    [Fact]
    public void A_token_listed_in_both_the_vocabulary_and_added_tokens_with_one_id_loads()
    {
        // As Llama-2 lists <unk>, <s> and </s>; an entry repeated in added_tokens with its own id is no clash either.
        var tokenizer = Build(["<unk>", "<s>", "a"], Array.Empty<string>(),
            addedTokens: [Added(0, "<unk>", special: true), Added(1, "<s>", special: true), Added(1, "<s>", special: true)]);
        Assert.Equal((0, 1, 2), (tokenizer.TokenToId("<unk>"), tokenizer.TokenToId("<s>"), tokenizer.TokenToId("a")));
        Assert.Equal("<s> a", tokenizer.Decode([1, 2]));
    }

    // Hand-made files, written to a folder and loaded as a model folder's tokenizer is.
    private static string LoadFails(TempFolder folder, string json)
    {
        File.WriteAllText(folder.File("tokenizer.json"), json);
        return Assert.Throws<JsonFieldException>(() => Tokenizer.Load(folder.Path)).Message;
    }

    [Fact]
    public void A_token_written_twice_in_the_vocabulary_is_refused_naming_it_and_both_ids()
    {
        // HF's tokenizers keeps the last id, and the first is left with no token; other readers keep the first.
        using var folder = new TempFolder();
        Assert.Equal($"{folder.File("tokenizer.json")}: model.vocab has 'a' written twice (0, then 2): JSON readers differ on which they keep, "
            + "the first or the last, so neither is taken",
            LoadFails(folder, """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "a": 2}, "merges": []}}"""));
    }

    [Fact]
    public void An_id_far_beyond_the_tokens_listed_is_refused_naming_the_token_and_the_id()
    {
        using var folder = new TempFolder();
        var file = folder.File("tokenizer.json");
        const string Why = "ids must stay below 65536 (twice the tokens listed, or 65536 when that is more), as tables hold an entry for every id up to the largest";
        Assert.Equal($"{file}: model.vocab gives id 2147483000 to 'x', though the file lists 2 tokens: {Why}",
            LoadFails(folder, """{"model": {"type": "BPE", "vocab": {"a": 0, "x": 2147483000}, "merges": []}}"""));
        Assert.Equal($"{file}: added_tokens[1] gives id 65536 to '<x>', though the file lists 3 tokens: {Why}",
            LoadFails(folder, Json(["a"], Array.Empty<string>(), addedTokens: [Added(1, "<s>"), Added(65_536, "<x>")])));
    }

    [Fact]
    public void Ids_may_leave_gaps_below_65536_or_as_many_as_the_tokens_listed()
    {
        // Added tokens placed after a small vocabulary, anywhere below 65536.
        var small = Build(["a", "b"], Array.Empty<string>(), addedTokens: [Added(65_535, "<x>")]);
        Assert.Equal((65_536, "<x>"), (small.VocabSize, small.IdToToken(65_535)));

        // 40,000 tokens and one added: 40,001 tokens, so ids up to 80,001.
        var vocab = Enumerable.Range(0, 40_000).Select(i => $"t{i}").ToList();
        var large = Build(vocab, Array.Empty<string>(), addedTokens: [Added(80_001, "<x>")]);
        Assert.Equal(80_002, large.VocabSize);
        using var folder = new TempFolder();
        Assert.Equal($"{folder.File("tokenizer.json")}: added_tokens[0] gives id 80002 to '<x>', though the file lists 40001 tokens: ids must stay below 80002 "
            + "(twice the tokens listed, or 65536 when that is more), as tables hold an entry for every id up to the largest",
            LoadFails(folder, Json(vocab, Array.Empty<string>(), addedTokens: [Added(80_002, "<x>")])));
    }

    [Fact]
    public void Unsupported_components_are_named()
    {
        Assert.Equal("x/tokenizer.json: normalizer.type 'Lowercase' is not supported (supported: Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD)",
            Message(Json(["a"], Array.Empty<string>(), normalizer: new { type = "Lowercase" })));
        Assert.Equal("x/tokenizer.json: pre_tokenizer.pretokenizers[1].type 'Whitespace' is not supported (supported: Sequence, Split, ByteLevel, Metaspace)",
            Message(Json(["a"], Array.Empty<string>(), preTokenizer: new
            {
                type = "Sequence",
                pretokenizers = new object[] { new { type = "ByteLevel" }, new { type = "Whitespace" } },
            })));
        Assert.StartsWith("x/tokenizer.json: pre_tokenizer.pattern.Regex is not a regex .NET accepts",
            Message(Json(["a"], Array.Empty<string>(), preTokenizer: new
            {
                type = "Split", pattern = new { Regex = "(unclosed" }, behavior = "Isolated", invert = false,
            })));
    }

    [Fact]
    public void Template_tokens_and_config_tokens_must_exist()
    {
        var template = new { type = "TemplateProcessing", single = "<s> $A", special_tokens = new { } };
        Assert.Equal("x/tokenizer.json: post_processor.single: special token '<s>' is not in post_processor.special_tokens",
            Message(Json(["a"], Array.Empty<string>(), postProcessor: template)));
        Assert.Equal("x/tokenizer_config.json: bos_token '<s>' is not a token of the tokenizer",
            Message(Json(["a"], Array.Empty<string>()), """{"bos_token": "<s>"}"""));
    }

    [Fact]
    public void A_missing_file_is_reported_with_its_path()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-folder-for-tokenizers", "tokenizer.json");
        var error = Assert.Throws<FileNotFoundException>(() => Tokenizer.Load(path));
        Assert.StartsWith(path, error.Message);
    }
}
