namespace LongRecipe.Engine.Training;

public enum TrainingEnd { Completed, Cancelled, Failed }

/// <summary>How a training run ended; <paramref name="Error"/> says why when it failed. What the run means by it is the caller's.</summary>
public sealed record TrainingOutcome(TrainingEnd End, string? Error = null)
{
    public static TrainingOutcome Completed { get; } = new(TrainingEnd.Completed);

    public static TrainingOutcome Cancelled { get; } = new(TrainingEnd.Cancelled);

    public static TrainingOutcome Failed(string error) => new(TrainingEnd.Failed, error);
}
