using System.Globalization;
using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Lab.Components.Charts;

namespace LongRecipe.Lab.Components.Pages.RunDashboard;

public enum StageState { Pending, Running, Done, Stopped }

/// <summary>One step of the stage timeline: a stage of the spec, or the final evaluation.</summary>
public sealed record StageRow(string Name, StageState State);

/// <summary>A point for a live chart: trace <paramref name="Trace"/> of chart <paramref name="Chart"/>.</summary>
public sealed record SeriesPoint(string Chart, int Trace, double X, double Y);

/// <summary>Where the current stage stands: a fraction in [0, 1], what it counts, and the trainer's ETA.</summary>
public sealed record StageProgress(double Fraction, string Label, TimeSpan? Eta);

/// <summary>
/// What the run dashboard shows, folded from a run's events: the stored history first, then live events (the
/// same fold, so a page opened mid-run shows the same as one opened at the start). Step charts share one x axis,
/// the recipe step: a stage's step plus the steps of the training stages before it, one trace per training stage.
/// A step already seen (stage and step) is dropped, so history and live events may overlap. A search stage's
/// generations go to the search chart, best perplexity per generation, one trace per search stage and phase. Not
/// thread-safe: the page applies events under its own lock.
/// </summary>
public sealed class DashboardState
{
    public const string LossChart = "loss", LearningRateChart = "lr", ThroughputChart = "throughput", MemoryChart = "memory";
    public static readonly string[] StepCharts = [LossChart, LearningRateChart, ThroughputChart, MemoryChart];
    public const string SearchChart = "search";
    public const int LogLines = 200;

    private readonly RunSpec spec;
    private readonly List<string> trainingStages;
    private readonly List<string> searchStages;
    private readonly Dictionary<(string Stage, RopeSearchPhase Phase), int> lastGeneration = [];
    private readonly long[] offsets;
    private readonly Dictionary<string, long> lastStep = [];
    private readonly Dictionary<string, List<(List<double> X, List<double> Y)>> series = [];
    private readonly Dictionary<(string Stage, string Benchmark, int Length, double? Depth, string Metric), double> evals = [];
    private readonly List<StageRow> stages;
    private readonly List<LogEvent> log = [];

    public DashboardState(RunRecord run)
    {
        spec = run.Spec;
        Status = run.Status;
        Error = run.Error;
        Checkpoint = run.Checkpoint;
        var training = spec.Stages.OfType<TrainingStageSpec>().ToList();
        var names = spec.StageNames;
        trainingStages = spec.Stages.Select((s, i) => (s, i)).Where(p => p.s is TrainingStageSpec).Select(p => names[p.i]).ToList();
        searchStages = spec.Stages.Select((s, i) => (s, i)).Where(p => p.s is SearchStage).Select(p => names[p.i]).ToList();
        offsets = training.Select((_, i) => training.Take(i).Sum(s => (long)s.Steps)).ToArray();
        stages = names.Select(name => new StageRow(name, StageState.Pending)).Append(new StageRow(RecipeRunner.EvalStage, StageState.Pending)).ToList();
        foreach (var chart in StepCharts)
            series[chart] = Enumerable.Range(0, trainingStages.Count * (chart == LossChart ? 2 : 1)).Select(_ => (new List<double>(), new List<double>())).ToList();
        series[SearchChart] = Enumerable.Range(0, 2 * searchStages.Count).Select(_ => (new List<double>(), new List<double>())).ToList();
        if (Status == RunStatus.Completed) MarkAll(StageState.Done);
    }

    public RunStatus Status { get; private set; }

    public string? Error { get; private set; }

    public string? Checkpoint { get; private set; }

    public StepEvent? LastStep { get; private set; }

    /// <summary>The newest search generation: its stage, phase, best perplexity, n̂ and factors.</summary>
    public SearchEvent? LastSearch { get; private set; }

    /// <summary>Whether the run has a search stage (and so a search chart).</summary>
    public bool Searches => searchStages.Count > 0;

    public IReadOnlyList<StageRow> Stages => stages;

    public IReadOnlyList<LogEvent> Log => log;

    public bool Trains => trainingStages.Count > 0;

