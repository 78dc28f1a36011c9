using System.Globalization;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Runs;
using LongRecipe.Lab.Components.Charts;

namespace LongRecipe.Lab.Components.Pages.Runs;

/// <summary>
/// One run as the comparison reads it: its record, its step series thinned for charts, its training totals
/// (from every step) and its eval cells.
/// </summary>
public sealed record ComparedRun(RunRecord Run, IReadOnlyList<StepEvent> Steps, TrainingTotals Totals, IReadOnlyList<EvalEvent> Evals)
{
    /// <summary>Run <paramref name="id"/> as compared; null when the store has no such run.</summary>
    public static ComparedRun? Load(RunStore store, long id) => store.GetRun(id) is { } run
        ? new ComparedRun(run, store.Steps(id, RunComparison.MaxPointsPerRun), TrainingTotals.From(store.Steps(id)), store.Evals(id))
        : null;
}

/// <summary>A compared run's name in legends and column heads (with its id when names repeat) and its colour in every chart.</summary>
public sealed record RunLegend(long Id, string Label, string Color, RunStatus Status);

public enum MetricKind { Loss, Perplexity, Accuracy, Count, Duration }

/// <summary>One row of the metrics table: a label and one value per compared run (null where the run has none).</summary>
public sealed record MetricRow(string Label, IReadOnlyList<double?> Values, MetricKind Kind)
{
    public string Text(int run) => Values[run] is not { } value ? RunFormat.None : Kind switch
    {
        MetricKind.Loss => RunFormat.Loss(value),
        MetricKind.Perplexity => RunFormat.Perplexity(value),
        MetricKind.Accuracy => RunFormat.Accuracy(value),
        MetricKind.Count => RunFormat.Count(value),
        _ => RunFormat.Duration(TimeSpan.FromSeconds(value)),
    };
}

/// <summary>A run's needle-in-a-haystack heatmap, null when the run measured no needle cell.</summary>
public sealed record NeedleMap(RunLegend Run, ChartFigure? Figure);

public sealed record ComparisonView(
    IReadOnlyList<RunLegend> Runs,
    ChartFigure Loss, ChartFigure LearningRate, ChartFigure Throughput,
    IReadOnlyList<NeedleMap> Needles, ChartFigure Passkey, ChartFigure Perplexity,
    IReadOnlyList<MetricRow> Metrics, IReadOnlyList<SpecDifference> SpecDifferences)
{
    /// <summary>The ids asked for that the store has no run for, in the order asked.</summary>
    public IReadOnlyList<long> Missing { get; init; } = [];
}

/// <summary>
/// Builds the compare page from the runs asked for (2–4; fewer remain when some were deleted): loss, learning
/// rate and throughput over one step axis per run (stages follow each other: a stage's step s plots at the steps
/// of the stages before it plus s, and each stage boundary is marked), needle heatmaps on one colour scale
/// (accuracy 0–1) over the same lengths and depths, passkey accuracy and perplexity by length, the metrics
/// table and the spec diff.
/// </summary>
public static class RunComparison
{
    public const string Route = "/runs/compare";
    public const int MaxPointsPerRun = 2000;

    /// <summary>One colour per compared run, the same in every chart (plotly's first four).</summary>
    public static readonly IReadOnlyList<string> Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"];

    /// <summary>A stage boundary shared by several runs is drawn once, in this grey.</summary>
    public const string SharedMarkerColor = "#888888";

    public static string Url(IEnumerable<long> ids) => $"{Route}?ids={string.Join(',', ids)}";

    /// <summary>Reads "3,7,12" (the compare page's ids parameter); throws an <see cref="ArgumentException"/> naming the value and what is wrong.</summary>
    public static IReadOnlyList<long> ParseIds(string? text)
    {
        var parts = (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var ids = new List<long>();
        foreach (var part in parts)
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                throw new ArgumentException($"ids={text}: '{part}' is not a run id (ids=3,7 compares runs 3 and 7).");
            if (!ids.Contains(id)) ids.Add(id);
        }
        if (ids.Count is < RunSelection.MinCompared or > RunSelection.MaxCompared)
            throw new ArgumentException($"ids={text}: compare {RunSelection.MinCompared} to {RunSelection.MaxCompared} runs, got {ids.Count} (ids=3,7 compares runs 3 and 7).");
        return ids;
    }

