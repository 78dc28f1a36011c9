using System.Globalization;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.RopeSearch;
using LongRecipe.Lab.Components.Charts;
using LongRecipe.Lab.Components.Pages.Models;

namespace LongRecipe.Lab.Components.Pages.Positions;

/// <summary>
/// The LongRoPE search form as typed: the target factor s, the progressive stages as text ("2, 4";
/// empty searches at s only), population, generations (long and short phase), samples, seed and device.
/// Parents (the top-k kept each generation) follow the population: a quarter of it, at least one.
/// </summary>
public sealed record RopeSearchForm(
    double Factor = 4, string Progressive = "2, 4", int Population = 8, int Generations = 4, int ShortGenerations = 2,
    int Samples = 2, long Seed = 0, string Device = "cpu")
{
    /// <summary>The form that asked for <paramref name="request"/>, to show a running search's settings.</summary>
    public static RopeSearchForm From(RopeSearchRequest request)
    {
        var spec = request.Spec;
        return new(spec.Factor, spec.Progressive is { Count: > 0 } stages ? string.Join(", ", stages.Select(s => s.ToString(CultureInfo.InvariantCulture))) : "",
            spec.Population, spec.Generations, spec.ShortGenerations, spec.Samples, (long)spec.Seed, request.Device);
    }

    /// <summary>The request for <paramref name="model"/>, or null and the problem (the field and what is wrong).</summary>
    public RopeSearchRequest? ToRequest(ModelEntry model, out string? problem)
    {
        problem = null;
        var stages = new List<double>();
        foreach (var part in Progressive.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var stage))
            {
                problem = $"Progressive stage '{part}' is not a number.";
                return null;
            }
            stages.Add(stage);
        }
        if (Seed < 0)
        {
            problem = $"Seed must not be negative, got {Seed}.";
            return null;
        }
        var spec = new RopeSearchSpec(Factor, stages.Count > 0 ? stages : null, Population, Generations, Math.Max(1, Population / 4),
            ShortGenerations: ShortGenerations, Samples: Samples, Seed: (ulong)Seed);
        var request = new RopeSearchRequest(model, spec, Device.Trim());
        problem = request.Problem();
        return problem is null ? request : null;
    }

    /// <summary>A folder name for the searched model, e.g. builtin-longrope-4x.</summary>
    public static string ModelName(RopeSearchRequest request) =>
        $"{request.Model.Name}-longrope-{request.Spec.Factor.ToString("g", CultureInfo.InvariantCulture)}x";
}

/// <summary>What the search panel draws: best perplexity per generation, the best factors so far, and the stage table.</summary>
public static class LongRopeSearchView
{
    /// <summary>
    /// One trace per stage (in <see cref="RopeSearchSession.StageNames"/> order, so a live feed extends
    /// trace k with stage k's steps), holding <paramref name="steps"/>: x the step across stages, y the best perplexity.
    /// </summary>
    public static ChartFigure Perplexity(RopeSearchSession session, IReadOnlyList<RopeSearchStep> steps)
    {
        var traces = session.StageNames.Select((name, stage) =>
        {
            var mine = steps.Where(s => s.Stage == stage).ToArray();
            return new ChartTrace(name, mine.Select(s => (double)s.Step).ToArray(), mine.Select(s => s.Progress.BestPerplexity).ToArray())
                { Kind = TraceKind.LineMarkers };
        }).ToList();
        return new ChartFigure(traces, new ChartAxis("generation (all stages)"), new ChartAxis("best perplexity", Log: true))
            { Legend = LegendPlace.Top, Height = 300 };
    }

    /// <summary>The best factor λᵢ of each rotary pair at <paramref name="step"/>, beside linear interpolation's constant s.</summary>
    public static ChartFigure Factors(RopeSearchStep step, string stageName)
    {
        var factors = step.Progress.BestFactors;
        var pairs = Enumerable.Range(0, factors.Count).Select(i => (double)i).ToArray();
        return new ChartFigure(
            [
                new ChartTrace($"best ({stageName}, generation {step.Progress.Generation})", pairs, factors) { Kind = TraceKind.LineMarkers, Color = "#00897b" },
                new ChartTrace($"PI: s = {step.Progress.Factor:g}", [0, pairs[^1]], [step.Progress.Factor, step.Progress.Factor]) { Color = "#1e88e5", Dash = "dot" },
            ],
            new ChartAxis("rotary pair i"), new ChartAxis("rescale factor λᵢ"))
            { Legend = LegendPlace.Top, Height = 300 };
    }

    /// <summary>The searched long and short factors, beside linear interpolation's constant s.</summary>
    public static ChartFigure FinalFactors(RopeSearchResult result)
    {
        var (rope, s) = (result.Rope, result.Rope.Factor!.Value);
        var pairs = Enumerable.Range(0, rope.LongFactor!.Count).Select(i => (double)i).ToArray();
        return new ChartFigure(
            [
                new ChartTrace($"long_factor (beyond {rope.OriginalMaxPositionEmbeddings} tokens)", pairs, rope.LongFactor) { Kind = TraceKind.LineMarkers, Color = "#00897b" },
                new ChartTrace("short_factor", pairs, rope.ShortFactor!) { Kind = TraceKind.LineMarkers, Color = "#f4511e" },
                new ChartTrace($"PI: s = {s:g}", [0, pairs[^1]], [s, s]) { Color = "#1e88e5", Dash = "dot" },
            ],
            new ChartAxis("rotary pair i"), new ChartAxis("rescale factor λᵢ"))
            { Legend = LegendPlace.Top, Height = 300 };
    }

    /// <summary>One table row per stage: the searched perplexity beside plain linear interpolation's (plain RoPE in the short phase).</summary>
    public sealed record StageRow(string Stage, int Length, double Searched, double Baseline, string BaselineName, int Evaluated)
    {
        /// <summary>Searched over baseline perplexity: below 1 when the search beat it.</summary>
        public double Ratio => Searched / Baseline;
    }

    public static IReadOnlyList<StageRow> Stages(RopeSearchResult result) =>
        result.Stages.Select(s => new StageRow(
            $"{(s.Phase == RopeSearchPhase.Long ? "long" : "short")} {s.Factor:g}×", s.Length, s.BestPerplexity, s.LinearPerplexity,
            s.Phase == RopeSearchPhase.Long ? $"linear (PI) {s.Factor:g}×" : "plain RoPE", s.Evaluated)).ToArray();

    /// <summary>The searched long_factor as the RoPE form's text, to draw LongRoPE on the curves.</summary>
    public static string LongFactorText(RopeSearchResult result) =>
        string.Join(", ", result.Rope.LongFactor!.Select(f => f.ToString("0.##", CultureInfo.InvariantCulture)));
}
