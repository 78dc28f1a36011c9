using System.Text.Json;
using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Lab.Components.Pages.RunDashboard;
using Microsoft.Data.Sqlite;

namespace LongRecipe.Lab.Tests.Pages.RunDashboard;

public sealed class DashboardStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Extend (4 steps) → anneal (2) → merge, NIAH over 2 lengths × 2 depths, passkey, short perplexity.</summary>
    private static RunSpec Spec() => RunPresets.LongRecipe() with
    {
        TargetLength = 512,
        Stages =
        [
            new ExtendStage(new TransformSpec(PositionScheme.LongRecipe, 1), SequenceLength: 160, Steps: 4, MicroBatchSize: 1),
            new AnnealStage(Steps: 2, MicroBatchSize: 1),
            new MergeStage(MergeMethod.Average),
        ],
        Eval = new EvalSpec(Niah: new NeedleEvalSpec([256, 512], [0, 100]), Passkey: new PasskeyEvalSpec([256, 512]), ShortRetention: true),
    };

    private static RunRecord Record(RunStatus status = RunStatus.Queued) =>
        new(1, "r", Spec(), status, T0, null, null, "cpu", null, "/runs/r", null);

    private static StepEvent Step(string stage, long step, long total, double loss) =>
        new(T0.AddSeconds(step), stage, step, total, loss, 1e-4 * step, 0.5, 1000 + step, 160 * step, 3L << 20, TimeSpan.FromSeconds(total - step), 0);

    /// <summary>Folds the event in and returns the points it adds to the step charts, as the page does.</summary>
    private static IReadOnlyList<SeriesPoint> Fold(DashboardState state, RunEvent e) =>
        state.Apply(e) is { } step ? DashboardFigures.Points(state, step) : [];

    private static EvalEvent Eval(string stage, string benchmark, int length, double? depth, string metric, double value) =>
        new(T0.AddMinutes(1), stage, benchmark, length, depth, metric, value, 1);

    [Fact]
    public void A_long_run_keeps_a_bounded_evenly_thinned_history_with_its_newest_step()
    {
        var state = new DashboardState(Record());
        const int total = 10 * DashboardState.HistoryPoints;
        var added = 0;
        for (var step = 1; step <= total; step++)
            if (Fold(state, Step("extend", step, total, 1.0)).Count > 0) added++;

        // Every step still streams to the charts once; only the kept history is thinned.
        Assert.Equal(total, added);
        var kept = state.Steps(0);
        Assert.InRange(kept.Count, DashboardState.HistoryPoints, 2 * DashboardState.HistoryPoints);
        Assert.Equal(total, kept[^1].Step);
        Assert.Equal(total, state.LastStep!.Step);
        // Evenly thinned: one stride (a power of two) between all kept steps.
        var gaps = kept.Zip(kept.Skip(1), (a, b) => b.Step - a.Step).Distinct().ToList();
        Assert.Single(gaps);
        Assert.True(gaps[0] > 1 && (gaps[0] & (gaps[0] - 1)) == 0, $"stride {gaps[0]}");
        // A repeat of an old step is still dropped after thinning.
        Assert.Empty(Fold(state, Step("extend", total - 1, total, 9.9)));
    }

    [Fact]
    public void Steps_land_on_one_recipe_axis_per_stage_trace_and_repeats_are_dropped()
    {
        var state = new DashboardState(Record());

        var extend = Fold(state, Step("extend", 2, 4, Math.Log(50)));
        Assert.Empty(Fold(state, Step("extend", 2, 4, 9.9)));
        Assert.Empty(Fold(state, Step("extend", 1, 4, 9.9)));
        state.Apply(new StageEvent(T0, "anneal", StagePhase.Started, 1, 4));
        var anneal = Fold(state, Step("anneal", 1, 2, 1.0));

        // Loss, and perplexity (exp of the loss) on its own chart, at x = 2 on the extend traces; anneal's step 1 follows extend's 4 steps.
        Assert.Equal(new SeriesPoint(DashboardFigures.LossChart, 0, 2, Math.Log(50)), extend[0]);
        Assert.Equal((DashboardFigures.PerplexityChart, 0, 2.0), (extend[1].Chart, extend[1].Trace, extend[1].X));
        Assert.Equal(50, extend[1].Y, 9);
        Assert.Equal((DashboardFigures.LossChart, 1, 5.0), (anneal[0].Chart, anneal[0].Trace, anneal[0].X));
        Assert.Equal(new SeriesPoint(DashboardFigures.MemoryChart, 1, 5, 3), anneal[4]);
        var figure = DashboardFigures.StepFigure(state, DashboardFigures.LossChart).ToPlotly().ToJson();
        Assert.Equal(["extend", "anneal"], figure.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(1, figure.GetProperty("data")[0].GetProperty("x").GetArrayLength());
        // Markers with the line: a stage's one point shows.
        Assert.Equal("lines+markers", figure.GetProperty("data")[1].GetProperty("mode").GetString());
        var perplexity = DashboardFigures.StepFigure(state, DashboardFigures.PerplexityChart).ToPlotly().ToJson();
        Assert.Equal("log", perplexity.GetProperty("layout").GetProperty("yaxis").GetProperty("type").GetString());
        Assert.Equal(new StageProgress(0.5, "anneal: step 1 of 2", TimeSpan.FromSeconds(1)), state.Progress());
    }

    [Fact]
    public void Stages_move_through_the_timeline_and_a_stopped_run_marks_its_stage()
    {
        var state = new DashboardState(Record());
        Assert.Equal(["extend", "anneal", "merge", "eval"], state.Stages.Select(s => s.Name));
        Assert.All(state.Stages, s => Assert.Equal(StageState.Pending, s.State));
        Assert.Equal("waiting for a free device", state.Progress().Label);
        // Before the first step each step chart says what it waits for.
        Assert.Equal("Waiting for the first extend step: waiting for a free device", DashboardFigures.StepFigure(state, DashboardFigures.LossChart).Waiting);

        state.Apply(new StatusEvent(T0, "base", RunStatus.Running));
        state.Apply(new StageEvent(T0, "extend", StagePhase.Started, 0, 4));
        state.Apply(new StageEvent(T0, "extend", StagePhase.Completed, 0, 4));
        // A resumed run skips the events of stages it had done: starting anneal says extend is done.
        state.Apply(new StageEvent(T0, "anneal", StagePhase.Started, 1, 4));
        Assert.Equal([StageState.Done, StageState.Running, StageState.Pending, StageState.Pending], state.Stages.Select(s => s.State));

        state.Apply(new StatusEvent(T0, "anneal", RunStatus.Cancelled));
        Assert.Equal(StageState.Stopped, state.Stages[1].State);
        state.Apply(new StatusEvent(T0, "eval", RunStatus.Completed));
        Assert.All(state.Stages, s => Assert.Equal(StageState.Done, s.State));
        Assert.Equal(new StageProgress(1, "completed", null), state.Progress());
    }

    [Fact]
    public void Eval_cells_fill_the_heatmap_the_length_charts_and_the_eval_progress()
    {
        var state = new DashboardState(Record(RunStatus.Running));
        Assert.Equal(2 * 2 + 2 + 1, state.ExpectedEvalCells());
        Assert.Null(DashboardFigures.NiahFigure(state));
        state.Apply(Eval(RecipeRunner.BaseStage, Benchmarks.ShortPerplexity, 256, null, "perplexity", 30));
        state.Apply(new StageEvent(T0, "eval", StagePhase.Started, 3, 4));
        state.Apply(Eval("eval", Benchmarks.Niah, 512, 100, "accuracy", 0.5));
        state.Apply(Eval("eval", Benchmarks.Niah, 512, 100, "needle_logprob", -1.25));
        state.Apply(Eval("eval", Benchmarks.Passkey, 256, null, "accuracy", 1));

        var plotly = DashboardFigures.NiahFigure(state)!.ToPlotly().ToJson();
        var niah = plotly.GetProperty("data")[0];
        Assert.Equal("category", plotly.GetProperty("layout").GetProperty("xaxis").GetProperty("type").GetString());
        // Rows are depths (0, 100), columns lengths (256, 512): only the (100 %, 512) cell is measured.
        Assert.Equal("[[null,null],[null,0.5]]", niah.GetProperty("z").GetRawText());
        Assert.Equal("needle log-prob -1.250", niah.GetProperty("text")[1][1].GetString());
        Assert.Equal((0.0, 1.0), (niah.GetProperty("zmin").GetDouble(), niah.GetProperty("zmax").GetDouble()));
        var passkey = DashboardFigures.PasskeyFigure(state)!.ToPlotly().ToJson();
        Assert.Equal("[\"256\"]", passkey.GetProperty("data")[0].GetProperty("x").GetRawText());
        Assert.Equal("category", passkey.GetProperty("layout").GetProperty("xaxis").GetProperty("type").GetString());
        Assert.Equal("[-0.05,1.05]", passkey.GetProperty("layout").GetProperty("yaxis").GetProperty("range").GetRawText());
        Assert.Null(DashboardFigures.PerplexityFigure(state));
        Assert.Equal((30.0, (double?)null), (state.ShortPerplexity(RecipeRunner.BaseStage)!.Value, state.ShortPerplexity(RecipeRunner.EvalStage)));
        Assert.Equal("eval: 2 of 7 cells", state.Progress().Label);
        Assert.Equal(2.0 / 7, state.Progress().Fraction, 9);
    }

    [Fact]
    public void History_from_the_store_then_overlapping_live_events_fold_to_the_same_state_as_the_live_stream()
    {
        var folder = Directory.CreateTempSubdirectory("dashboard-");
        try
        {
            using var store = RunStore.Open(Path.Combine(folder.FullName, "runs.db"));
            var id = store.CreateRun(Spec(), Path.Combine(folder.FullName, "r"), T0);
            RunEvent[] stream =
            [
                new StatusEvent(T0, "base", RunStatus.Running), new StageEvent(T0, "extend", StagePhase.Started, 0, 4),
                Step("extend", 1, 4, 3), Step("extend", 2, 4, 2.5), new LogEvent(T0, "extend", RunLogLevel.Information, "hello"),
                Step("extend", 3, 4, 2.25), Step("extend", 4, 4, 2), new StageEvent(T0, "extend", StagePhase.Completed, 0, 4),
                new StageEvent(T0, "anneal", StagePhase.Started, 1, 4), Step("anneal", 1, 2, 1.5),
            ];
            var live = new DashboardState(store.GetRun(id)!);
            var livePoints = stream.SelectMany(e => Fold(live, e)).ToList();

            // The page opens after event 7: the store has 0..6; events 5..9 arrive live (5 and 6 twice).
            store.Append(id, stream[..7]);
            var opened = new DashboardState(store.GetRun(id)!);
            var points = new List<SeriesPoint>();
            foreach (var e in store.Stages(id).Cast<RunEvent>().Concat(store.Steps(id)).Concat(store.LogTail(id))) points.AddRange(Fold(opened, e));
            foreach (var e in stream[5..]) points.AddRange(Fold(opened, e));

            Assert.Equal(livePoints, points);
            Assert.Equal(live.Stages, opened.Stages);
            Assert.Equal(live.Progress(), opened.Progress());
            Assert.Equal("hello", Assert.Single(opened.Log).Message);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    private static SearchEvent Generation(string stage, RopeSearchPhase phase, double factor, int generation, int generations, double best) =>
        new(T0.AddSeconds(generation), stage, phase, factor, generation, generations, 4 * (generation + 1), best, 2, [1.0, 1.5, factor]);

    [Fact]
    public void Search_generations_chart_per_search_stage_and_phase_and_the_newest_one_is_summed_up()
    {
        // The progressive route: search-1 (2×, 2 + 1 generations), extend, search-2 (4×).
        var spec = RunPresets.LongRopeProgressive() with
        {
            Stages =
            [
                new SearchStage(Factor: 2, Generations: 2, ShortGenerations: 1), new ExtendStage(new TransformSpec(PositionScheme.FullLength), 512, Steps: 3),
                new SearchStage(Generations: 2, ShortGenerations: 1),
            ],
        };
        var state = new DashboardState(new RunRecord(1, "p", spec, RunStatus.Running, T0, T0, null, "cpu", null, "/runs/p", null));
        Assert.Equal(["search-1", "extend", "search-2", "eval"], state.Stages.Select(s => s.Name));
        Assert.Equal(["search-1", "search-2"], state.SearchStages);
        state.Apply(new StageEvent(T0, "search-1", StagePhase.Started, 0, 4));

        var first = Fold(state, Generation("search-1", RopeSearchPhase.Long, 2, 0, 2, 40));
        Assert.Empty(Fold(state, Generation("search-1", RopeSearchPhase.Long, 2, 0, 2, 99)));
        var second = Fold(state, Generation("search-1", RopeSearchPhase.Long, 2, 1, 2, 30));
        var progress = state.Progress();
        var shortPhase = Fold(state, Generation("search-1", RopeSearchPhase.Short, 2, 0, 1, 12));
        state.Apply(new StageEvent(T0, "search-2", StagePhase.Started, 2, 4));
        var later = Fold(state, Generation("search-2", RopeSearchPhase.Long, 4, 0, 2, 55));

        Assert.Equal(new SeriesPoint(DashboardFigures.SearchChart, 0, 0, 40), Assert.Single(first));
        Assert.Equal(new SeriesPoint(DashboardFigures.SearchChart, 0, 1, 30), Assert.Single(second));
        Assert.Equal(new SeriesPoint(DashboardFigures.SearchChart, 1, 0, 12), Assert.Single(shortPhase));
        Assert.Equal(new SeriesPoint(DashboardFigures.SearchChart, 2, 0, 55), Assert.Single(later));
        // search-1 has 3 + 2 generations in all; 2 of them were done.
        Assert.Equal(new StageProgress(2.0 / 5, "search-1: long 2× generation 1 of 2", null), progress);
        Assert.Equal("search-2: long 4× generation 0 of 2", state.Progress().Label);
        Assert.Equal("search-2: long 4× generation 0 of 2, best perplexity 55.000, n̂ = 2, λ = 1.00 … 4.00", DashboardFigures.SearchSummary(state));

        var figure = DashboardFigures.SearchFigure(state).ToPlotly().ToJson();
        var traces = figure.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["search-1 long", "search-1 short", "search-2 long", "search-2 short"], traces.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal("[0,1]", traces[0].GetProperty("x").GetRawText());
        Assert.Equal("[40,30]", traces[0].GetProperty("y").GetRawText());
        Assert.Equal("dot", traces[1].GetProperty("line").GetProperty("dash").GetString());
        Assert.Equal("log", figure.GetProperty("layout").GetProperty("yaxis").GetProperty("type").GetString());
        Assert.Equal("[0,2]", figure.GetProperty("layout").GetProperty("xaxis").GetProperty("range").GetRawText());
        // The extend stage between the searches is the one training trace.
        Assert.Equal(["extend"], state.TrainingStages);
    }
}