    /// <summary>Folds one event in; returns the points it adds to the live charts (none for anything but a new step or generation).</summary>
    public IReadOnlyList<SeriesPoint> Apply(RunEvent runEvent)
    {
        switch (runEvent)
        {
            case StepEvent step:
                return AddStep(step);
            case SearchEvent search:
                return AddGeneration(search);
            case StageEvent stage:
                SetStage(stage.Stage, stage.Phase == StagePhase.Started ? StageState.Running : StageState.Done);
                break;
            case EvalEvent eval:
                evals[(eval.Stage, eval.Benchmark, eval.ContextLength, eval.Depth, eval.Metric)] = eval.Value;
                break;
            case CheckpointEvent checkpoint:
                Checkpoint = checkpoint.Path;
                break;
            case LogEvent line:
                log.Add(line);
                if (log.Count > LogLines) log.RemoveRange(0, log.Count - LogLines);
                break;
            case StatusEvent status:
                Status = status.Status;
                Error = status.Error;
                if (status.Status == RunStatus.Completed) MarkAll(StageState.Done);
                else if (status.Status is RunStatus.Failed or RunStatus.Cancelled or RunStatus.Interrupted)
                    for (var i = 0; i < stages.Count; i++)
                        if (stages[i].State == StageState.Running) stages[i] = stages[i] with { State = StageState.Stopped };
                break;
        }
        return [];
    }

    private List<SeriesPoint> AddStep(StepEvent step)
    {
        var trace = trainingStages.IndexOf(step.Stage);
        if (trace < 0 || (lastStep.TryGetValue(step.Stage, out var last) && step.Step <= last)) return [];
        lastStep[step.Stage] = step.Step;
        LastStep = step;
        double x = offsets[trace] + step.Step;
        List<SeriesPoint> points =
        [
            new(LossChart, 2 * trace, x, step.Loss),
            new(LossChart, 2 * trace + 1, x, step.Perplexity),
            new(LearningRateChart, trace, x, step.LearningRate),
            new(ThroughputChart, trace, x, step.TokensPerSecond),
            new(MemoryChart, trace, x, step.MemoryBytes / (1024.0 * 1024.0)),
        ];
        foreach (var p in points)
        {
            series[p.Chart][p.Trace].X.Add(p.X);
            series[p.Chart][p.Trace].Y.Add(p.Y);
        }
        return points;
    }

    /// <summary>A generation's best perplexity on its stage and phase's trace: 2 × the search's index, + 1 for the short phase.</summary>
    private List<SeriesPoint> AddGeneration(SearchEvent search)
    {
        var index = searchStages.IndexOf(search.Stage);
        var key = (search.Stage, search.Phase);
        if (index < 0 || (lastGeneration.TryGetValue(key, out var last) && search.Generation <= last)) return [];
        lastGeneration[key] = search.Generation;
        LastSearch = search;
        var point = new SeriesPoint(SearchChart, 2 * index + (search.Phase == RopeSearchPhase.Short ? 1 : 0), search.Generation, search.BestPerplexity);
        series[SearchChart][point.Trace].X.Add(point.X);
        series[SearchChart][point.Trace].Y.Add(point.Y);
        return [point];
    }

    private void SetStage(string name, StageState state)
    {
        var index = stages.FindIndex(s => s.Name == name);
        if (index < 0) return;
        stages[index] = stages[index] with { State = state };
        // A stage starting means the ones before it are done (resumed runs skip their events).
        for (var i = 0; i < index; i++) stages[i] = stages[i] with { State = StageState.Done };
    }

    private void MarkAll(StageState state)
    {
        for (var i = 0; i < stages.Count; i++) stages[i] = stages[i] with { State = state };
    }

    // ---- progress ----------------------------------------------------------------

    /// <summary>The running stage's progress: steps of a training stage, measured cells of the evaluation.</summary>
    public StageProgress Progress()
    {
        if (Status == RunStatus.Completed) return new StageProgress(1, "completed", null);
        var running = stages.FirstOrDefault(s => s.State is StageState.Running or StageState.Stopped);
        if (running is null) return new StageProgress(0, Status == RunStatus.Queued ? "waiting for a free device" : "starting", null);
        if (running.Name == RecipeRunner.EvalStage)
        {
            var expected = ExpectedEvalCells();
            var measured = evals.Keys.Where(k => k.Stage == RecipeRunner.EvalStage).Select(k => (k.Benchmark, k.Length, k.Depth)).Distinct().Count();
            return new StageProgress(expected == 0 ? 0 : Math.Min(1, (double)measured / expected), $"eval: {measured} of {expected} cells", null);
        }
        if (LastStep is { } step && step.Stage == running.Name)
            return new StageProgress((double)step.Step / step.TotalSteps, $"{step.Stage}: step {step.Step} of {step.TotalSteps}", step.Eta);
        if (LastSearch is { } search && search.Stage == running.Name)
            return new StageProgress((double)search.Generation / Math.Max(1, search.Generations),
                $"{search.Stage}: {Phase(search)} generation {search.Generation} of {search.Generations}", null);
        return new StageProgress(0, $"{running.Name}: starting", null);
    }

