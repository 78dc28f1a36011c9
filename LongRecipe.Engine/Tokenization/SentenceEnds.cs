namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// Which tokens end a sentence, for sentence selection and the LongRecipe position transform: a token
/// whose decoded text holds a line break, or, trimmed of trailing spaces, ends in '.', '!' or '?'.
/// </summary>
public static class SentenceEnds
{
    public static bool EndsSentence(string tokenText)
    {
        if (tokenText.Contains('\n')) return true;
        var trimmed = tokenText.TrimEnd(' ', '\t');
        return trimmed.Length > 0 && trimmed[^1] is '.' or '!' or '?';
    }

    /// <summary>The sentence-ending ids of <paramref name="tokenizer"/>'s whole vocabulary (special tokens excluded).</summary>
    public static IReadOnlySet<int> Of(Tokenizer tokenizer)
    {
        var ends = new HashSet<int>();
        for (var id = 0; id < tokenizer.VocabSize; id++)
            if (tokenizer.Decode([id], skipSpecialTokens: true) is { Length: > 0 } text && EndsSentence(text)) ends.Add(id);
        return ends;
    }
}
