namespace LongRecipe.Engine.Analysis;

/// <summary>
/// One document scored twice: log p(t_i | x_&lt;i) for tokens 1 … n−1 under the base setting H
/// (a base model, or one model with truncated context) and the extended setting H′ (an extended
/// model, or full context). Index i of the score arrays belongs to token i + 1.
/// </summary>
public sealed record ScoredDocument(long[] TokenIds, double[] BaseScores, double[] ExtendedScores)
{
    /// <summary>Checks that the scores align with the tokens.</summary>
    public ScoredDocument Validate()
    {
        if (TokenIds.Length < 2) throw new ArgumentException("a scored document needs at least two tokens", nameof(TokenIds));
        if (BaseScores.Length != TokenIds.Length - 1)
            throw new ArgumentException($"{BaseScores.Length} base scores for {TokenIds.Length} tokens (expected {TokenIds.Length - 1})", nameof(BaseScores));
        if (ExtendedScores.Length != TokenIds.Length - 1)
            throw new ArgumentException($"{ExtendedScores.Length} extended scores for {TokenIds.Length} tokens (expected {TokenIds.Length - 1})", nameof(ExtendedScores));
        return this;
    }
}

/// <summary>A token's mean impact Δ(t) over its Count occurrences.</summary>
public sealed record TokenDelta(long TokenId, double MeanDelta, int Count);

/// <summary>
/// LongRecipe's impactful-token analysis: how much the extended setting helps each token.
/// Per position, δ_i = S′(t_i | x_&lt;i) − S(t_i | x_&lt;i) with S the log-probability; per token,
/// Δ(t) = the mean of δ_i over the positions where t occurs. Tokens with the largest Δ are the
/// ones long context (or extension training) actually helps.
/// </summary>
public static class TokenImpact
{
    /// <summary>δ_i for tokens 1 … n−1 of one document.</summary>
    public static double[] PositionDeltas(ScoredDocument document)
    {
        document.Validate();
        var deltas = new double[document.BaseScores.Length];
        for (var i = 0; i < deltas.Length; i++) deltas[i] = document.ExtendedScores[i] - document.BaseScores[i];
        return deltas;
    }

    /// <summary>Δ(t) for every token seen at least <paramref name="minCount"/> times, largest first (ties by id).</summary>
    public static IReadOnlyList<TokenDelta> Rank(IEnumerable<ScoredDocument> documents, int minCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        var sums = new Dictionary<long, (double Sum, int Count)>();
        foreach (var document in documents)
        {
            var deltas = PositionDeltas(document);
            for (var i = 0; i < deltas.Length; i++)
            {
                var token = document.TokenIds[i + 1];
                var (sum, count) = sums.GetValueOrDefault(token);
                sums[token] = (sum + deltas[i], count + 1);
            }
        }
        return sums.Where(p => p.Value.Count >= minCount)
            .Select(p => new TokenDelta(p.Key, p.Value.Sum / p.Value.Count, p.Value.Count))
            .OrderByDescending(t => t.MeanDelta).ThenBy(t => t.TokenId)
            .ToList();
    }

    /// <summary>The top <paramref name="fraction"/> of ranked tokens (the paper keeps 20%), at least one.</summary>
    public static IReadOnlySet<long> Impactful(IReadOnlyList<TokenDelta> ranked, double fraction = 0.2)
    {
        if (fraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the impactful fraction must be in (0, 1]");
        var count = Math.Max(1, (int)Math.Round(ranked.Count * fraction));
        return ranked.Take(count).Select(t => t.TokenId).ToHashSet();
    }
}