    /// <summary>Distinct (benchmark, length, depth) cells the evaluation measures, as the spec lists them.</summary>
    public int ExpectedEvalCells() =>
        (spec.Eval.Niah is { } niah ? niah.Lengths.Count * niah.Depths.Count : 0)
        + (spec.Eval.Passkey?.Lengths.Count ?? 0)
        + (spec.Eval.Perplexity?.Lengths.Count ?? 0)
        + (spec.Eval.ShortRetention ? 1 : 0);

    // ---- figures -----------------------------------------------------------------

    /// <summary>Everything folded in so far, as the figure of one step chart (live points then extend it).</summary>
    public ChartFigure StepFigure(string chart)
    {
        var traces = new List<ChartTrace>();
        for (var i = 0; i < trainingStages.Count; i++)
        {
            var color = StageColors[i % StageColors.Length];
            if (chart == LossChart)
            {
                // Short names keep the legend to one row under the title.
                traces.Add(Trace(chart, 2 * i, trainingStages[i], color));
                traces.Add(Trace(chart, 2 * i + 1, $"{trainingStages[i]} ppl", color) with { SecondaryY = true, Dash = "dot" });
            }
            else traces.Add(Trace(chart, i, trainingStages[i], color));
        }
        var (title, y) = chart switch
        {
            LossChart => ("Loss and perplexity", "loss (nats/token)"),
            LearningRateChart => ("Learning rate", "learning rate"),
            ThroughputChart => ("Throughput", "tokens/s"),
            _ => ("Memory", "MiB"),
        };
        return new ChartFigure(traces, new ChartAxis("recipe step"), new ChartAxis(y))
        {
            Title = title,
            SecondaryY = chart == LossChart ? new ChartAxis("perplexity", Log: true) : null,
            Legend = LegendPlace.Top,
            Height = 300,
        };
    }

    private static readonly string[] StageColors = ["#1f77b4", "#ff7f0e", "#2ca02c"];

    /// <summary>Best perplexity per generation of each search stage, long and short phases as solid and dotted traces.</summary>
    public ChartFigure SearchFigure()
    {
        var traces = searchStages.SelectMany((name, i) => new[]
        {
            Trace(SearchChart, 2 * i, $"{name} long", StageColors[i % StageColors.Length]) with { Kind = TraceKind.LineMarkers },
            Trace(SearchChart, 2 * i + 1, $"{name} short", StageColors[i % StageColors.Length]) with { Kind = TraceKind.LineMarkers, Dash = "dot" },
        }).ToList();
        // Generations are whole: the axis spans the longest phase the spec asks for.
        var generations = spec.Stages.OfType<SearchStage>().Max(s => (int?)Math.Max(s.Generations, s.ShortGenerations)) ?? 0;
        return new ChartFigure(traces, new ChartAxis("generation", Range: (0, Math.Max(1, generations))), new ChartAxis("best perplexity", Log: true))
        {
            Title = "LongRoPE search: best perplexity",
            Legend = LegendPlace.Top,
            Height = 300,
        };
    }

    /// <summary>The newest generation in words: "search-2: long 4× generation 3 of 6, best perplexity 12.345, n̂ = 4, λ = 1.00 … 4.85".</summary>
    public string? SearchSummary()
    {
        if (LastSearch is not { } s) return null;
        var where = string.Create(CultureInfo.InvariantCulture, $"{s.Stage}: {Phase(s)} generation {s.Generation} of {s.Generations}");
        return where + string.Create(CultureInfo.InvariantCulture,
            $", best perplexity {s.BestPerplexity:F3}, n̂ = {s.InitialUnscaledTokens}, λ = {s.Factors[0]:F2} … {s.Factors[^1]:F2}");
    }

    private static string Phase(SearchEvent search) =>
        string.Create(CultureInfo.InvariantCulture, $"{search.Phase.ToString().ToLowerInvariant()} {search.Factor:g}×");

