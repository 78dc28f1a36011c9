using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.Training;

/// <summary>
/// One micro-batch on the host, row-major [BatchSize, Length]: the input ids, their position ids, and
/// the target of each position (the next token; <see cref="Ignore"/> where there is none).
/// </summary>
public sealed record TrainingBatch(int BatchSize, int Length, long[] InputIds, long[] PositionIds, long[] Targets)
{
    /// <summary>The target that contributes no loss (transformers' -100).</summary>
    public const long Ignore = -100;

    /// <summary>Targets that count towards the loss.</summary>
    public long TargetCount => Targets.LongCount(t => t != Ignore);
}

/// <summary>
/// Training data as a numbered series of samples. The trainer asks for micro-batch m of step s as the
/// samples from ((s − 1) · accumulation + m) · batch on, so the data of a step depends on nothing but
/// its number: a resumed run sees exactly the batches the uninterrupted run would have.
/// </summary>
public interface IBatchSource
{
    /// <summary>Samples <paramref name="firstSample"/> … <paramref name="firstSample"/> + <paramref name="count"/> − 1 as one batch.</summary>
    TrainingBatch Get(long firstSample, int count);
}

/// <summary>
/// Batches over packed sequences of one length (<see cref="Corpora.SequencePacking"/>'s output). The
/// samples go through the sequences epoch by epoch, each epoch in its own seeded order; a sequence's
/// targets are its tokens shifted by one, the last ignored. With a position transform, sample n gets
/// the transform's position ids for sample n (PoSE, RPES, LongRecipe spread over the target window),
/// otherwise 0 … L−1.
/// </summary>
public sealed class PackedBatchSource : IBatchSource
{
    private readonly IReadOnlyList<int[]> sequences;
    private readonly ulong seed;
    private readonly PositionTransformSpec? positions;
    private readonly Func<int, bool>? isSentenceEnd;
    private readonly Lock orderLock = new();
    private (long Epoch, int[] Order) order = (-1, []);

    /// <param name="isSentenceEnd">Which token ids end a sentence; the LongRecipe transform needs them.</param>
    public PackedBatchSource(IReadOnlyList<int[]> sequences, ulong seed, PositionTransformSpec? positions = null,
        Func<int, bool>? isSentenceEnd = null)
    {
        if (sequences.Count == 0) throw new ArgumentException("there are no sequences to train on", nameof(sequences));
        Length = sequences[0].Length;
        if (Length < 2) throw new ArgumentException($"sequences need at least 2 tokens to predict one, not {Length}", nameof(sequences));
        for (var i = 0; i < sequences.Count; i++)
            if (sequences[i].Length != Length)
                throw new ArgumentException($"sequence {i} has {sequences[i].Length} tokens, sequence 0 has {Length}; pack them to one length", nameof(sequences));
        positions?.Validate(Length);
        this.sequences = sequences;
        this.seed = seed;
        this.positions = positions;
        this.isSentenceEnd = isSentenceEnd;
    }

    /// <summary>Tokens per sequence, e.g. 256.</summary>
    public int Length { get; }

    public int SequenceCount => sequences.Count;

    public TrainingBatch Get(long firstSample, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstSample);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var (inputs, positionIds, targets) = (new long[count * Length], new long[count * Length], new long[count * Length]);
        for (var row = 0; row < count; row++)
        {
            var sample = firstSample + row;
            var tokens = sequences[Sequence(sample)];
            var ids = positions is null ? null : PositionTransform.Apply(positions, tokens, checked((int)sample), isSentenceEnd);
            var offset = row * Length;
            for (var i = 0; i < Length; i++)
            {
                inputs[offset + i] = tokens[i];
                positionIds[offset + i] = ids?[i] ?? i;
                targets[offset + i] = i + 1 < Length ? tokens[i + 1] : TrainingBatch.Ignore;
            }
        }
        return new TrainingBatch(count, Length, inputs, positionIds, targets);
    }

    /// <summary>The sequence behind sample n: position n mod N of epoch n div N's shuffled order.</summary>
    private int Sequence(long sample)
    {
        var epoch = sample / sequences.Count;
        lock (orderLock)
        {
            if (order.Epoch != epoch) order = (epoch, Shuffled(epoch));
            return order.Order[sample % sequences.Count];
        }
    }

    /// <summary>A Fisher–Yates shuffle of 0 … N−1 drawn from the epoch's own stream.</summary>
    private int[] Shuffled(long epoch)
    {
        var random = SplitMix64.ForSample(seed, checked((int)epoch));
        var permutation = Enumerable.Range(0, sequences.Count).ToArray();
        for (var i = permutation.Length - 1; i > 0; i--)
        {
            var j = random.NextInt(0, i);
            (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
        }
        return permutation;
    }
}
