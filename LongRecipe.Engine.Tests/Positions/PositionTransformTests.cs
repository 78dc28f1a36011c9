using LongRecipe.Engine.Positions;

namespace LongRecipe.Engine.Tests.Positions;

/// <summary>Invariants every scheme keeps, over many seeds and shapes.</summary>
public class PositionTransformTests
{
    public static TheoryData<PositionScheme, int, int> Shapes()
    {
        var data = new TheoryData<PositionScheme, int, int>();
        foreach (var scheme in new[] { PositionScheme.RandomPositions, PositionScheme.Pose, PositionScheme.LongRecipe })
            foreach (var (length, target) in new[] { (1, 1), (1, 50), (7, 7), (30, 100), (300, 1000), (1000, 32768) })
                data.Add(scheme, length, target);
        data.Add(PositionScheme.FullLength, 1, 1);
        data.Add(PositionScheme.FullLength, 500, 500);
        return data;
    }

    private static int[] Apply(PositionScheme scheme, int target, ulong seed, int[] tokens, int sample = 0) =>
        PositionTransform.Apply(new PositionTransformSpec(scheme, target, seed, Chunks: Math.Min(3, tokens.Length)), tokens, sample, Sequences.IsSentenceEnd);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Positions_are_strictly_increasing_within_the_window_for_every_seed(PositionScheme scheme, int length, int target)
    {
        for (ulong seed = 0; seed < 50; seed++)
            Sequences.AssertValid(Apply(scheme, target, seed, Sequences.Tokens(length, seed)), length, target);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_same_seed_and_sample_give_the_same_ids(PositionScheme scheme, int length, int target)
    {
        var tokens = Sequences.Tokens(length, 1);
        Assert.Equal(Apply(scheme, target, 42, tokens, sample: 3), Apply(scheme, target, 42, tokens, sample: 3));
    }

    [Theory]
    [InlineData(PositionScheme.RandomPositions)]
    [InlineData(PositionScheme.Pose)]
    [InlineData(PositionScheme.LongRecipe)]
    public void Different_seeds_and_samples_give_different_ids(PositionScheme scheme)
    {
        var tokens = Sequences.Tokens(300, 1);
        var bySeed = Enumerable.Range(0, 20).Select(s => string.Join(',', Apply(scheme, 4096, (ulong)s, tokens))).ToHashSet();
        var bySample = Enumerable.Range(0, 20).Select(k => string.Join(',', Apply(scheme, 4096, 7, tokens, k))).ToHashSet();
        Assert.Equal(20, bySeed.Count);
        Assert.Equal(20, bySample.Count);
    }

    [Fact]
    public void Full_length_numbers_the_tokens_from_zero()
    {
        Assert.Equal([0, 1, 2, 3, 4], PositionTransform.Apply(PositionTransformSpec.FullLength(5), Sequences.Tokens(5, 0)));
    }

    [Fact]
    public void A_pinned_seed_keeps_its_ids()
    {
        // Regression pin: changing the PRNG or a draw order changes stored runs' position ids.
        var tokens = new[] { 3, 4, 0, 5, 6, 7, 0, 1 };
        Assert.Equal(PinnedRandom, PositionTransform.Apply(PositionTransformSpec.RandomPositions(32, 9), tokens));
        Assert.Equal(PinnedPose, PositionTransform.Apply(PositionTransformSpec.Pose(32, 9), tokens));
        Assert.Equal(PinnedLongRecipe, PositionTransform.Apply(PositionTransformSpec.LongRecipe(32, 9, rt1: 2), tokens, isSentenceEnd: Sequences.IsSentenceEnd));
    }

    private static readonly int[] PinnedRandom = [3, 5, 6, 10, 11, 16, 20, 21];
    private static readonly int[] PinnedPose = [0, 1, 2, 3, 6, 7, 8, 9];
    private static readonly int[] PinnedLongRecipe = [0, 1, 8, 12, 13, 14, 15, 21]; // prefix 0,1; sentences [.] [5 6 7 .] [1]
}
