using System.Globalization;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Lab.Components.Charts;

namespace LongRecipe.Lab.Components.Pages.RunDashboard;

/// <summary>A point for a live chart: trace <paramref name="Trace"/> of chart <paramref name="Chart"/>.</summary>
public sealed record SeriesPoint(string Chart, int Trace, double X, double Y);

/// <summary>
/// What the run dashboard draws from a <see cref="DashboardState"/>. Step charts share one x axis, the recipe step,
/// with one trace per training stage (loss, perplexity on a log axis, learning rate, throughput, memory); a new step
/// adds <see cref="Points"/> to the live charts, and the whole figure is those points for every step so far. Before
/// the first step a chart says what it waits for. The search chart has a pair of traces per search stage (long phase
/// solid, short phase dotted): best perplexity per generation.
/// </summary>
public static class DashboardFigures
{
    public const string LossChart = "loss", PerplexityChart = "perplexity-steps", LearningRateChart = "lr", ThroughputChart = "throughput",
        MemoryChart = "memory";
    public const string SearchChart = "search";
    public static readonly string[] StepCharts = [LossChart, PerplexityChart, LearningRateChart, ThroughputChart, MemoryChart];

    /// <summary>Every chart a live feed extends: the step charts and the search chart.</summary>
    public static readonly string[] LiveCharts = [.. StepCharts, SearchChart];

    private static readonly string[] StageColors = ["#1f77b4", "#ff7f0e", "#2ca02c"];

    /// <summary>The points a new step or search generation (as <see cref="DashboardState.Apply"/> returns it) adds to the live charts.</summary>
    public static IReadOnlyList<SeriesPoint> Points(DashboardState state, RunEvent added) => added switch
    {
        StepEvent step => StepPoints(state, step),
        SearchEvent search => [SearchPoint(state, search)],
        _ => [],
    };

    /// <summary>A generation's best perplexity on its search stage's trace: 2 × the stage's place among the searches, + 1 in the short phase.</summary>
    private static SeriesPoint SearchPoint(DashboardState state, SearchEvent search) =>
        new(SearchChart, 2 * state.SearchStages.ToList().IndexOf(search.Stage) + (search.Phase == RopeSearchPhase.Short ? 1 : 0),
            search.Generation, search.BestPerplexity);

    /// <summary>The points one step adds to the step charts, on its training stage's trace.</summary>
    private static IReadOnlyList<SeriesPoint> StepPoints(DashboardState state, StepEvent step)
    {
        var trace = state.TrainingIndex(step.Stage);
        var x = state.RecipeStep(step);
        return
        [
            new(LossChart, trace, x, step.Loss),
            new(PerplexityChart, trace, x, step.Perplexity),
            new(LearningRateChart, trace, x, step.LearningRate),
            new(ThroughputChart, trace, x, step.TokensPerSecond),
            new(MemoryChart, trace, x, step.MemoryBytes / (1024.0 * 1024.0)),
        ];
    }

    /// <summary>Every step folded in so far, as the figure of one step chart (live points then extend it).</summary>
    public static ChartFigure StepFigure(DashboardState state, string chart)
    {
        var traces = new List<ChartTrace>();
        for (var i = 0; i < state.TrainingStages.Count; i++)
        {
            var points = state.Steps(i).SelectMany(s => StepPoints(state, s)).Where(p => p.Chart == chart).ToList();
            // Markers too: a stage's single point (or the first of a run) shows.
            traces.Add(new ChartTrace(state.TrainingStages[i], [.. points.Select(p => p.X)], [.. points.Select(p => p.Y)])
            {
                Kind = TraceKind.LineMarkers,
                Color = StageColors[i % StageColors.Length],
            });
        }
        var (title, y) = chart switch
        {
            LossChart => ("Loss", new ChartAxis("loss (nats/token)")),
            PerplexityChart => ("Perplexity (exp of the loss)", new ChartAxis("perplexity", Log: true)),
            LearningRateChart => ("Learning rate", new ChartAxis("learning rate")),
            ThroughputChart => ("Throughput", new ChartAxis("tokens/s")),
            _ => ("Memory", new ChartAxis("MiB")),
        };
        return new ChartFigure(traces, new ChartAxis("recipe step"), y)
        {
            Title = title,
            Legend = LegendPlace.Below,
            Height = 300,
            Waiting = state.TrainingStages.Count == 0 ? null : $"Waiting for the first {state.TrainingStages[0]} step: {state.Progress().Label}",
        };
    }

