using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.Analysis;

/// <summary>
/// How LongRecipe shortens training documents to about 30% of the target window: split into
/// sentences; keep every sentence that matters; drop each other sentence with probability
/// SelectRatio (0.6 in the reference code). Seeded, so a seed gives the same selection.
/// </summary>
public sealed record SentenceSelectionSpec(double SelectRatio = 0.6, ulong Seed = 0)
{
    public SentenceSelectionSpec Validate() =>
        SelectRatio is > 0 and <= 1 ? this : throw new ArgumentOutOfRangeException(nameof(SelectRatio), SelectRatio, "select_ratio must be in (0, 1]");
}

public static class SentenceSelection
{
    /// <summary>
    /// Splits token ids into sentences, each ending at (and including) a token for which
    /// <paramref name="endsSentence"/> holds; a trailing remainder is a sentence too.
    /// </summary>
    public static List<long[]> Sentences(ReadOnlySpan<long> tokens, Func<long, bool> endsSentence)
    {
        var sentences = new List<long[]>();
        var start = 0;
        for (var i = 0; i < tokens.Length; i++)
        {
            if (!endsSentence(tokens[i])) continue;
            sentences.Add(tokens[start..(i + 1)].ToArray());
            start = i + 1;
        }
        if (start < tokens.Length) sentences.Add(tokens[start..].ToArray());
        return sentences;
    }

    /// <summary>Keeps sentences containing an impactful token; drops each other one with probability SelectRatio.</summary>
    public static long[] ByImpactfulTokens(ReadOnlySpan<long> tokens, Func<long, bool> endsSentence, IReadOnlySet<long> impactful,
        SentenceSelectionSpec spec) =>
        Select(Sentences(tokens, endsSentence), sentence => sentence.Any(impactful.Contains), spec);

    /// <summary>
    /// The reference code's model-free proxy: keeps every sentence whose text contains a digit;
    /// drops each other one with probability SelectRatio.
    /// </summary>
    public static long[] ByDigits(ReadOnlySpan<long> tokens, Func<long, bool> endsSentence, Func<long[], string> decode,
        SentenceSelectionSpec spec) =>
        Select(Sentences(tokens, endsSentence), sentence => decode(sentence).Any(char.IsAsciiDigit), spec);

    private static long[] Select(List<long[]> sentences, Func<long[], bool> keep, SentenceSelectionSpec spec)
    {
        spec.Validate();
        var random = new SplitMix64(spec.Seed);
        var kept = new List<long>();
        foreach (var sentence in sentences)
        {
            var draw = random.NextDouble();
            if (keep(sentence) || draw >= spec.SelectRatio) kept.AddRange(sentence);
        }
        return kept.ToArray();
    }
}
