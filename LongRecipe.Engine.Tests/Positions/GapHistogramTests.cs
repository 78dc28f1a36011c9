using LongRecipe.Engine.Positions;

namespace LongRecipe.Engine.Tests.Positions;

public class GapHistogramTests
{
    [Fact]
    public void Full_length_steps_by_one()
    {
        var gaps = GapHistogram.Measure([FullLengthPositions.Transform(100)], 100, [1, 2, 100]);
        Assert.Equal([99L, 0], gaps.Counts);
    }

    [Fact]
    public void Two_chunk_pose_has_one_jump_of_skip_plus_one()
    {
        var positions = PositionTransform.Apply(PositionTransformSpec.Pose(1000, 4), new int[50]);
        var skip = positions[^1] - 49;
        Assert.True(skip > 0, "seed 4 should skip");
        var gaps = GapHistogram.Measure([positions], 1000, Histogram.UniformEdges(1, 1000, 999));
        Assert.Equal(48, gaps.Counts[0]);
        Assert.Equal(1, gaps.Counts[skip]); // bin k holds gap k + 1
    }

    [Fact]
    public void Gaps_outside_the_edges_are_not_counted()
    {
        // Gaps 1, 3, 6: edges [2, 4) keep only 3.
        Assert.Equal([1L], GapHistogram.Measure([[0, 1, 4, 10]], 16, [2, 4]).Counts);
    }

    [Fact]
    public void Edges_must_increase()
    {
        var e = Assert.Throws<ArgumentException>(() => GapHistogram.Measure([[0, 1]], 4, [1, 1]));
        Assert.Contains("edges must be strictly increasing", e.Message);
    }
}