    /// <summary>Best perplexity per generation of each search stage, long and short phases as solid and dotted traces.</summary>
    public static ChartFigure SearchFigure(DashboardState state)
    {
        var traces = state.SearchStages.SelectMany((name, i) => new[] { RopeSearchPhase.Long, RopeSearchPhase.Short }.Select(phase =>
        {
            var generations = state.Generations(name, phase);
            return new ChartTrace($"{name} {phase.ToString().ToLowerInvariant()}", [.. generations.Select(g => (double)g.Generation)],
                [.. generations.Select(g => g.BestPerplexity)])
            {
                Kind = TraceKind.LineMarkers,
                Color = StageColors[i % StageColors.Length],
                Dash = phase == RopeSearchPhase.Short ? "dot" : "solid",
            };
        })).ToList();
        // Generations are whole: the axis spans the longest phase the spec asks for.
        var most = state.Spec.Stages.OfType<SearchStage>().Max(s => (int?)Math.Max(s.Generations, s.ShortGenerations)) ?? 0;
        return new ChartFigure(traces, new ChartAxis("generation", Range: (0, Math.Max(1, most))), new ChartAxis("best perplexity", Log: true))
        {
            Title = "LongRoPE search: best perplexity",
            Legend = LegendPlace.Below,
            Height = 300,
        };
    }

    /// <summary>The newest generation in words: "search-2: long 4× generation 3 of 6, best perplexity 12.345, n̂ = 4, λ = 1.00 … 4.85".</summary>
    public static string? SearchSummary(DashboardState state) => state.LastSearch is { } s
        ? string.Create(CultureInfo.InvariantCulture,
            $"{s.Stage}: {Phase(s)} generation {s.Generation} of {s.Generations}, best perplexity {s.BestPerplexity:F3}, n̂ = {s.InitialUnscaledTokens}, λ = {s.Factors[0]:F2} … {s.Factors[^1]:F2}")
        : null;

    /// <summary>A search generation's phase and extension, e.g. "long 4×".</summary>
    public static string Phase(SearchEvent search) =>
        string.Create(CultureInfo.InvariantCulture, $"{search.Phase.ToString().ToLowerInvariant()} {search.Factor:g}×");

    /// <summary>The evaluation's figures measured so far, each with its name: niah, passkey, perplexity, short-perplexity.</summary>
    public static IReadOnlyList<(string Name, ChartFigure Figure)> EvalFigures(DashboardState state) =>
        new (string Name, ChartFigure? Figure)[]
        {
            ("niah", NiahFigure(state)), ("passkey", PasskeyFigure(state)),
            ("perplexity", PerplexityFigure(state)), ("short-perplexity", ShortPerplexityFigure(state)),
        }.Where(f => f.Figure is not null).Select(f => (f.Name, f.Figure!)).ToList();

