using System.Globalization;
using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Engine.Experiments;

/// <summary>How one method's estimate stands against another's: intervals apart in its favour, overlapping, or apart against it.</summary>
public enum Comparison { Better, Indistinguishable, Worse, NotMeasured }

/// <summary>One claim of the papers, what the experiment says of it, and the numbers it rests on.</summary>
public sealed record ClaimVerdict(string Claim, string Verdict, string Evidence);

/// <summary>
/// The papers' headline claims judged on an experiment's results, by method name (base, flt, longrecipe, pose,
/// rpes, pi, yarn, longrope, longrope-ft, pi-ft), at the target window T, each verdict from the 95% intervals:
/// a method is better than another on a metric only when their intervals do not overlap.
/// <list type="number">
/// <item>LongRecipe (Hu et al.): training at 30% of T lands within the interval of full-length training (FLT)
/// on perplexity, passkey and needle accuracy at T, with at most 30% of its training seconds;</item>
/// <item>LongRecipe is no worse than PoSE and RPES on any of those metrics;</item>
/// <item>replay and merging keep short-context perplexity within 3% of the base model's;</item>
/// <item>LongRoPE (Ding et al.): its searched rescaling beats PI and YaRN at T without training (perplexity), and
/// search followed by fine-tuning beats the same fine-tuning from PI.</item>
/// </list>
/// </summary>
public static class PaperClaims
{
    public const string Reproduced = "reproduced", NotReproduced = "not reproduced", NotRun = "not run";

    public static IReadOnlyList<ClaimVerdict> Judge(ExperimentResults results, int target)
    {
        MethodResult? M(string name) => results.Method(name) is { Runs: > 0 } m ? m : null;
        return [AtThirtyPercent(M("longrecipe"), M("flt"), target), AgainstShortMethods(M("longrecipe"), [M("pose"), M("rpes")], target),
            ShortContext(M("longrecipe")), LongRope(M("longrope"), M("pi"), M("yarn"), M("longrope-ft"), M("pi-ft"), target)];
    }

    /// <summary>
    /// <paramref name="a"/> against <paramref name="b"/>: Better or Worse only when the intervals are apart
    /// (lower is better for perplexity, higher for accuracy).
    /// </summary>
    public static Comparison Compare(Estimate? a, Estimate? b, bool lowerIsBetter)
    {
        if (a is null || b is null || !double.IsFinite(a.Value) || !double.IsFinite(b.Value)) return Comparison.NotMeasured;
        if (a.Overlaps(b)) return Comparison.Indistinguishable;
        return (a.Value < b.Value) == lowerIsBetter ? Comparison.Better : Comparison.Worse;
    }

    /// <summary>The three long-context metrics at T: (name, estimate, lower is better).</summary>
    private static (string Name, Estimate? Estimate, bool LowerIsBetter)[] Metrics(MethodResult m, int target) =>
    [
        ($"perplexity@{target}", m.Get(Benchmarks.Perplexity, target, "perplexity"), true),
        ($"passkey@{target}", m.Get(Benchmarks.Passkey, target), false),
        ($"needles@{target}", m.Get(Benchmarks.Niah, target), false),
    ];

    private static string Versus(MethodResult a, MethodResult b, int target) =>
        string.Join("; ", Metrics(a, target).Zip(Metrics(b, target), (x, y) =>
            $"{x.Name} {a.Method} {Show(x.Estimate)} vs {b.Method} {Show(y.Estimate)} ({Compare(x.Estimate, y.Estimate, x.LowerIsBetter).ToString().ToLowerInvariant()})"));

    private static bool NoneWorse(MethodResult a, MethodResult b, int target) =>
        Metrics(a, target).Zip(Metrics(b, target)).All(p => Compare(p.First.Estimate, p.Second.Estimate, p.First.LowerIsBetter) is not Comparison.Worse);

