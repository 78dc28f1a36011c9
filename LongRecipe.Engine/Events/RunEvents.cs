using System.Text.Json.Serialization;

namespace LongRecipe.Engine.Events;

/// <summary>
/// The one stream a run emits: the trainer, the evaluator and the recipe write these; the run store,
/// the Lab (SignalR) and the command line's progress bar read them. Every event names its stage so a
/// multi-stage recipe is one series. As JSON (<see cref="EventJson"/>) the "type" names the kind.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = EventJson.Discriminator)]
[JsonDerivedType(typeof(StepEvent), "step")]
[JsonDerivedType(typeof(StageEvent), "stage")]
[JsonDerivedType(typeof(EvalEvent), "eval")]
[JsonDerivedType(typeof(SearchEvent), "search")]
[JsonDerivedType(typeof(CheckpointEvent), "checkpoint")]
[JsonDerivedType(typeof(LogEvent), "log")]
[JsonDerivedType(typeof(StatusEvent), "status")]
public abstract record RunEvent(
    [property: JsonPropertyOrder(-2)] DateTimeOffset Time,
    [property: JsonPropertyOrder(-1)] string Stage);

/// <summary>
/// Where engine work writes its events: synchronously, on the thread doing the work, in order. The run launcher
/// hands them to another thread; a test collects them with <c>events.Add</c>.
/// </summary>
public delegate void EventSink(RunEvent runEvent);

/// <summary>One optimizer step. Loss is the mean token loss of the step (all accumulation micro-batches).</summary>
public sealed record StepEvent(
    DateTimeOffset Time, string Stage,
    long Step, long TotalSteps,
    double Loss, double LearningRate, double GradNorm,
    double TokensPerSecond, long Tokens,
    long MemoryBytes,
    [property: JsonPropertyName("eta_seconds"), JsonConverter(typeof(SecondsConverter))] TimeSpan Eta,
    int SkippedSteps) : RunEvent(Time, Stage)
{
    public double Perplexity => Math.Exp(Loss);
}

public enum StagePhase { Started, Completed }

/// <summary>A stage of the recipe began or ended (Index is 0-based of Count).</summary>
public sealed record StageEvent(DateTimeOffset Time, string Stage, StagePhase Phase, int Index, int Count)
    : RunEvent(Time, Stage);

/// <summary>
/// One evaluation cell, streamed as soon as it is measured. Benchmark is one of <see cref="Benchmarks"/>;
/// Depth is the needle depth in percent (niah only); Metric (one of <see cref="Metrics"/>) names Value.
/// </summary>
public sealed record EvalEvent(
    DateTimeOffset Time, string Stage,
    string Benchmark, int ContextLength, double? Depth,
    string Metric, double Value, int Samples) : RunEvent(Time, Stage);

/// <summary>What a LongRoPE search is searching: long_factor and n̂ at a stage's extended window, or short_factor at the native window.</summary>
public enum RopeSearchPhase { Long, Short }

/// <summary>
/// One generation of a search stage (LongRoPE): the phase (long factors and n̂ at s × the native window, then short
/// factors at the native window), the extension s, Generation of Generations (0 is the initial population), the
/// distinct candidates scored so far, and the best candidate yet — its perplexity, n̂ and factors.
/// </summary>
public sealed record SearchEvent(
    DateTimeOffset Time, string Stage,
    RopeSearchPhase Phase, double Factor, int Generation, int Generations, int Evaluated,
    double BestPerplexity, int InitialUnscaledTokens, IReadOnlyList<double> Factors) : RunEvent(Time, Stage);

/// <summary>A checkpoint was written (atomically) at Path after Step.</summary>
public sealed record CheckpointEvent(DateTimeOffset Time, string Stage, long Step, string Path)
    : RunEvent(Time, Stage);

public enum RunLogLevel { Debug, Information, Warning, Error }

public sealed record LogEvent(DateTimeOffset Time, string Stage, RunLogLevel Level, string Message)
    : RunEvent(Time, Stage);

public enum RunStatus { Queued, Running, Completed, Failed, Cancelled, Interrupted }

/// <summary>The run changed status; Error says why when it failed.</summary>
public sealed record StatusEvent(DateTimeOffset Time, string Stage, RunStatus Status, string? Error = null)
    : RunEvent(Time, Stage);