    /// <summary>
    /// The comparison of those of <paramref name="ids"/> the store has, naming the others in <see cref="ComparisonView.Missing"/>;
    /// a <see cref="KeyNotFoundException"/> naming them when it has none.
    /// </summary>
    public static ComparisonView Load(RunStore store, IReadOnlyList<long> ids, DateTimeOffset now)
    {
        var runs = ids.Select(id => ComparedRun.Load(store, id)).OfType<ComparedRun>().ToList();
        if (runs.Count == 0) throw new KeyNotFoundException(RunFormat.NoRuns(ids));
        return Build(runs, now) with { Missing = [.. ids.Where(id => runs.All(r => r.Run.Id != id))] };
    }

    public static ComparisonView Build(IReadOnlyList<ComparedRun> runs, DateTimeOffset now)
    {
        if (runs.Count is < 1 or > RunSelection.MaxCompared)
            throw new ArgumentException($"compare 1 to {RunSelection.MaxCompared} runs, got {runs.Count}", nameof(runs));
        var legends = Legends(runs);
        var results = runs.Select(r => EvalResults.From(r.Evals)).ToList();
        var series = runs.Select(r => StepSeries.Of(r.Steps)).ToList();
        var markers = StageMarkers(series, legends);

        ChartFigure Curve(Func<StepEvent, double> value, string title, ChartAxis y) => new(
            series.Select((s, i) => new ChartTrace(legends[i].Label, s.X, s.Steps.Select(value).ToList()) { Color = legends[i].Color }).ToList(),
            new ChartAxis("step (stages in order)"), y) { Title = title, Markers = markers };

        return new ComparisonView(
            legends,
            Curve(s => s.Loss, "Training loss", new ChartAxis("loss")),
            Curve(s => s.LearningRate, "Learning rate", new ChartAxis("learning rate")) with { Height = 260 },
            Curve(s => s.TokensPerSecond, "Throughput", new ChartAxis("tokens / s")) with { Height = 260 },
            NeedleMaps(results, legends),
            PasskeyBars(results, legends),
            PerplexityLines(runs, results, legends),
            Metrics(runs, results, now),
            SpecDiff.Compare(runs.Select(r => r.Run.Spec.ToJson()).ToList()));
    }

