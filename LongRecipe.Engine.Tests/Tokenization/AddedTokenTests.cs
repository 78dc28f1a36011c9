using static LongRecipe.Engine.Tests.Tokenization.TinyTokenizer;

namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>Splitting on added tokens, as HF's AddedVocabulary does, on hand-made tokenizers.</summary>
public class AddedTokenTests
{
    //                                         0    1    2    3    4    5
    private static readonly string[] Chars = ["a", "b", "c", "x", " ", "▁"];

    [Fact]
    public void The_longest_token_at_the_leftmost_position_wins()
    {
        var tokenizer = Build(Chars, Array.Empty<string>(),
            addedTokens: [Added(100, "ab"), Added(101, "abc"), Added(102, "bc")]);
        // At 1 both "ab" and "abc" start: the longer wins; "bc" (starting at 2) is never considered.
        Assert.Equal([3, 101, 100], tokenizer.Encode("xabcab"));
        Assert.Equal([3, 102, 100], tokenizer.Encode("xbcab"));
    }

    [Fact]
    public void Lstrip_and_rstrip_swallow_the_whitespace_beside_the_token()
    {
        var plain = Build(Chars, Array.Empty<string>(), addedTokens: [Added(100, "<m>")]);
        Assert.Equal([0, 4, 4, 100, 4, 4, 1], plain.Encode("a  <m>  b"));
        var left = Build(Chars, Array.Empty<string>(), addedTokens: [Added(100, "<m>", lstrip: true)]);
        Assert.Equal([0, 100, 4, 4, 1], left.Encode("a  <m>  b"));
        var right = Build(Chars, Array.Empty<string>(), addedTokens: [Added(100, "<m>", rstrip: true)]);
        Assert.Equal([0, 4, 4, 100, 1], right.Encode("a  <m>  b"));
    }

    [Fact]
    public void Single_word_tokens_match_only_between_non_word_characters()
    {
        var tokenizer = Build(Chars, Array.Empty<string>(), addedTokens: [Added(100, "ab", singleWord: true)]);
        // "ab" at 0 and at 7 stand alone; in "cab" a word character precedes it.
        Assert.Equal([100, 4, 2, 0, 1, 4, 100], tokenizer.Encode("ab cab ab"));
    }

    [Fact]
    public void Special_tokens_in_the_text_are_recognized_and_skipped_on_request()
    {
        var tokenizer = Build(Chars, Array.Empty<string>(),
            addedTokens: [Added(100, "<s>", special: true), Added(101, "<x>")]);
        Assert.Equal([0, 100, 1, 101], tokenizer.Encode("a<s>b<x>", addSpecialTokens: false));
        // Without a decoder, HF joins the tokens with spaces.
        Assert.Equal("a <s> b <x>", tokenizer.Decode([0, 100, 1, 101]));
        Assert.Equal("a b <x>", tokenizer.Decode([0, 100, 1, 101], skipSpecialTokens: true));
    }

    [Fact]
    public void Normalized_tokens_match_their_normalized_form_in_normalized_text()
    {
        var spaceToMeta = new { type = "Replace", pattern = new { String = " " }, content = "▁" };
        var metaToSpace = new { type = "Replace", pattern = new { String = "▁" }, content = " " };
        var normalized = Build(Chars, Array.Empty<string>(), normalizer: spaceToMeta, decoder: metaToSpace,
            addedTokens: [Added(100, "a b", normalized: true)]);
        Assert.Equal([3, 100], normalized.Encode("xa b"));
        // Decoding hands the decoder the normalized form "a▁b", which it turns back into "a b".
        Assert.Equal("xa b", normalized.Decode([3, 100]));

        var raw = Build(Chars, Array.Empty<string>(), normalizer: spaceToMeta,
            addedTokens: [Added(100, "a b", normalized: false)]);
        Assert.Equal([3, 100], raw.Encode("xa b"));
        Assert.Equal([3, 0, 5, 1], raw.Encode("xa▁b"));
    }

    [Fact]
    public void Text_between_tokens_is_normalized_piece_by_piece()
    {
        // Llama-2's "legacy" behaviour: each stretch between added tokens gets its own "▁" prefix.
        var tokenizer = Build(["▁", "a", "b"], Array.Empty<string>(), normalizer: SentencePieceNormalizer,
            addedTokens: [Added(100, "<s>", special: true)]);
        Assert.Equal([0, 1, 100, 0, 2], tokenizer.Encode("a<s>b"));
        Assert.Equal([100, 0, 1], tokenizer.Encode("<s>a"));
    }
}
