using static LongRecipe.Engine.Tests.Tokenization.TinyTokenizer;

namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>The BPE model on hand-made vocabularies, each expectation worked out by hand in the comments.</summary>
public class BpeTests
{
    //                       0    1    2    3     4     5
    private static readonly string[] Abc = ["a", "b", "c", "ab", "bc", "abc"];

    [Fact]
    public void Lowest_rank_merges_first()
    {
        // a b c: (b,c) has rank 0, (a,b) rank 1 → a bc; then (a,bc) rank 2 → abc.
        var bcFirst = Build(Abc, new[] { "b c", "a b", "a bc" });
        Assert.Equal([5], bcFirst.Encode("abc"));
        // a b c: (a,b) has rank 0 → ab c; no rule for (ab,c).
        var abFirst = Build(Abc, new[] { "a b", "b c", "a bc" });
        Assert.Equal([3, 2], abFirst.Encode("abc"));
    }

    [Fact]
    public void Equal_ranks_merge_leftmost_first()
    {
        // a a a: both pairs are (a,a); the left one merges → aa a.
        var tokenizer = Build(["a", "aa"], new[] { "a a" });
        Assert.Equal([1, 0], tokenizer.Encode("aaa"));
        Assert.Equal([1, 1], tokenizer.Encode("aaaa"));
    }

    [Fact]
    public void Merges_as_pairs_read_like_merges_as_strings()
    {
        var strings = Build(Abc, new[] { "b c", "a b", "a bc" });
        var pairs = Build(Abc, new[] { new[] { "b", "c" }, ["a", "b"], ["a", "bc"] });
        foreach (var text in (string[])["abc", "cab", "bca", "aabbcc"])
            Assert.Equal(strings.Encode(text), pairs.Encode(text));
    }

    [Fact]
    public void A_pair_listed_twice_keeps_its_later_rank()
    {
        // (b,c) is listed at ranks 0 and 2: rank 2 counts, so (a,b) at rank 1 wins → ab c.
        var tokenizer = Build(Abc, new[] { "b c", "a b", "b c" });
        Assert.Equal([3, 2], tokenizer.Encode("abc"));
    }

    [Fact]
    public void Ignore_merges_emits_a_piece_found_in_the_vocabulary_whole()
    {
        // The merges alone reach only ab c; the vocabulary has abc.
        string[] vocab = ["a", "b", "c", "ab", "abc"];
        Assert.Equal([3, 2], Build(vocab, new[] { "a b" }).Encode("abc"));
        Assert.Equal([4], Build(vocab, new[] { "a b" }, ignoreMerges: true).Encode("abc"));
        // A piece not in the vocabulary still merges.
        Assert.Equal([3, 3], Build(vocab, new[] { "a b" }, ignoreMerges: true).Encode("abab"));
    }

    [Fact]
    public void Byte_fallback_spells_unknown_characters_as_their_utf8_bytes()
    {
        // ids: <unk> 0, <0x00>..<0xFF> 1..256, a 257. "é" is C3 A9; "😀" is F0 9F 98 80.
        var tokenizer = Build(["<unk>", .. ByteTokens, "a"], Array.Empty<string>(),
            byteFallback: true, unkToken: "<unk>", decoder: SentencePieceDecoder);
        Assert.Equal([257, 1 + 0xC3, 1 + 0xA9, 257], tokenizer.Encode("aéa"));
        Assert.Equal([1 + 0xF0, 1 + 0x9F, 1 + 0x98, 1 + 0x80], tokenizer.Encode("😀"));
        Assert.Equal("aéa😀", tokenizer.Decode([257, 1 + 0xC3, 1 + 0xA9, 257, 1 + 0xF0, 1 + 0x9F, 1 + 0x98, 1 + 0x80]));
    }

    [Fact]
    public void Unknown_characters_become_unk_fused_or_not_or_vanish()
    {
        string[] vocab = ["<unk>", "a"];
        Assert.Equal([1, 0, 1], Build(vocab, Array.Empty<string>(), unkToken: "<unk>", fuseUnk: true).Encode("axya"));
        Assert.Equal([1, 0, 0, 1], Build(vocab, Array.Empty<string>(), unkToken: "<unk>").Encode("axya"));
        Assert.Equal([1, 1], Build(vocab, Array.Empty<string>()).Encode("axya"));
        Assert.Empty(Build(vocab, Array.Empty<string>()).Encode("xy"));
    }

    [Fact]
    public void Astral_characters_are_one_symbol()
    {
        // 😀 is one code point (two UTF-16 units): it is looked up and merged as one symbol.
        var tokenizer = Build(["😀", "😀😀"], new[] { "😀 😀" });
        Assert.Equal([1, 0], tokenizer.Encode("😀😀😀"));
    }

    [Fact]
    public void Cached_and_fresh_results_agree()
    {
        var tokenizer = Build(Abc, new[] { "b c", "a b", "a bc" });
        var first = tokenizer.Encode("abcab");
        Assert.Equal(first, tokenizer.Encode("abcab"));
        Assert.Equal([5, 3], first);
    }
}
