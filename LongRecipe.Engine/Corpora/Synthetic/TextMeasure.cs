namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>
/// The unit synthetic lengths, offsets and distances are in: whitespace-separated words by default,
/// or tokens when the caller has a tokenizer and passes its counter. Text is measured piece by piece
/// (each sentence with the separator before it), so a length is the sum of its pieces' counts: exact
/// for words, and for BPE tokenizers that pre-split on spaces off by at most a token at a seam.
/// Rough rule without a tokenizer: tokens ≈ words × <see cref="TokensPerWord"/> for English prose.
/// </summary>
public sealed class TextMeasure
{
    /// <summary>About 1.3 Llama tokens per English word; a planning figure, never used to place text.</summary>
    public const double TokensPerWord = 1.3;

    private readonly Func<string, int> count;

    private TextMeasure(string unit, Func<string, int> count)
    {
        Unit = unit;
        this.count = count;
    }

    /// <summary>"words" or "tokens", for reports.</summary>
    public string Unit { get; }

    public static TextMeasure Words { get; } = new("words", CountWords);

    /// <summary>Measures in the caller's tokens, e.g. <c>text => tokenizer.Encode(text).Length</c> without special tokens.</summary>
    public static TextMeasure Tokens(Func<string, int> countTokens) =>
        new("tokens", countTokens ?? throw new ArgumentNullException(nameof(countTokens)));

    /// <summary>Words when <paramref name="countTokens"/> is null, otherwise tokens.</summary>
    public static TextMeasure For(Func<string, int>? countTokens) => countTokens is null ? Words : Tokens(countTokens);

    /// <summary>How many words make about this many tokens, by <see cref="TokensPerWord"/>.</summary>
    public static int WordsForTokens(int tokens) => (int)Math.Round(tokens / TokensPerWord);

    public int Count(string text) => count(text);

    /// <summary>Whitespace-separated words: the default unit.</summary>
    public static int CountWords(string text)
    {
        var words = 0;
        var inWord = false;
        foreach (var c in text)
        {
            var space = char.IsWhiteSpace(c);
            if (!space && !inWord) words++;
            inWord = !space;
        }
        return words;
    }
}