    private static List<RunLegend> Legends(IReadOnlyList<ComparedRun> runs)
    {
        var repeated = runs.GroupBy(r => r.Run.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        return runs.Select((r, i) => new RunLegend(r.Run.Id, repeated.Contains(r.Run.Name) ? $"{r.Run.Name} #{r.Run.Id}" : r.Run.Name,
            Palette[i], r.Run.Status)).ToList();
    }

    /// <summary>A run's steps on one axis: X[i] is Steps[i]'s step plus the step counts of the stages before it.</summary>
    private sealed record StepSeries(IReadOnlyList<StepEvent> Steps, IReadOnlyList<double> X, IReadOnlyList<(double X, string Stage)> Boundaries)
    {
        public static StepSeries Of(IReadOnlyList<StepEvent> steps)
        {
            var x = new List<double>(steps.Count);
            var boundaries = new List<(double, string)>();
            var offset = 0L;
            for (var i = 0; i < steps.Count; i++)
            {
                if (i > 0 && steps[i].Stage != steps[i - 1].Stage)
                {
                    offset += steps[i - 1].TotalSteps;
                    boundaries.Add((offset, steps[i].Stage));
                }
                x.Add(offset + steps[i].Step);
            }
            return new StepSeries(steps, x, boundaries);
        }
    }

    private static List<ChartMarker> StageMarkers(IReadOnlyList<StepSeries> series, IReadOnlyList<RunLegend> legends) =>
        series.SelectMany((s, run) => s.Boundaries.Select(b => (b.X, b.Stage, Run: run)))
            .GroupBy(b => (b.X, b.Stage))
            .Select(g => new ChartMarker(g.Key.X, g.Key.Stage, g.Count() > 1 ? SharedMarkerColor : legends[g.Single().Run].Color))
            .ToList();

    private static List<NeedleMap> NeedleMaps(IReadOnlyList<EvalResults> results, IReadOnlyList<RunLegend> legends)
    {
        var lengths = results.SelectMany(r => r.NeedleAccuracy.Keys.Select(k => k.Length)).Distinct().Order().ToList();
        var depths = results.SelectMany(r => r.NeedleAccuracy.Keys.Select(k => k.Depth)).Distinct().Order().ToList();
        return results.Select((r, i) => new NeedleMap(legends[i], r.NeedleAccuracy.Count == 0 ? null : new ChartFigure(
            [
                new ChartTrace("needle accuracy", lengths.Select((_, k) => (double)k).ToList(), depths)
                {
                    Kind = TraceKind.Heatmap,
                    XLabels = lengths.Select(l => l.ToString(CultureInfo.InvariantCulture)).ToList(),
                    Z = depths.Select(d => (IReadOnlyList<double?>)lengths.Select(l => r.NeedleAccuracy.TryGetValue((l, d), out var v) ? v : (double?)null).ToList()).ToList(),
                    ZRange = (0, 1),
                    CellText = "%{z:.0%}",
                },
            ],
            new ChartAxis("context length"), new ChartAxis("needle depth (%)")) { Title = legends[i].Label, Height = 280 })).ToList();
    }

    private static ChartFigure PasskeyBars(IReadOnlyList<EvalResults> results, IReadOnlyList<RunLegend> legends) => new(
        results.Select((r, i) => new ChartTrace(legends[i].Label, r.PasskeyAccuracy.Select(a => (double)a.Length).ToList(),
            r.PasskeyAccuracy.Select(a => a.Value).ToList())
        {
            Kind = TraceKind.Bar,
            XLabels = r.PasskeyAccuracy.Select(a => a.Length.ToString(CultureInfo.InvariantCulture)).ToList(),
            Color = legends[i].Color,
        }).ToList(),
        new ChartAxis("context length"), new ChartAxis("passkey accuracy")) { Title = "Passkey accuracy by length", Height = 300 };

    private static ChartFigure PerplexityLines(IReadOnlyList<ComparedRun> runs, IReadOnlyList<EvalResults> results, IReadOnlyList<RunLegend> legends)
    {
        var natives = runs.Select(r => r.Run.Spec.NativeLength).Distinct().ToList();
        return new ChartFigure(
            results.Select((r, i) => new ChartTrace(legends[i].Label, r.Perplexity.Select(p => (double)p.Length).ToList(),
                r.Perplexity.Select(p => p.Value).ToList()) { Kind = TraceKind.LineMarkers, Color = legends[i].Color }).ToList(),
            new ChartAxis("context length", Log: true), new ChartAxis("perplexity", Log: true))
        {
            Title = "Perplexity by length",
            Height = 300,
            Markers = natives is [{ } native] ? [new ChartMarker(native, "native window")] : [],
        };
    }

    private static List<MetricRow> Metrics(IReadOnlyList<ComparedRun> runs, IReadOnlyList<EvalResults> results, DateTimeOffset now)
    {
        IEnumerable<int> Lengths(Func<EvalResults, IEnumerable<int>> of) => results.SelectMany(of).Distinct().Order();
        var rows = new List<MetricRow>
        {
            new("Final loss", runs.Select(r => r.Totals.FinalLoss).ToList(), MetricKind.Loss),
            new("Optimizer steps", runs.Select(r => (double?)r.Totals.Steps).ToList(), MetricKind.Count),
            new("Tokens trained", runs.Select(r => (double?)r.Totals.Tokens).ToList(), MetricKind.Count),
            new("Duration", runs.Select(r => RunRow.Elapsed(r.Run, now)?.TotalSeconds).ToList(), MetricKind.Duration),
        };
        foreach (var length in Lengths(r => r.PasskeyAccuracy.Select(a => a.Length)))
            rows.Add(new($"Passkey accuracy @ {length}", results.Select(r => At(r.PasskeyAccuracy, length)).ToList(), MetricKind.Accuracy));
        foreach (var length in Lengths(r => r.NeedleAccuracy.Keys.Select(k => k.Length)))
            rows.Add(new($"Needle accuracy @ {length} (mean over depths)", results.Select(r => r.MeanNeedleAccuracy(length)).ToList(), MetricKind.Accuracy));
        foreach (var length in Lengths(r => r.Perplexity.Select(a => a.Length)))
            rows.Add(new($"Perplexity @ {length}", results.Select(r => At(r.Perplexity, length)).ToList(), MetricKind.Perplexity));
        rows.Add(new("Short perplexity, base model", results.Select(r => r.ShortPerplexityBase).ToList(), MetricKind.Perplexity));
        rows.Add(new("Short perplexity, final model", results.Select(r => r.ShortPerplexityFinal).ToList(), MetricKind.Perplexity));
        return rows;
    }

    private static double? At(IReadOnlyList<AtLength> values, int length) =>
        values.Where(v => v.Length == length).Select(v => (double?)v.Value).FirstOrDefault();
}
