namespace LongRecipe.Engine.Analysis;

/// <summary>Coarse kinds of tokens, for the breakdown of which kinds long context helps (the paper finds numerals and conjunctions over-represented).</summary>
public enum TokenCategory
{
    Digit,
    Punctuation,
    FunctionWord,
    Capitalized,
    Other,
}

public static class TokenCategories
{
    // English closed-class words: conjunctions, prepositions, determiners, pronouns, auxiliaries.
    private static readonly HashSet<string> FunctionWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "an", "the", "and", "or", "but", "nor", "so", "yet", "if", "then", "because", "although", "though",
        "while", "whereas", "unless", "since", "when", "whether", "that", "which", "who", "whom", "whose",
        "of", "in", "on", "at", "to", "for", "with", "by", "from", "as", "into", "about", "after", "before",
        "between", "during", "over", "under", "through", "than", "it", "its", "he", "she", "they", "we", "you",
        "i", "his", "her", "their", "our", "your", "this", "these", "those", "is", "are", "was", "were", "be",
        "been", "being", "has", "have", "had", "do", "does", "did", "not", "no", "also", "however", "therefore",
    };

    /// <summary>
    /// The category of a token's text (as decoded, leading space or ▁ ignored), first match wins:
    /// any digit → Digit; only punctuation or symbols → Punctuation; a function word → FunctionWord;
    /// an upper-case first letter → Capitalized; else Other.
    /// </summary>
    public static TokenCategory Categorize(string tokenText)
    {
        var text = tokenText.Trim().TrimStart('\u2581');
        if (text.Any(char.IsDigit)) return TokenCategory.Digit;
        if (text.Length > 0 && text.All(c => char.IsPunctuation(c) || char.IsSymbol(c))) return TokenCategory.Punctuation;
        if (FunctionWords.Contains(text)) return TokenCategory.FunctionWord;
        if (text.Length > 0 && char.IsUpper(text[0])) return TokenCategory.Capitalized;
        return TokenCategory.Other;
    }

    /// <summary>How many of the given tokens fall in each category (every category present, zero or not).</summary>
    public static IReadOnlyDictionary<TokenCategory, int> Breakdown(IEnumerable<long> tokenIds, Func<long, string> decode)
    {
        var counts = Enum.GetValues<TokenCategory>().ToDictionary(c => c, _ => 0);
        foreach (var id in tokenIds) counts[Categorize(decode(id))]++;
        return counts;
    }
}
