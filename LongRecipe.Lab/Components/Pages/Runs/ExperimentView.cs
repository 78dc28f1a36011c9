using LongRecipe.Engine.Events;
using LongRecipe.Engine.Experiments;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Lab.Components.Pages.Runs;

/// <summary>A column of the methods table: one measured cell of the final evaluation, e.g. passkey accuracy at 1024.</summary>
public sealed record ExperimentColumn(string Label, string Benchmark, int Length, string Metric);

/// <summary>
/// One method of an experiment: its learning rate, its completed final runs of those planned (one per seed, one
/// for a training-free method), each column's estimate with its 95% interval as text, and its final runs.
/// </summary>
public sealed record ExperimentMethodRow(string Method, double? LearningRate, int Completed, int Planned, IReadOnlyList<string> Cells,
    IReadOnlyList<RunCost> Runs);

/// <summary>
/// An experiment as the Runs pages show it, read back from the run store by <see cref="ExperimentResults"/>: methods ×
/// seeds with means and 95% intervals (<see cref="Intervals"/>: Wilson for accuracies pooled over samples and seeds,
/// Student's t over seeds otherwise), the learning-rate selection and every run with its cost, each linked to its
/// dashboard. <see cref="CompareUrl"/> compares the methods' runs of one seed.
/// </summary>
public sealed record ExperimentView(string Name, IReadOnlyList<ulong> Seeds, IReadOnlyList<ExperimentColumn> Columns,
    IReadOnlyList<ExperimentMethodRow> Methods, IReadOnlyList<SelectionRow> Selection, IReadOnlyList<RunCost> Runs)
{
    /// <summary>The experiment's page.</summary>
    public static string Url(string name) => $"/runs/experiments/{Uri.EscapeDataString(name)}";

    /// <summary>The experiment the store holds under <paramref name="name"/>; a <see cref="KeyNotFoundException"/> when there is none.</summary>
    public static ExperimentView Load(RunStore store, string name)
    {
        var json = store.ExperimentSpec(name) ?? throw new KeyNotFoundException($"The run store has no experiment '{name}'.");
        var spec = ExperimentSpec.Parse(json, $"{store.FilePath}: experiments[{name}]");
        return Build(spec, ExperimentResults.Load(spec, store));
    }

    public static ExperimentView Build(ExperimentSpec spec, ExperimentResults results)
    {
        var columns = new List<ExperimentColumn>();
        foreach (var length in spec.Eval.Passkey?.Lengths ?? []) columns.Add(new($"passkey @ {length}", Benchmarks.Passkey, length, Metrics.Accuracy));
        foreach (var length in spec.Eval.Niah?.Lengths ?? []) columns.Add(new($"needle @ {length}", Benchmarks.Niah, length, Metrics.Accuracy));
        foreach (var length in spec.Eval.Perplexity?.Lengths ?? []) columns.Add(new($"perplexity @ {length}", Benchmarks.Perplexity, length, Metrics.Perplexity));
        var methods = results.Methods.Select(m => new ExperimentMethodRow(
            m.Method, m.LearningRate, m.Runs, m.Trained ? spec.Seeds.Count : 1,
            [.. columns.Select(c => PaperClaims.Show(m.Get(c.Benchmark, c.Length, c.Metric)))],
            [.. results.Runs.Where(r => r.Method == m.Method && r.Role == ExperimentRole.Final).OrderBy(r => r.Seed)])).ToList();
        return new ExperimentView(spec.Name, spec.Seeds, columns, methods, results.Selection, results.Runs);
    }

    /// <summary>
    /// The compare page for the methods' final runs of <paramref name="seed"/> (a training-free method's one run
    /// counts for every seed); null unless 2 to 4 of them have run.
    /// </summary>
    public string? CompareUrl(ulong seed)
    {
        var ids = Methods.Select(m => m.Runs.FirstOrDefault(r => r.Seed == seed) ?? (m.Planned == 1 ? m.Runs.FirstOrDefault() : null))
            .OfType<RunCost>().Select(r => r.RunId).ToList();
        return ids.Count is >= RunSelection.MinCompared and <= RunSelection.MaxCompared ? RunComparison.Url(ids) : null;
    }
}