    private static ClaimVerdict AtThirtyPercent(MethodResult? recipe, MethodResult? flt, int target)
    {
        const string claim = "(a) LongRecipe at 30% of the target length lands within the interval of FLT with at most 30% of its GPU time";
        if (recipe is null || flt is null || recipe.TrainingSeconds is null || flt.TrainingSeconds is null) return new(claim, NotRun, "needs longrecipe and flt runs");
        var ratio = recipe.TrainingSeconds.Value / flt.TrainingSeconds.Value;
        var within = NoneWorse(recipe, flt, target);
        var evidence = $"{Versus(recipe, flt, target)}; training seconds {Show(recipe.TrainingSeconds)} vs {Show(flt.TrainingSeconds)} = {ratio:P0} of FLT's";
        return new(claim, within && ratio <= 0.30 ? Reproduced : NotReproduced, evidence);
    }

    private static ClaimVerdict AgainstShortMethods(MethodResult? recipe, IReadOnlyList<MethodResult?> others, int target)
    {
        const string claim = "(b) LongRecipe is at least as good as PoSE and RPES";
        if (recipe is null || others.Any(o => o is null)) return new(claim, NotRun, "needs longrecipe, pose and rpes runs");
        var evidence = string.Join(" | ", others.Select(o => Versus(recipe, o!, target)));
        return new(claim, others.All(o => NoneWorse(recipe, o!, target)) ? Reproduced : NotReproduced, evidence);
    }

    private static ClaimVerdict ShortContext(MethodResult? recipe)
    {
        const string claim = "(c) replay and merging keep short-context perplexity within 3% of the base model's";
        var final = recipe?.Cells.FirstOrDefault(c => c is { Stage: RecipeRunner.EvalStage, Benchmark: Benchmarks.ShortPerplexity })?.Estimate;
        var before = recipe?.Cells.FirstOrDefault(c => c is { Stage: RecipeRunner.BaseStage, Benchmark: Benchmarks.ShortPerplexity })?.Estimate;
        if (final is null || before is null) return new(claim, NotRun, "needs longrecipe runs with short-context retention measured");
        var change = final.Value / before.Value - 1;
        return new(claim, change <= 0.03 ? Reproduced : NotReproduced,
            $"short-context perplexity base {Show(before)} → after {Show(final)} ({change:+0.0%;-0.0%})");
    }

    private static ClaimVerdict LongRope(MethodResult? search, MethodResult? pi, MethodResult? yarn, MethodResult? searchTuned, MethodResult? piTuned, int target)
    {
        const string claim = "(d) the LongRoPE search beats PI and YaRN without training, and search + fine-tuning beats fine-tuning from PI";
        if (search is null || pi is null || yarn is null || searchTuned is null || piTuned is null)
            return new(claim, NotRun, "needs longrope, pi, yarn, longrope-ft and pi-ft runs");
        Estimate? Ppl(MethodResult m) => m.Get(Benchmarks.Perplexity, target, "perplexity");
        var versus = new[] { (search, pi), (search, yarn), (searchTuned, piTuned) }
            .Select(p => (p.Item1, p.Item2, Compare(Ppl(p.Item1), Ppl(p.Item2), lowerIsBetter: true))).ToList();
        var evidence = string.Join("; ", versus.Select(v =>
            $"perplexity@{target} {v.Item1.Method} {Show(Ppl(v.Item1))} vs {v.Item2.Method} {Show(Ppl(v.Item2))} ({v.Item3.ToString().ToLowerInvariant()})"));
        return new(claim, versus.All(v => v.Item3 == Comparison.Better) ? Reproduced : NotReproduced, evidence);
    }

    /// <summary>"12.3 [11.8, 12.9]", or the value alone when there is no interval.</summary>
    public static string Show(Estimate? e) =>
        e is null ? "—" : e.N <= 1 || e.High <= e.Low ? Format(e.Value) : $"{Format(e.Value)} [{Format(e.Low)}, {Format(e.High)}]";

    private static string Format(double v) =>
        v.ToString(Math.Abs(v) >= 100 ? "0" : Math.Abs(v) >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture);
}
