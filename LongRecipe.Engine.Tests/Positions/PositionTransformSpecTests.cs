using LongRecipe.Engine.Positions;

namespace LongRecipe.Engine.Tests.Positions;

/// <summary>Specs that cannot place a sequence fail with a message naming the field.</summary>
public class PositionTransformSpecTests
{
    private static ArgumentException Invalid(PositionTransformSpec spec, int length) =>
        Assert.Throws<ArgumentException>(() => PositionTransform.Apply(spec, new int[length], isSentenceEnd: Sequences.IsSentenceEnd));

    [Fact]
    public void Sequence_longer_than_the_window()
    {
        var e = Invalid(PositionTransformSpec.RandomPositions(10, 0), 11);
        Assert.Contains("sequence length L = 11 exceeds target_length T = 10", e.Message);
    }

    [Fact]
    public void Empty_sequence() =>
        Assert.Contains("sequence length L must be positive, got 0", Invalid(PositionTransformSpec.Pose(10, 0), 0).Message);

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Target_not_positive(int target)
    {
        var e = Invalid(PositionTransformSpec.RandomPositions(target, 0), 1);
        Assert.Equal("TargetLength", e.ParamName);
        Assert.Contains($"target_length must be positive, got {target}", e.Message);
    }

    [Fact]
    public void Rt1_beyond_the_sequence()
    {
        var e = Invalid(PositionTransformSpec.LongRecipe(100, 0, rt1: 11), 10);
        Assert.Equal("Rt1", e.ParamName);
        Assert.Contains("rt1 must be in [0, L = 10], got 11", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    public void Chunks_outside_one_to_L(int chunks)
    {
        var e = Invalid(PositionTransformSpec.Pose(100, 0, chunks), 10);
        Assert.Equal("Chunks", e.ParamName);
        Assert.Contains($"chunks must be in [1, L = 10], got {chunks}", e.Message);
    }

    [Fact]
    public void Full_length_shorter_than_the_window() =>
        Assert.Contains("sequence length L = 50 must equal target_length T = 64", Invalid(PositionTransformSpec.FullLength(64), 50).Message);

    [Fact]
    public void LongRecipe_without_sentence_ends()
    {
        var e = Assert.Throws<ArgumentException>(() => PositionTransform.Apply(PositionTransformSpec.LongRecipe(100, 0), new int[10]));
        Assert.Equal("isSentenceEnd", e.ParamName);
    }

    [Fact]
    public void Fields_read_by_other_schemes_are_not_checked()
    {
        Assert.Equal(5, PositionTransform.Apply(PositionTransformSpec.RandomPositions(10, 0) with { Chunks = 0, Rt1 = 99 }, new int[5]).Length);
    }
}
