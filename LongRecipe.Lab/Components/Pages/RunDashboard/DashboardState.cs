using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Lab.Components.Pages.RunDashboard;

public enum StageState { Pending, Running, Done, Stopped }

/// <summary>One step of the stage timeline: a stage of the spec, or the final evaluation.</summary>
public sealed record StageRow(string Name, StageState State);

/// <summary>Where the current stage stands: a fraction in [0, 1], what it counts, and the trainer's ETA.</summary>
public sealed record StageProgress(double Fraction, string Label, TimeSpan? Eta);

/// <summary>
/// Where a run stands, folded from its events: the stored history first, then live events (the same fold, so a
/// page opened mid-run shows the same as one opened at the start). Each training stage keeps its steps in order and
/// each search stage its generations (long phase, then short); a step or generation already seen is dropped, so
/// history and live events may overlap. What the page draws from it is <see cref="DashboardFigures"/>'. Not
/// thread-safe: the page applies events under its own lock.
/// </summary>
public sealed class DashboardState
{
    public const int LogLines = 200;

    private readonly List<string> trainingStages;
    private readonly List<string> searchStages;
    private readonly Dictionary<(string Stage, RopeSearchPhase Phase), List<SearchEvent>> generations = [];
    private readonly long[] offsets;
    private readonly List<List<StepEvent>> steps;
    private readonly long[] strides;
    private readonly Dictionary<(string Stage, string Benchmark, int Length, double? Depth, string Metric), double> evals = [];
    private readonly List<StageRow> stages;
    private readonly List<LogEvent> log = [];

    public DashboardState(RunRecord run)
    {
        Spec = run.Spec;
        Status = run.Status;
        Error = run.Error;
        Checkpoint = run.Checkpoint;
        // Stages are named as their events name them: by kind, numbered when a kind repeats (search-1, search-2).
        var names = Spec.StageNames;
        var training = Spec.Stages.Select((s, i) => (Stage: s as TrainingStageSpec, Name: names[i])).Where(s => s.Stage is not null).ToList();
        trainingStages = training.Select(s => s.Name).ToList();
        searchStages = [.. Spec.Stages.Select((s, i) => (s, i)).Where(p => p.s is SearchStage).Select(p => names[p.i])];
        offsets = training.Select((_, i) => training.Take(i).Sum(s => (long)s.Stage!.Steps)).ToArray();
        steps = training.Select(_ => new List<StepEvent>()).ToList();
        strides = [.. training.Select(_ => 1L)];
        stages = names.Select(name => new StageRow(name, StageState.Pending)).Append(new StageRow(RecipeRunner.EvalStage, StageState.Pending)).ToList();
        if (Status == RunStatus.Completed) MarkAll(StageState.Done);
    }

    /// <summary>Points a step chart starts with at most; the store thins a long history to this many (every k-th step).</summary>
    public const int HistoryPoints = 2000;

    /// <summary>
    /// Run <paramref name="runId"/> folded from the store (stages, thinned steps, search generations, eval cells, the
    /// log's tail), its record's status last, so a stage a dead or failed run left running reads stopped; null for no such run.
    /// </summary>
    public static (RunRecord Run, DashboardState State)? FromStore(RunStore store, long runId)
    {
        if (store.GetRun(runId) is not { } record) return null;
        var state = new DashboardState(record);
        IEnumerable<RunEvent> history = [.. store.Stages(runId), .. store.Steps(runId, HistoryPoints), .. store.Searches(runId),
            .. store.Evals(runId), .. store.LogTail(runId, LogLines)];
        foreach (var e in history) state.Apply(e);
        state.Apply(new StatusEvent(record.Ended ?? DateTimeOffset.UtcNow, "", record.Status, record.Error));
        return (record, state);
    }

    public RunSpec Spec { get; }

    public RunStatus Status { get; private set; }

    public string? Error { get; private set; }

    public string? Checkpoint { get; private set; }

    public StepEvent? LastStep { get; private set; }

    /// <summary>The newest generation of a search stage: its stage, phase, best perplexity, n̂ and factors.</summary>
    public SearchEvent? LastSearch { get; private set; }

    /// <summary>The search stages in order (search, or search-1 and search-2 on the progressive route).</summary>
    public IReadOnlyList<string> SearchStages => searchStages;

    /// <summary>The generations of search stage <paramref name="stage"/> in <paramref name="phase"/> so far, in order.</summary>
    public IReadOnlyList<SearchEvent> Generations(string stage, RopeSearchPhase phase) =>
        generations.TryGetValue((stage, phase), out var list) ? list : [];

    public IReadOnlyList<StageRow> Stages => stages;

    public IReadOnlyList<LogEvent> Log => log;

    public bool Trains => trainingStages.Count > 0;

    /// <summary>The training stages in order (extend, anneal), one series of steps each.</summary>
    public IReadOnlyList<string> TrainingStages => trainingStages;

