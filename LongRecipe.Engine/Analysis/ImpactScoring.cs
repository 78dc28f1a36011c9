using LongRecipe.Engine.Model;

namespace LongRecipe.Engine.Analysis;

/// <summary>The two ways of scoring a document twice for <see cref="TokenImpact"/>.</summary>
public static class ImpactScoring
{
    /// <summary>H = a base model, H′ = an extended one (same tokenizer), both over the whole document.</summary>
    public static ScoredDocument ModelPair(LlamaModel baseModel, LlamaModel extendedModel, long[] tokenIds) =>
        new ScoredDocument(tokenIds, Scoring.LogProbs(baseModel, tokenIds), Scoring.LogProbs(extendedModel, tokenIds)).Validate();

    /// <summary>
    /// One model, H′ with the full document as context and H with truncated context: the document
    /// is cut into blocks of <paramref name="window"/> tokens, each scored on its own at positions
    /// 0 … window−1, consecutive blocks sharing one token so every token after the first is scored
    /// once. A token then sees only the earlier tokens of its block — how much far context helps.
    /// </summary>
    public static ScoredDocument FullVersusTruncated(LlamaModel model, long[] tokenIds, int window)
    {
        if (window < 2) throw new ArgumentOutOfRangeException(nameof(window), window, "the truncated window must hold at least two tokens");
        var truncated = new double[tokenIds.Length - 1];
        for (var start = 0; start < tokenIds.Length - 1; start += window - 1)
        {
            var length = Math.Min(window, tokenIds.Length - start);
            Scoring.LogProbs(model, tokenIds[start..(start + length)]).CopyTo(truncated, start);
        }
        return new ScoredDocument(tokenIds, truncated, Scoring.LogProbs(model, tokenIds)).Validate();
    }
}
