using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.Positions;

/// <summary>
/// Applies a <see cref="PositionTransformSpec"/> to one training sequence: returns its L position ids,
/// strictly increasing in [0, T). The input ids are unchanged. Sample k of a run draws from its own
/// stream (<see cref="SplitMix64.ForSample"/>), so the same spec, sample and tokens give the same ids.
/// </summary>
public static class PositionTransform
{
    /// <param name="isSentenceEnd">Which token ids end a sentence (e.g. Llama-3's ".", "\n", "?", "!", ".\n"); LongRecipe only.</param>
    public static int[] Apply(PositionTransformSpec spec, ReadOnlySpan<int> tokens, int sample = 0, Func<int, bool>? isSentenceEnd = null)
    {
        spec.Validate(tokens.Length);
        var rng = SplitMix64.ForSample(spec.Seed, sample);
        var length = tokens.Length;
        var target = spec.TargetLength;
        return spec.Scheme switch
        {
            PositionScheme.FullLength => FullLengthPositions.Transform(length),
            PositionScheme.RandomPositions => RandomPositions.Transform(length, target, rng),
            PositionScheme.Pose => PosePositions.Transform(length, target, spec.Chunks, rng),
            PositionScheme.LongRecipe => LongRecipePositions.Transform(
                tokens, target, spec.Rt1 ?? rng.NextInt(1, (length + 1) / 2),
                isSentenceEnd ?? throw new ArgumentException("LongRecipe needs the sentence-ending tokens", nameof(isSentenceEnd)),
                rng),
            _ => throw new ArgumentException($"unknown scheme {spec.Scheme}", nameof(spec)),
        };
    }
}
