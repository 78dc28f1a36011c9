using LongRecipe.Engine.Positions;

namespace LongRecipe.Engine.Tests.Positions;

/// <summary>What each scheme keeps contiguous: PoSE its chunks, LongRecipe its prefix and each sentence.</summary>
public class SchemeShapeTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void Pose_jumps_only_between_chunks_and_starts_at_zero(int chunks)
    {
        for (ulong seed = 0; seed < 100; seed++)
        {
            var positions = PositionTransform.Apply(PositionTransformSpec.Pose(10_000, seed, chunks), new int[200]);
            Assert.Equal(0, positions[0]);
            var jumps = Enumerable.Range(1, positions.Length - 1).Count(i => positions[i] - positions[i - 1] != 1);
            Assert.True(jumps <= chunks - 1, $"seed {seed}: {jumps} jumps with {chunks} chunks");
        }
    }

    [Fact]
    public void Pose_skip_is_spread_over_zero_to_T_minus_L()
    {
        // Two chunks: the last position is L − 1 + u with u uniform in [0, T − L] = [0, 900], mean 450;
        // over 2000 seeds the mean's standard error is 900/√12/√2000 ≈ 5.8, so ±30 is about 5 se.
        var skips = Enumerable.Range(0, 2000)
            .Select(s => PositionTransform.Apply(PositionTransformSpec.Pose(1000, (ulong)s), new int[100])[^1] - 99).ToArray();
        Assert.All(skips, u => Assert.InRange(u, 0, 900));
        Assert.InRange(skips.Average(), 420, 480);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(37)]
    [InlineData(400)]
    public void LongRecipe_keeps_the_prefix_and_every_sentence_contiguous(int rt1)
    {
        for (ulong seed = 0; seed < 100; seed++)
        {
            var tokens = Sequences.Tokens(400, seed);
            var positions = PositionTransform.Apply(PositionTransformSpec.LongRecipe(4000, seed, rt1), tokens, isSentenceEnd: Sequences.IsSentenceEnd);
            Sequences.AssertValid(positions, 400, 4000);
            for (var i = 0; i < rt1; i++) Assert.Equal(i, positions[i]);
            for (var i = Math.Max(rt1, 1); i < tokens.Length; i++)
            {
                var startsBlock = i == rt1 || Sequences.IsSentenceEnd(tokens[i - 1]);
                if (!startsBlock) Assert.True(positions[i] == positions[i - 1] + 1, $"seed {seed}: sentence broken at token {i}");
            }
        }
    }

    [Fact]
    public void LongRecipe_spreads_its_slack_evenly_over_the_gaps()
    {
        // Tokens "a a a ." × 25 with rt1 = 4: the prefix and 24 sentences are 25 blocks, so the slack
        // T − L = 900 is split into 25 gaps of mean 36 each (the last is the room after the final token).
        // Each gap is marginally a Beta-binomial with sd ≈ 34; over 2000 seeds the mean's se ≈ 0.8, ±4 is 5 se.
        var tokens = Enumerable.Range(0, 100).Select(i => i % 4 == 3 ? Sequences.SentenceEnd : 1).ToArray();
        var firstGap = 0.0;
        var lastGap = 0.0;
        const int Seeds = 2000;
        for (var s = 0; s < Seeds; s++)
        {
            var positions = PositionTransform.Apply(PositionTransformSpec.LongRecipe(1000, (ulong)s, rt1: 4), tokens, isSentenceEnd: Sequences.IsSentenceEnd);
            firstGap += positions[4] - positions[3] - 1;
            lastGap += 999 - positions[^1];
        }
        Assert.InRange(firstGap / Seeds, 32, 40);
        Assert.InRange(lastGap / Seeds, 32, 40);
    }

    [Fact]
    public void LongRecipe_draws_rt1_from_one_to_half_L_when_not_given()
    {
        // All tokens end a sentence, so only the prefix is longer than one: its length is rt1.
        var tokens = Enumerable.Repeat(Sequences.SentenceEnd, 20).ToArray();
        var prefixes = Enumerable.Range(0, 500).Select(s =>
        {
            var p = PositionTransform.Apply(PositionTransformSpec.LongRecipe(10_000, (ulong)s), tokens, isSentenceEnd: Sequences.IsSentenceEnd);
            var rt1 = 1;
            while (rt1 < p.Length && p[rt1] == rt1) rt1++;
            return rt1;
        }).ToArray();
        Assert.Equal(1, prefixes.Min());
        Assert.InRange(prefixes.Max(), 10, 11); // a zero gap after the prefix can extend it by one sentence
    }
}
