using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Training;

namespace LongRecipe.Engine.Tests.Training;

public class PackedBatchSourceTests
{
    private static readonly int[][] Sequences = Enumerable.Range(0, 5).Select(k => Enumerable.Range(10 * k, 4).ToArray()).ToArray();

    [Fact]
    public void Targets_are_the_next_tokens_and_positions_count_from_zero()
    {
        var batch = new PackedBatchSource(Sequences, seed: 1).Get(0, 2);
        Assert.Equal((2, 4), (batch.BatchSize, batch.Length));
        for (var row = 0; row < 2; row++)
        {
            var ids = batch.InputIds.AsSpan(row * 4, 4).ToArray();
            Assert.Contains(Sequences, s => s.Select(t => (long)t).SequenceEqual(ids));
            Assert.Equal([ids[1], ids[2], ids[3], TrainingBatch.Ignore], batch.Targets.AsSpan(row * 4, 4).ToArray());
            Assert.Equal([0L, 1, 2, 3], batch.PositionIds.AsSpan(row * 4, 4).ToArray());
        }
        Assert.Equal(6, batch.TargetCount);
    }

    [Fact]
    public void Each_epoch_visits_every_sequence_once_in_its_own_seeded_order()
    {
        var source = new PackedBatchSource(Sequences, seed: 1);
        long[] Firsts(long from) => Enumerable.Range(0, 5).Select(i => source.Get(from + i, 1).InputIds[0]).ToArray();
        var (epoch0, epoch1) = (Firsts(0), Firsts(5));
        Assert.Equal([0L, 10, 20, 30, 40], epoch0.Order());
        Assert.Equal([0L, 10, 20, 30, 40], epoch1.Order());
        Assert.NotEqual(epoch0, epoch1);
        // A pure function of the sample number: asked again, out of order, from a fresh source.
        Assert.Equal(epoch0, Firsts(0));
        Assert.Equal(source.Get(7, 3).InputIds, new PackedBatchSource(Sequences, seed: 1).Get(7, 3).InputIds);
        Assert.NotEqual(Enumerable.Range(0, 10).Select(i => source.Get(i, 1).InputIds[0]),
            Enumerable.Range(0, 10).Select(i => new PackedBatchSource(Sequences, seed: 2).Get(i, 1).InputIds[0]));
    }

    [Fact]
    public void A_position_transform_gives_each_sample_its_own_ids_over_the_target_window()
    {
        var spec = PositionTransformSpec.RandomPositions(targetLength: 64, seed: 9);
        var source = new PackedBatchSource(Sequences, seed: 1, spec);
        var batch = source.Get(3, 2);
        var row = batch.PositionIds.AsSpan(4, 4).ToArray();
        Assert.Equal(PositionTransform.Apply(spec, batch.InputIds.AsSpan(4, 4).ToArray().Select(t => (int)t).ToArray(), sample: 4).Select(p => (long)p), row);
        Assert.True(row.Zip(row.Skip(1)).All(p => p.Second > p.First) && row[^1] < 64);
    }

    [Fact]
    public void Sequences_of_different_lengths_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new PackedBatchSource([[1, 2, 3], [1, 2]], seed: 0));
        Assert.Contains("sequence 1 has 2 tokens, sequence 0 has 3", error.Message);
    }
}