    /// <summary>The steps of training stage <paramref name="index"/> so far, in order.</summary>
    public IReadOnlyList<StepEvent> Steps(int index) => steps[index];

    /// <summary>Where <paramref name="stage"/> is among the training stages; -1 for a stage that does not train.</summary>
    public int TrainingIndex(string stage) => trainingStages.IndexOf(stage);

    /// <summary>A stage's step on the recipe's axis: its own step plus the steps of the training stages before it.</summary>
    public double RecipeStep(StepEvent step) => offsets[TrainingIndex(step.Stage)] + step.Step;

    /// <summary>Folds one event in; returns it when it is a step or a search generation the series did not have yet, else null.</summary>
    public RunEvent? Apply(RunEvent runEvent)
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
        return null;
    }

    private StepEvent? AddStep(StepEvent step)
    {
        var index = TrainingIndex(step.Stage);
        if (index < 0 || (steps[index].Count > 0 && step.Step <= steps[index][^1].Step)) return null;
        // A page open for hours keeps a bounded history, evenly thinned as the store thins one for a page opened later:
        // steps on the stage's stride, which doubles whenever it holds more than twice HistoryPoints, and the newest.
        var list = steps[index];
        if (list.Count > 0 && list[^1].Step % strides[index] != 0) list.RemoveAt(list.Count - 1);
        list.Add(step);
        while (list.Count > 2 * HistoryPoints)
        {
            var stride = strides[index] *= 2;
            list.RemoveAll(s => s.Step % stride != 0 && s != step);
        }
        LastStep = step;
        return step;
    }

    private SearchEvent? AddGeneration(SearchEvent search)
    {
        if (!searchStages.Contains(search.Stage)) return null;
        if (!generations.TryGetValue((search.Stage, search.Phase), out var list)) generations[(search.Stage, search.Phase)] = list = [];
        if (list.Count > 0 && search.Generation <= list[^1].Generation) return null;
        list.Add(search);
        LastSearch = search;
        return search;
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
        if (running is null)
            return new StageProgress(0, Status == RunStatus.Queued ? "waiting for a free device"
                : Spec.Eval.ShortRetention ? "loading the base model and measuring its short-context perplexity" : "loading the base model", null);
        if (running.Name == RecipeRunner.EvalStage)
        {
            var expected = ExpectedEvalCells();
            var measured = evals.Keys.Where(k => k.Stage == RecipeRunner.EvalStage).Select(k => (k.Benchmark, k.Length, k.Depth)).Distinct().Count();
            return new StageProgress(expected == 0 ? 0 : Math.Min(1, (double)measured / expected), $"eval: {measured} of {expected} cells", null);
        }
        if (LastStep is { } step && step.Stage == running.Name)
            return new StageProgress((double)step.Step / step.TotalSteps, $"{step.Stage}: step {step.Step} of {step.TotalSteps}", step.Eta);
        if (LastSearch is { } search && search.Stage == running.Name)
        {
            // The long phase, then the short one: each counts its generations from 0.
            var stage = (SearchStage)Spec.Stages[Spec.StageNames.ToList().IndexOf(search.Stage)];
            var total = stage.Generations + stage.ShortGenerations + 2;
            var done = search.Generation + 1 + (search.Phase == RopeSearchPhase.Short ? stage.Generations + 1 : 0);
            return new StageProgress((double)done / total, $"{search.Stage}: {DashboardFigures.Phase(search)} generation {search.Generation} of {search.Generations}", null);
        }
        return new StageProgress(0, $"{running.Name}: preparing (tokenizing and batching its data)", null);
    }

    /// <summary>Distinct (benchmark, length, depth) cells the evaluation measures, as the spec lists them.</summary>
    public int ExpectedEvalCells() =>
        (Spec.Eval.Niah is { } niah ? niah.Lengths.Count * niah.Depths.Count : 0)
        + (Spec.Eval.Passkey?.Lengths.Count ?? 0)
        + (Spec.Eval.Perplexity?.Lengths.Count ?? 0)
        + (Spec.Eval.ShortRetention ? 1 : 0);

    // ---- eval cells ----------------------------------------------------------------

    /// <summary>A measured cell's value, null until it is measured.</summary>
    public double? Cell(string stage, string benchmark, int length, double? depth, string metric) =>
        evals.TryGetValue((stage, benchmark, length, depth, metric), out var value) ? value : null;

    /// <summary>Whether any cell of <paramref name="benchmark"/> is measured yet.</summary>
    public bool Measured(string benchmark) => evals.Keys.Any(k => k.Benchmark == benchmark);

    /// <summary>The short-context perplexity measured in <paramref name="stage"/> (base or eval), null until it is.</summary>
    public double? ShortPerplexity(string stage) =>
        evals.Where(e => e.Key.Stage == stage && e.Key.Benchmark == Benchmarks.ShortPerplexity && e.Key.Metric == Metrics.Perplexity)
            .Select(e => (double?)e.Value).FirstOrDefault();
}

