namespace LongRecipe.Engine.Training;

/// <summary>What the learning rate does after warmup.</summary>
public enum LearningRateDecay
{
    /// <summary>Half a cosine from the peak down to the minimum at the last step.</summary>
    Cosine,
    /// <summary>A straight line from the peak down to the minimum at the last step (zero when annealing).</summary>
    Linear,
    /// <summary>The peak until the end.</summary>
    Constant,
}

/// <summary>
/// The learning rate of optimizer step s (1-based) of <paramref name="TotalSteps"/>, a pure function:
///   s ≤ W:  peak · s / W                                   (linear warmup over W steps)
///   after, with progress p = (s − W) / (N − W) ∈ (0, 1]:
///     Cosine:       min + (peak − min) · ½ (1 + cos(π p))
///     Linear:       min + (peak − min) · (1 − p)
///     Constant:     peak
/// e.g. peak 1e-3, W 10, N 110, cosine to 1e-4: step 5 → 5e-4, step 60 → 5.5e-4, step 110 → 1e-4.
/// </summary>
public sealed record LearningRateSchedule(
    double Peak, long WarmupSteps, long TotalSteps, LearningRateDecay Decay = LearningRateDecay.Cosine, double Minimum = 0)
{
    public double At(long step)
    {
        if (step < 1 || step > TotalSteps)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"steps run from 1 to {TotalSteps}");
        if (step <= WarmupSteps) return Peak * step / WarmupSteps;
        var progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return Decay switch
        {
            LearningRateDecay.Cosine => Minimum + (Peak - Minimum) * 0.5 * (1 + Math.Cos(Math.PI * progress)),
            LearningRateDecay.Linear => Minimum + (Peak - Minimum) * (1 - progress),
            LearningRateDecay.Constant => Peak,
            _ => throw new ArgumentOutOfRangeException(nameof(Decay), Decay, "unknown decay"),
        };
    }
}
