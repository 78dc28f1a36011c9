using LongRecipe.Engine.IO;
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