    /// <summary>Needle accuracy by context length (columns) and depth (rows); hover shows the needle's log-probability. Null without a NIAH eval or before its first cell.</summary>
    public static ChartFigure? NiahFigure(DashboardState state)
    {
        if (state.Spec.Eval.Niah is not { } niah || !state.Measured(Benchmarks.Niah)) return null;
        double? Cell(int length, double depth, string metric) => state.Cell(RecipeRunner.EvalStage, Benchmarks.Niah, length, depth, metric);
        var z = niah.Depths.Select(d => (IReadOnlyList<double?>)niah.Lengths.Select(l => Cell(l, d, Metrics.Accuracy)).ToList()).ToList();
        var text = niah.Depths.Select(d => (IReadOnlyList<string?>)niah.Lengths
            .Select(l => Cell(l, d, Metrics.NeedleLogProb) is { } lp ? string.Create(CultureInfo.InvariantCulture, $"needle log-prob {lp:F3}") : null).ToList()).ToList();
        var trace = new ChartTrace(Metrics.Accuracy, [], niah.Depths.ToList())
        {
            Kind = TraceKind.Heatmap,
            XLabels = niah.Lengths.Select(l => l.ToString(CultureInfo.InvariantCulture)).ToList(),
            Z = z,
            Text = text,
            ZRange = (0, 1),
        };
        return new ChartFigure([trace], new ChartAxis("context length (tokens)", Category: true), new ChartAxis("needle depth (%)", Category: true))
        {
            Title = "Needle in a haystack: accuracy",
            Height = 300,
        };
    }

    /// <summary>Passkey accuracy against context length, measured cells only. Null without a passkey eval or before its first cell.</summary>
    public static ChartFigure? PasskeyFigure(DashboardState state) =>
        state.Spec.Eval.Passkey is { } passkey && state.Measured(Benchmarks.Passkey)
            ? ByLength(state, "Passkey retrieval", passkey.Lengths, Benchmarks.Passkey, Metrics.Accuracy, new ChartAxis("accuracy", Range: (-0.05, 1.05)), "#2ca02c")
            : null;

    /// <summary>Perplexity against context length, measured cells only. Null without a perplexity eval or before its first cell.</summary>
    public static ChartFigure? PerplexityFigure(DashboardState state) =>
        state.Spec.Eval.Perplexity is { } perplexity && state.Measured(Benchmarks.Perplexity)
            ? ByLength(state, "Perplexity by context length", perplexity.Lengths, Benchmarks.Perplexity, Metrics.Perplexity, new ChartAxis("perplexity"), "#9467bd")
            : null;

    private static ChartFigure ByLength(DashboardState state, string title, IReadOnlyList<int> lengths, string benchmark, string metric, ChartAxis y, string color)
    {
        var measured = lengths
            .Select(l => (Length: l, Value: state.Cell(RecipeRunner.EvalStage, benchmark, l, null, metric)))
            .Where(c => c.Value is not null).ToList();
        // The lengths the spec lists, evenly spaced and labelled as they are (a log axis over one or two doublings labels every minor tick).
        var trace = new ChartTrace(metric, measured.Select(c => (double)c.Length).ToList(), measured.Select(c => c.Value!.Value).ToList())
        {
            Kind = TraceKind.LineMarkers,
            Color = color,
            XLabels = measured.Select(c => c.Length.ToString(CultureInfo.InvariantCulture)).ToList(),
        };
        return new ChartFigure([trace], new ChartAxis("context length (tokens)", Category: true), y) { Title = title, Height = 300 };
    }

    /// <summary>Perplexity at the native window before the run (base model) and after it. Null without short retention or before the base is measured.</summary>
    public static ChartFigure? ShortPerplexityFigure(DashboardState state)
    {
        if (!state.Spec.Eval.ShortRetention || !state.Measured(Benchmarks.ShortPerplexity)) return null;
        var bars = new[] { ("base model", state.ShortPerplexity(RecipeRunner.BaseStage)), ("after the run", state.ShortPerplexity(RecipeRunner.EvalStage)) }
            .Where(b => b.Item2 is not null).ToList();
        var trace = new ChartTrace(Metrics.Perplexity, [], bars.Select(b => b.Item2!.Value).ToList())
        {
            Kind = TraceKind.Bar,
            XLabels = bars.Select(b => b.Item1).ToList(),
            Color = "#8c564b",
        };
        return new ChartFigure([trace], new ChartAxis("model"), new ChartAxis("perplexity at the native window")) { Title = "Short-context perplexity", Height = 300 };
    }
}