    private ChartTrace Trace(string chart, int index, string name, string color)
    {
        var (x, y) = series[chart][index];
        return new ChartTrace(name, x.ToArray(), y.ToArray()) { Color = color };
    }

    /// <summary>Whether any cell of <paramref name="benchmark"/> is measured yet.</summary>
    public bool Measured(string benchmark) => evals.Keys.Any(k => k.Benchmark == benchmark);

    /// <summary>Needle accuracy by context length (columns) and depth (rows); hover shows the needle's log-probability. Null without a NIAH eval or before its first cell.</summary>
    public ChartFigure? NiahFigure()
    {
        if (spec.Eval.Niah is not { } niah || !Measured(Benchmarks.Niah)) return null;
        double? Cell(int length, double depth, string metric) =>
            evals.TryGetValue((RecipeRunner.EvalStage, Benchmarks.Niah, length, depth, metric), out var v) ? v : null;
        var z = niah.Depths.Select(d => (IReadOnlyList<double?>)niah.Lengths.Select(l => Cell(l, d, "accuracy")).ToList()).ToList();
        var text = niah.Depths.Select(d => (IReadOnlyList<string?>)niah.Lengths
            .Select(l => Cell(l, d, "needle_logprob") is { } lp ? string.Create(CultureInfo.InvariantCulture, $"needle log-prob {lp:F3}") : null).ToList()).ToList();
        var trace = new ChartTrace("accuracy", [], niah.Depths.ToList())
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
    public ChartFigure? PasskeyFigure() =>
        spec.Eval.Passkey is { } passkey && Measured(Benchmarks.Passkey)
            ? ByLength("Passkey retrieval", passkey.Lengths, Benchmarks.Passkey, "accuracy", new ChartAxis("accuracy", Range: (-0.05, 1.05)), "#2ca02c")
            : null;

    /// <summary>Perplexity against context length, measured cells only. Null without a perplexity eval or before its first cell.</summary>
    public ChartFigure? PerplexityFigure() =>
        spec.Eval.Perplexity is { } perplexity && Measured(Benchmarks.Perplexity)
            ? ByLength("Perplexity by context length", perplexity.Lengths, Benchmarks.Perplexity, "perplexity", new ChartAxis("perplexity"), "#9467bd")
            : null;

    private ChartFigure ByLength(string title, IReadOnlyList<int> lengths, string benchmark, string metric, ChartAxis y, string color)
    {
        var measured = lengths
            .Select(l => (Length: l, Found: evals.TryGetValue((RecipeRunner.EvalStage, benchmark, l, null, metric), out var v), Value: v))
            .Where(c => c.Found).ToList();
        var trace = new ChartTrace(metric, measured.Select(c => (double)c.Length).ToList(), measured.Select(c => c.Value).ToList())
        {
            Kind = TraceKind.LineMarkers,
            Color = color,
        };
        return new ChartFigure([trace], new ChartAxis("context length (tokens)", Log: true), y) { Title = title, Height = 300 };
    }

    /// <summary>Perplexity at the native window before the run (base model) and after it. Null without short retention or before the base is measured.</summary>
    public ChartFigure? ShortPerplexityFigure()
    {
        if (!spec.Eval.ShortRetention || !Measured(Benchmarks.ShortPerplexity)) return null;
        var bars = new[] { ("base model", ShortPerplexity(RecipeRunner.BaseStage)), ("after the run", ShortPerplexity(RecipeRunner.EvalStage)) }
            .Where(b => b.Item2 is not null).ToList();
        var trace = new ChartTrace("perplexity", [], bars.Select(b => b.Item2!.Value).ToList())
        {
            Kind = TraceKind.Bar,
            XLabels = bars.Select(b => b.Item1).ToList(),
            Color = "#8c564b",
        };
        return new ChartFigure([trace], new ChartAxis("model"), new ChartAxis("perplexity at the native window")) { Title = "Short-context perplexity", Height = 300 };
    }

    /// <summary>The short-context perplexity measured in <paramref name="stage"/> (base or eval), null until it is.</summary>
    public double? ShortPerplexity(string stage) =>
        evals.Where(e => e.Key.Stage == stage && e.Key.Benchmark == Benchmarks.ShortPerplexity && e.Key.Metric == "perplexity")
            .Select(e => (double?)e.Value).FirstOrDefault();
}
