using Bunit;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using LongRecipe.Lab.Tests.Components;
using TrainPage = LongRecipe.Lab.Components.Pages.Train.Train;

namespace LongRecipe.Lab.Tests.Pages.Train;

/// <summary>The Train page (bunit) over a real queue and store (<see cref="QueueContext"/>).</summary>
public sealed class TrainPageTests : QueueContext
{
    /// <summary>
    /// The form's check answers what starting the run would: a rule's problem and a corpus that is not there together (it
    /// used to look for the corpora only once the rules passed, and never at the model or memory: two rounds, or more).
    /// </summary>
    [Fact]
    public void The_form_names_a_rule_problem_and_a_missing_corpus_together()
    {
        var page = Render<TrainPage>();
        Assert.Empty(Shown(page));
        var gone = Path.Combine(Data, "gone.jsonl");
        var spec = RunPresets.Pose() with
        {
            Name = "checked", TargetLength = 512, Data = new DataSpec(Corpus: gone, Documents: 1),
            Stages = [new ExtendStage(new TransformSpec(PositionScheme.Pose), SequenceLength: 128, Steps: 2, MicroBatchSize: 1)],
            Eval = new EvalSpec(),
        };

        page.FindAll("[role=tab]").Single(t => t.TextContent.Trim() == "JSON").Click();
        page.Find(".spec-json textarea").Change(spec.ToJson());
        page.Find(".load-json").Click();
        Assert.Equal([$"data.corpus: {gone}: no such file or folder"], Shown(page));

        page.Find(".extend-steps input").Change("0");
        Assert.Equal(["stages[0].steps: must be ≥ 1, got 0", "stages[0].warmup_steps: must be in [0, steps = 0), got 0",
            $"data.corpus: {gone}: no such file or folder"], Shown(page));
        Assert.Empty(Store.ListRuns());
    }

    /// <summary>The problems the page's alert lists, as "path: message".</summary>
    private static List<string> Shown(IRenderedComponent<TrainPage> page) =>
        [.. page.FindAll(".spec-problems li").Select(li => li.TextContent.Trim())];
}
