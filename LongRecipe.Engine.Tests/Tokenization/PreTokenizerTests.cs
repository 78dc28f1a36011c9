using System.Globalization;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>Pre-tokenizers and the regex engine under them, against splits worked out by hand.</summary>
public class PreTokenizerTests
{
    private const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static readonly SplitPreTokenizer Llama3 = new(TextPattern.Regex(Llama3Pattern), SplitBehavior.Isolated, false);

    private static string[] Pieces(IPreTokenizer preTokenizer, string text, bool atInputStart = true)
    {
        var output = new List<PreToken>();
        preTokenizer.PreTokenize(new PreToken(text, atInputStart), (piece, _) => output.Add(piece));
        return output.Select(p => p.Text).ToArray();
    }

    [Fact]
    public void Llama3_pattern_splits_words_contractions_digits_and_spaces()
    {
        Assert.Equal(["Hello", " world", "'s", " ", "123", "456", "7", " ", "3", ".", "14"],
            Pieces(Llama3, "Hello world's 1234567 3.14"));
        // A newline run is one piece; of the spaces before a word, all but the last stand alone.
        Assert.Equal(["a", "\n\n", " ", " b", "  "], Pieces(Llama3, "a\n\n  b  "));
        Assert.Equal(["they", "'RE"], Pieces(Llama3, "they'RE"));
    }

    [Fact]
    public void Astral_letters_and_digits_count_as_one_character_each()
    {
        // 𝐀 (U+1D400) is a letter: one word with its neighbours, as in Oniguruma (plain .NET splits it off).
        Assert.Equal(["a𝐀b", " c"], Pieces(Llama3, "a𝐀b c"));
        // 𝟏.. (U+1D7CF..) are decimal digits: three code points per piece.
        Assert.Equal(["𝟏𝟐𝟑", "𝟒"], Pieces(Llama3, "𝟏𝟐𝟑𝟒"));
        // Emoji are symbols in both engines.
        Assert.Equal(["hi", " 😀😀!"], Pieces(Llama3, "hi 😀😀!"));
    }

    [Fact]
    public void Stand_ins_have_the_category_they_stand_for()
    {
        for (var category = 0; category < CodePointRegex.StandIn.Length; category++)
            Assert.Equal((UnicodeCategory)category, CharUnicodeInfo.GetUnicodeCategory(CodePointRegex.StandIn[category]));
    }

    [Fact]
    public void Byte_level_maps_bytes_to_printable_characters()
    {
        Assert.Equal("ĠHello", ByteLevel.Encode(" Hello"));
        Assert.Equal("Ċ", ByteLevel.Encode("\n"));
        Assert.Equal("Ã©", ByteLevel.Encode("é")); // C3 A9
        Assert.Equal(256, ByteLevel.ByteToChar.Distinct().Count());
    }

    [Fact]
    public void Gpt2_byte_level_splits_with_its_own_regex_and_may_prepend_a_space()
    {
        Assert.Equal(["Hello", "Ġworld", "!"], Pieces(new ByteLevelPreTokenizer(AddPrefixSpace: false, UseRegex: true), "Hello world!"));
        Assert.Equal(["ĠHello", "Ġworld"], Pieces(new ByteLevelPreTokenizer(AddPrefixSpace: true, UseRegex: true), "Hello world"));
        Assert.Equal(["ĠHelloĠworld"], Pieces(new ByteLevelPreTokenizer(AddPrefixSpace: false, UseRegex: false), " Hello world"));
    }

    [Theory]
    [InlineData(nameof(SplitBehavior.Removed), new[] { "the", "final", "countdown" })]
    [InlineData(nameof(SplitBehavior.Isolated), new[] { "the", "-", "final", "-", "-", "countdown" })]
    [InlineData(nameof(SplitBehavior.MergedWithPrevious), new[] { "the-", "final-", "-", "countdown" })]
    [InlineData(nameof(SplitBehavior.MergedWithNext), new[] { "the", "-final", "-", "-countdown" })]
    [InlineData(nameof(SplitBehavior.Contiguous), new[] { "the", "-", "final", "--", "countdown" })]
    public void Split_behaviours_follow_hf(string behavior, string[] expected) =>
        Assert.Equal(expected, Pieces(
            new SplitPreTokenizer(TextPattern.Literal("-"), Enum.Parse<SplitBehavior>(behavior), false), "the-final--countdown"));

    [Fact]
    public void Inverted_split_treats_the_gaps_as_the_delimiters()
    {
        var words = new SplitPreTokenizer(TextPattern.Regex(@"\w+"), SplitBehavior.Removed, Invert: true);
        Assert.Equal(["hi", "there"], Pieces(words, "hi, there"));
    }

    [Fact]
    public void Metaspace_replaces_spaces_prepends_and_splits()
    {
        var always = new Metaspace("▁", PrependScheme.Always, Split: true);
        Assert.Equal(["▁hello", "▁", "▁world"], Pieces(always, "hello  world"));
        var first = new Metaspace("▁", PrependScheme.First, Split: false);
        Assert.Equal(["▁hi▁there"], Pieces(first, "hi there"));
        Assert.Equal(["hi"], Pieces(first, "hi", atInputStart: false));
    }

    [Fact]
    public void Sequence_feeds_each_stage_the_pieces_of_the_last()
    {
        var llama3 = new SequencePreTokenizer([Llama3, new ByteLevelPreTokenizer(false, false)]);
        Assert.Equal(["Hello", "Ġworld", "ĊĊ"], Pieces(llama3, "Hello world\n\n"));
    }
}
