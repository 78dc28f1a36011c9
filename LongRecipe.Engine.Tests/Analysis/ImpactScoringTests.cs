using LongRecipe.Engine.Analysis;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Analysis;

public class ImpactScoringTests
{
    private static readonly long[] Ids = Enumerable.Range(0, 40).Select(i => (long)(i * 37 % 256)).ToArray();

    private static LlamaModel Tiny(ulong seed) =>
        LlamaModel.Initialize(LlamaConfig.Tiny() with { InitializerRange = 0.15 }, seed, DType.Float64);

    [Fact]
    public void Truncation_changes_nothing_inside_the_first_window_and_something_after_it()
    {
        using var model = Tiny(1);
        var scored = ImpactScoring.FullVersusTruncated(model, Ids, window: 10);
        var deltas = TokenImpact.PositionDeltas(scored);
        // Tokens 1-9 see the same context either way.
        Expect.Close(new double[9], deltas[..9], 1e-9, "first window");
        Assert.True(deltas[9..].Max(Math.Abs) > 1e-3, "later tokens lose context when truncated");
    }

    [Fact]
    public void A_window_as_long_as_the_document_is_no_truncation()
    {
        using var model = Tiny(2);
        var scored = ImpactScoring.FullVersusTruncated(model, Ids, window: Ids.Length);
        Expect.Close(scored.ExtendedScores, scored.BaseScores, 1e-12, "full vs untruncated");
    }

    [Fact]
    public void Every_token_after_the_first_gets_a_truncated_score_from_its_own_block()
    {
        using var model = Tiny(3);
        var scored = ImpactScoring.FullVersusTruncated(model, Ids, window: 7);
        // Block two starts at token 6 (shared with block one) and scores tokens 7-12 from position 0.
        var block = Scoring.LogProbs(model, Ids[6..13]);
        Expect.Close(block, scored.BaseScores[6..12], 1e-12, "second block");
    }

    [Fact]
    public void A_model_pair_scores_the_same_document_under_both_models()
    {
        using var a = Tiny(4);
        using var b = Tiny(5);
        var scored = ImpactScoring.ModelPair(a, b, Ids);
        Expect.Close(Scoring.LogProbs(a, Ids), scored.BaseScores, 0, "base");
        Expect.Close(Scoring.LogProbs(b, Ids), scored.ExtendedScores, 0, "extended");
    }
}
