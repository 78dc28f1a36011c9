namespace LongRecipe.Engine.Positions;

/// <summary>How training tokens get position ids (the reference code's `--setting`).</summary>
public enum PositionScheme
{
    /// <summary>Full-length training, reference `full`: train at the target length, positions 0..T−1.</summary>
    FullLength,
    /// <summary>Random positional encoding, reference `R`: sorted random positions in [0, T).</summary>
    RandomPositions,
    /// <summary>Positional skip-wise training, reference `pose`: contiguous chunks with random skips.</summary>
    Pose,
    /// <summary>Reference `LongRecipe`: a contiguous prefix, then sentences placed contiguously with random gaps.</summary>
    LongRecipe,
}

/// <summary>
/// A position-index transform: the scheme, the target window T it spans and the seed of its random draws.
/// <paramref name="Chunks"/> is read by PoSE only; <paramref name="Rt1"/> by LongRecipe only, where null
/// draws it per sample uniformly from [1, ⌈L/2⌉] as the reference's FSProcessor does.
/// Stored with every run, so it holds no tokenizer state: which tokens end a sentence is passed when applying.
/// </summary>
public sealed record PositionTransformSpec(
    PositionScheme Scheme,
    int TargetLength,
    ulong Seed = 0,
    int Chunks = 2,
    int? Rt1 = null)
{
    public static PositionTransformSpec FullLength(int targetLength) =>
        new(PositionScheme.FullLength, targetLength);

    public static PositionTransformSpec RandomPositions(int targetLength, ulong seed) =>
        new(PositionScheme.RandomPositions, targetLength, seed);

    public static PositionTransformSpec Pose(int targetLength, ulong seed, int chunks = 2) =>
        new(PositionScheme.Pose, targetLength, seed, Chunks: chunks);

    public static PositionTransformSpec LongRecipe(int targetLength, ulong seed, int? rt1 = null) =>
        new(PositionScheme.LongRecipe, targetLength, seed, Rt1: rt1);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the field when this spec cannot place <paramref name="sequenceLength"/> tokens.</summary>
    public void Validate(int sequenceLength)
    {
        if (TargetLength <= 0)
            throw new ArgumentException($"target_length must be positive, got {TargetLength}", nameof(TargetLength));
        if (sequenceLength <= 0)
            throw new ArgumentException($"sequence length L must be positive, got {sequenceLength}", nameof(sequenceLength));
        if (sequenceLength > TargetLength)
            throw new ArgumentException($"sequence length L = {sequenceLength} exceeds target_length T = {TargetLength}", nameof(sequenceLength));
        if (Scheme == PositionScheme.FullLength && sequenceLength != TargetLength)
            throw new ArgumentException($"full_length (FLT) trains at the target: sequence length L = {sequenceLength} must equal target_length T = {TargetLength}", nameof(sequenceLength));
        if (Scheme == PositionScheme.Pose && (Chunks < 1 || Chunks > sequenceLength))
            throw new ArgumentException($"chunks must be in [1, L = {sequenceLength}], got {Chunks}", nameof(Chunks));
        if (Scheme == PositionScheme.LongRecipe && Rt1 is { } rt1 && (rt1 < 0 || rt1 > sequenceLength))
            throw new ArgumentException($"rt1 must be in [0, L = {sequenceLength}], got {rt1}", nameof(Rt1));
    }
}
