namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>The Unicode normalizers Qwen2 (NFC) and others declare, applied before BPE.</summary>
public class UnicodeNormalizerTests
{
    // Single characters as tokens, no merges: the ids spell out what the normalizer produced.
    private static readonly string[] Vocab = ["e", "\u00e9", "\u0301", "f", "i", "\ufb01"];

    [Theory]
    [InlineData("NFC", "e\u0301", new[] { 1 })]        // e + combining acute composes to é
    [InlineData("NFD", "\u00e9", new[] { 0, 2 })]      // é decomposes to e + combining acute
    [InlineData("NFKC", "\ufb01", new[] { 3, 4 })]     // the ﬁ ligature becomes f i
    [InlineData("NFKD", "\ufb01\u00e9", new[] { 3, 4, 0, 2 })]
    [InlineData("NFC", "\ufb01", new[] { 5 })]         // canonical forms keep compatibility characters
    public void Text_is_normalized_before_it_is_split_into_tokens(string form, string text, int[] expected)
    {
        // Builds for a machine without ICU (the GPU route) run with invariant globalization, where the reader
        // refuses normalizers with a message saying ICU is needed; here the forms themselves are tested.
        Assert.SkipWhen(AppContext.TryGetSwitch("System.Globalization.Invariant", out var invariant) && invariant,
            "Unicode normalization needs ICU; this build runs with invariant globalization");
        var tokenizer = TinyTokenizer.Build(Vocab, Array.Empty<string>(), normalizer: new { type = form });
        Assert.Equal(expected, tokenizer.Encode(text));
    }
}
