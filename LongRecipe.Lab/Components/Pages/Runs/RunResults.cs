using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;

namespace LongRecipe.Lab.Components.Pages.Runs;

/// <summary>A measurement at one context length, e.g. passkey accuracy 0.75 at 1024 tokens.</summary>
public readonly record struct AtLength(int Length, double Value);

/// <summary>
/// What a run's evaluation measured, read from its eval cells: the final model's (stage "eval") needle accuracy
/// per (length, depth), passkey accuracy and perplexity per length, and short-context perplexity of the base model
/// (stage "base") and of the final model. A cell measured twice (a resumed run) counts with its last value.
/// </summary>
public sealed record EvalResults(
    IReadOnlyDictionary<(int Length, double Depth), double> NeedleAccuracy,
    IReadOnlyList<AtLength> PasskeyAccuracy,
    IReadOnlyList<AtLength> Perplexity,
    double? ShortPerplexityBase,
    double? ShortPerplexityFinal)
{
    private const string Accuracy = "accuracy";
    private const string PerplexityMetric = "perplexity";

    public static EvalResults From(IEnumerable<EvalEvent> evals)
    {
        var final = evals.Where(e => e.Stage == RecipeRunner.EvalStage).ToList();
        return new EvalResults(
            final.Where(e => e is { Benchmark: Benchmarks.Niah, Metric: Accuracy, Depth: not null })
                .GroupBy(e => (e.ContextLength, e.Depth!.Value))
                .ToDictionary(g => g.Key, g => g.Last().Value),
            ByLength(final, Benchmarks.Passkey, Accuracy),
            ByLength(final, Benchmarks.Perplexity, PerplexityMetric),
            evals.LastOrDefault(e => e is { Stage: RecipeRunner.BaseStage, Benchmark: Benchmarks.ShortPerplexity })?.Value,
            final.LastOrDefault(e => e.Benchmark == Benchmarks.ShortPerplexity)?.Value);
    }

    /// <summary>Passkey accuracy at the longest length measured, null when none was.</summary>
    public AtLength? LongestPasskey => PasskeyAccuracy.Count == 0 ? null : PasskeyAccuracy[^1];

    /// <summary>Perplexity at the longest length measured, null when none was.</summary>
    public AtLength? LongestPerplexity => Perplexity.Count == 0 ? null : Perplexity[^1];

    /// <summary>Needle accuracy at <paramref name="length"/> averaged over the depths measured there, null when none was.</summary>
    public double? MeanNeedleAccuracy(int length)
    {
        var cells = NeedleAccuracy.Where(c => c.Key.Length == length).Select(c => c.Value).ToList();
        return cells.Count == 0 ? null : cells.Average();
    }

    private static List<AtLength> ByLength(IEnumerable<EvalEvent> evals, string benchmark, string metric) =>
        evals.Where(e => e.Benchmark == benchmark && e.Metric == metric)
            .GroupBy(e => e.ContextLength)
            .Select(g => new AtLength(g.Key, g.Last().Value))
            .OrderBy(a => a.Length)
            .ToList();
}

/// <summary>
/// What a run trained, read from its whole step series: the last logged loss, and the optimizer steps and tokens
/// summed over its stages (each stage's trainer counts from zero, so a stage's last step event holds its totals).
/// </summary>
public sealed record TrainingTotals(double? FinalLoss, long Steps, long Tokens)
{
    public static TrainingTotals From(IReadOnlyList<StepEvent> steps)
    {
        var lastPerStage = steps.GroupBy(s => s.Stage).Select(g => g.MaxBy(s => s.Step)!).ToList();
        return new TrainingTotals(steps.Count == 0 ? null : steps[^1].Loss, lastPerStage.Sum(s => s.Step), lastPerStage.Sum(s => s.Tokens));
    }
}
