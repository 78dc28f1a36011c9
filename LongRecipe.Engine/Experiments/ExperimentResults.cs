using System.Text.Json.Serialization;
using System.Text.Json;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.IO;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Engine.Experiments;

/// <summary>
/// One measured quantity of a method over its final runs: the eval cell's key and its estimate with a 95%
/// interval. Accuracies pool every sample of every seed (Wilson); anything else is a mean over seeds (Student's t).
/// Depth null on a needle accuracy means pooled over all depths of that length.
/// </summary>
public sealed record MethodCell(string Stage, string Benchmark, int ContextLength, double? Depth, string Metric, Estimate Estimate);

/// <summary>What one run cost: optimizer tokens and seconds in the method's own stages (evaluation excluded), and the whole run's seconds.</summary>
public sealed record RunCost(
    long RunId, string Method, ExperimentRole Role, ulong Seed, double? LearningRate, RunStatus Status,
    long TrainingTokens, double TrainingSeconds, double TotalSeconds);

/// <summary>A method's final runs summarised; LearningRate is the chosen peak rate (null for training-free methods).</summary>
public sealed record MethodResult(
    string Method, bool Trained, double? LearningRate, int Runs, IReadOnlyList<MethodCell> Cells,
    Estimate? TrainingTokens, Estimate? TrainingSeconds)
{
    /// <summary>The estimate of one cell of the final evaluation (stage "eval" unless named), null when not measured.</summary>
    public Estimate? Get(string benchmark, int length, string metric = "accuracy", double? depth = null, string stage = RecipeRunner.EvalStage) =>
        Cells.FirstOrDefault(c => c.Stage == stage && c.Benchmark == benchmark && c.ContextLength == length && c.Depth == depth && c.Metric == metric)?.Estimate;
}

/// <summary>One run of the learning-rate grid: its validation value (null when it did not complete) and whether it was chosen.</summary>
public sealed record SelectionRow(string Method, double LearningRate, double? Value, bool Chosen, long? RunId);

