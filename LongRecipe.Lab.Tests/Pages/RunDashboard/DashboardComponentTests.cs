using Bunit;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Lab.Components.Pages.RunDashboard;
using LongRecipe.Lab.Tests.Components;

namespace LongRecipe.Lab.Tests.Pages.RunDashboard;

/// <summary>The dashboard's header, timeline and needle panel rendered (bunit) from a folded run state.</summary>
public sealed class DashboardComponentTests : MudContext
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 9, 0, 0, TimeSpan.Zero);

    private static RunSpec Spec() => RunPresets.LongRecipe() with
    {
        TargetLength = 512,
        Stages =
        [
            new ExtendStage(new TransformSpec(PositionScheme.LongRecipe, 1), SequenceLength: 160, Steps: 4, MicroBatchSize: 1),
            new AnnealStage(Steps: 2, MicroBatchSize: 1), new MergeStage(MergeMethod.Average),
        ],
    };

    private static (RunRecord, DashboardState) Running()
    {
        var run = new RunRecord(7, "r", Spec(), RunStatus.Running, T0, T0, null, "cpu", null, "/runs/r", null);
        var state = new DashboardState(run);
        state.Apply(new StatusEvent(T0, "base", RunStatus.Running));
        state.Apply(new StageEvent(T0, "extend", StagePhase.Started, 0, 4));
        state.Apply(new StepEvent(T0, "extend", 1, 4, 3.0, 1e-4, 0.5, 1000, 160, 0, TimeSpan.FromSeconds(18 * 60 + 34), 0));
        return (run, state);
    }

    [Fact]
    public void The_header_says_the_time_left_as_a_duration_not_a_clock_time()
    {
        var (run, state) = Running();

        var header = Render<RunHeader>(p => p.Add(h => h.Run, run).Add(h => h.State, state).Add(h => h.Queued, true));

        Assert.Equal("about 18 min 34 s left in this stage", header.Find(".progress-eta").TextContent);
        Assert.Equal("extend: step 1 of 4", header.Find(".progress-label").TextContent);
        Assert.Equal("Running", header.Find(".run-status").GetAttribute("data-status"));
        Assert.Equal("/api/runs/7/report.html", header.Find("a.run-report").GetAttribute("href"));
        // Queued: it can be cancelled, not resumed.
        Assert.False(header.Find("button.cancel-run").HasAttribute("disabled"));
        Assert.True(header.Find("button.resume-run").HasAttribute("disabled"));
    }

    [Fact]
    public void The_timeline_marks_each_stage_pending_running_or_done()
    {
        var (_, state) = Running();

        var timeline = Render<StageTimeline>(p => p.Add(t => t.State, state));

        Assert.Equal(["extend:Running", "anneal:Pending", "merge:Pending", "eval:Pending"],
            timeline.FindAll(".stage").Select(s => $"{s.GetAttribute("data-stage")}:{s.GetAttribute("data-state")}"));
    }

    [Fact]
    public void A_needle_cell_lists_each_needle_with_the_expected_answer_and_marks_the_models()
    {
        NeedleAnswer[] answers =
        [
            new("…the special magic number for Lisbon is 7319.…", "…Answer: The special magic number for Lisbon is", "7319", "7319", true, -0.25),
            new("…the secret word of Oslo is amber.…", "…Answer: The secret word of Oslo is", "amber", "", false, -6.5),
        ];

        var panel = Render<NeedleCellPanel>(p => p.Add(c => c.Length, 512).Add(c => c.Depth, 50.0).Add(c => c.Answers, answers));

        Assert.Equal(("512", "50"), (panel.Find(".needle-cell").GetAttribute("data-length"), panel.Find(".needle-cell").GetAttribute("data-depth")));
        Assert.Equal(["7319", "amber"], panel.FindAll(".needle-expected").Select(e => e.TextContent));
        Assert.Equal(["7319", "(nothing)"], panel.FindAll(".needle-answer").Select(e => e.TextContent.Trim()));
        Assert.Contains("mud-chip-color-success", panel.FindAll(".needle-answer")[0].ClassName);
        Assert.Contains("mud-chip-color-error", panel.FindAll(".needle-answer")[1].ClassName);
    }

    [Fact]
    public void A_needle_cell_being_asked_says_so_and_a_failure_says_why()
    {
        var asking = Render<NeedleCellPanel>(p => p.Add(c => c.Length, 256).Add(c => c.Depth, 0.0));
        Assert.Contains("Asking the final model", asking.Markup);

        var failed = Render<NeedleCellPanel>(p => p.Add(c => c.Length, 256).Add(c => c.Depth, 0.0).Add(c => c.Problem, "the run has not saved its final model yet"));
        Assert.Contains("the run has not saved its final model yet", failed.Find(".mud-alert").TextContent);
    }
}