/// <summary>
/// An experiment's results read back from the run store: only runs whose specs are the ones the experiment
/// plans count (a changed spec leaves older runs out), failed runs are listed with their costs but measured
/// by none of the estimates.
/// </summary>
public sealed record ExperimentResults(
    string Name, SelectionCriterion? Criterion, IReadOnlyList<SelectionRow> Selection, IReadOnlyList<MethodResult> Methods,
    IReadOnlyList<RunCost> Runs)
{
    public MethodResult? Method(string name) => Methods.FirstOrDefault(m => m.Method == name);

    public string ToJson() => JsonSerializer.Serialize(this, ExperimentResultsJson.Default.ExperimentResults);

    /// <summary>Each trained method's learning rate: the grid's best completed run on the criterion (ties: the smaller rate).</summary>
    public static IReadOnlyDictionary<string, double> ChooseLearningRates(ExperimentSpec spec, RunStore store) =>
        SelectionRows(spec, store).Where(r => r.Chosen).ToDictionary(r => r.Method, r => r.LearningRate);

    /// <summary>The results of the experiment the store holds under <paramref name="name"/>, from the spec it was last run with.</summary>
    public static ExperimentResults Load(RunStore store, string name) =>
        Load(store.ExperimentSpec(name) is { } json
            ? ExperimentSpec.Parse(json, $"{store.FilePath}: experiments[{name}]")
            : throw new ArgumentException($"the run store has no experiment '{name}'", nameof(name)), store);

    public static ExperimentResults Load(ExperimentSpec spec, RunStore store)
    {
        var selection = SelectionRows(spec, store);
        var chosen = selection.Where(r => r.Chosen).ToDictionary(r => r.Method, r => r.LearningRate);
        var finals = Matching(store, spec, ExperimentPlan.Finals(spec, chosen));
        var costs = Matching(store, spec, ExperimentPlan.Selection(spec)).Concat(finals).Select(r => Cost(store, r)).ToList();
        var methods = spec.Methods.Select(method =>
        {
            var runs = finals.Where(r => r.Spec.Experiment!.Method == method.Name && r.Status == RunStatus.Completed).ToList();
            var runCosts = costs.Where(c => runs.Any(r => r.Id == c.RunId)).ToList();
            return new MethodResult(method.Name, !method.IsTrainingFree, chosen.TryGetValue(method.Name, out var lr) ? lr : LearningRate(method),
                runs.Count, Cells(runs.Select(r => store.Evals(r.Id)).ToList()),
                runCosts.Count == 0 ? null : Intervals.StudentT([.. runCosts.Select(c => (double)c.TrainingTokens)]),
                runCosts.Count == 0 ? null : Intervals.StudentT([.. runCosts.Select(c => c.TrainingSeconds)]));
        }).ToList();
        return new ExperimentResults(spec.Name, spec.Criterion, selection, methods, costs);
    }

    private static List<SelectionRow> SelectionRows(ExperimentSpec spec, RunStore store)
    {
        if (spec.Criterion is not { } criterion) return [];
        var runs = Matching(store, spec, ExperimentPlan.Selection(spec));
        var rows = new List<SelectionRow>();
        foreach (var method in spec.Methods.Where(m => !m.IsTrainingFree))
        {
            var candidates = spec.LearningRates.Order().Select(lr =>
            {
                var json = WithTag(ExperimentPlan.Selection(spec), method.Name, lr);
                var run = runs.FirstOrDefault(r => r.Spec.ToJson() == json && r.Status == RunStatus.Completed);
                var cells = run is null ? [] : store.Evals(run.Id)
                    .Where(e => e.Stage == RecipeRunner.EvalStage && e.Benchmark == criterion.Benchmark && e.Metric == criterion.Metric
                                && e.ContextLength == criterion.ContextLength).ToList();
                return (LearningRate: lr, Value: cells.Count == 0 ? (double?)null : cells.Average(e => e.Value), Run: run?.Id);
            }).ToList();
            var measured = candidates.Where(c => c.Value is { } v && double.IsFinite(v)).ToList();
            double? best = measured.Count == 0 ? null
                : (criterion.Maximize ? measured.MaxBy(c => c.Value!.Value) : measured.MinBy(c => c.Value!.Value)).LearningRate;
            rows.AddRange(candidates.Select(c => new SelectionRow(method.Name, c.LearningRate, c.Value, c.LearningRate == best, c.Run)));
        }
        return rows;
    }

    private static string WithTag(IReadOnlyList<RunSpec> planned, string method, double lr) =>
        planned.Single(p => p.Experiment!.Method == method && p.Name == $"{method} lr={ExperimentPlan.Format(lr)}").ToJson();

    /// <summary>The store's runs of the experiment whose specs are among <paramref name="planned"/>, newest first.</summary>
    private static List<RunRecord> Matching(RunStore store, ExperimentSpec spec, IReadOnlyList<RunSpec> planned)
    {
        var wanted = planned.Select(p => p.ToJson()).ToHashSet();
        return [.. store.ListRuns(new RunFilter(Experiment: spec.Name)).Where(r => wanted.Contains(r.Spec.ToJson()))];
    }

    private static double? LearningRate(RunSpec spec) => spec.Stages.OfType<TrainingStageSpec>().FirstOrDefault()?.LearningRate;

    private static RunCost Cost(RunStore store, RunRecord run)
    {
        var tokens = store.Steps(run.Id).GroupBy(s => s.Stage).Sum(g => g.Max(s => s.Tokens));
        var stages = store.Stages(run.Id).Where(s => s.Stage != RecipeRunner.EvalStage).GroupBy(s => s.Stage)
            .Where(g => g.Any(s => s.Phase == StagePhase.Completed))
            .Sum(g => (g.Single(s => s.Phase == StagePhase.Completed).Time - g.Single(s => s.Phase == StagePhase.Started).Time).TotalSeconds);
        var total = run.Started is { } start && run.Ended is { } end ? (end - start).TotalSeconds : 0;
        var tag = run.Spec.Experiment!;
        return new RunCost(run.Id, tag.Method, tag.Role, run.Spec.Seed, LearningRate(run.Spec), run.Status, tokens, stages, total);
    }

    /// <summary>Every eval cell across the runs with its estimate, and each needle length's accuracy pooled over its depths.</summary>
    private static List<MethodCell> Cells(IReadOnlyList<IReadOnlyList<EvalEvent>> runs)
    {
        if (runs.Count == 0) return [];
        var events = runs.SelectMany(r => r).ToList();
        var pooledNeedles = events.Where(e => e is { Benchmark: "niah", Metric: "accuracy", Depth: not null })
            .Select(e => e with { Depth = null });
        return [.. events.Concat(pooledNeedles)
            .GroupBy(e => (e.Stage, e.Benchmark, e.ContextLength, e.Depth, e.Metric))
            .Select(g => new MethodCell(g.Key.Stage, g.Key.Benchmark, g.Key.ContextLength, g.Key.Depth, g.Key.Metric, g.Key.Metric == "accuracy"
                ? Intervals.Wilson(g.Sum(e => (long)Math.Round(e.Value * e.Samples)), g.Sum(e => (long)e.Samples))
                : Intervals.StudentT([.. g.Select(e => e.Value)])))
            .OrderBy(c => c.Stage).ThenBy(c => c.Benchmark).ThenBy(c => c.ContextLength).ThenBy(c => c.Depth ?? -1).ThenBy(c => c.Metric)];
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    Converters = [typeof(SnakeCaseEnumConverter<ExperimentRole>), typeof(SnakeCaseEnumConverter<RunStatus>)])]
[JsonSerializable(typeof(ExperimentResults))]
internal sealed partial class ExperimentResultsJson : JsonSerializerContext;
