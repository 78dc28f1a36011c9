using Bunit;
using LongRecipe.Lab.Components.Pages.Positions;
using LongRecipe.Lab.Tests.Components;

namespace LongRecipe.Lab.Tests.Pages.Positions;

/// <summary>The Positions page's LongRoPE search panel (bunit) over a real queue and store (<see cref="QueueContext"/>), the built-in model chosen.</summary>
public sealed class LongRopeSearchPanelTests : QueueContext
{
    /// <summary>
    /// Queue search answers with a rule's problem and what the machine lacks together: no samples, and a factor whose
    /// windows no forward on this machine holds (the panel used to check the rules alone, and meet memory only on the
    /// next press, once the rules passed).
    /// </summary>
    [Fact]
    public void Queue_search_names_a_rule_problem_and_a_window_past_memory_in_one_answer()
    {
        var panel = Render<LongRopeSearchPanel>();
        panel.Find(".search-samples input").Change("0");
        panel.Find(".search-factor input").Change("100000");

        panel.Find(".start-search").Click();

        // The check runs off the circuit's thread: wait for its answer.
        panel.WaitForState(() => panel.FindAll(".mud-input-error").Count > 0, TimeSpan.FromMinutes(2));
        Assert.StartsWith("stages[0].samples: must be at least 1, not 0", Error(panel, "search-samples"));
        Assert.StartsWith("stages[2].factor: a forward of 1 × 25600000 tokens need", Error(panel, "search-stages"));
        Assert.Contains(panel.FindAll(".mud-alert"), a => a.TextContent.Contains("eval.passkey.lengths[17]: a forward of 4 × 25600000 tokens"));
        Assert.Empty(Store.ListRuns());
    }

    /// <summary>The error text the panel shows under the field of class <paramref name="field"/>.</summary>
    private static string Error(IRenderedComponent<LongRopeSearchPanel> panel, string field) =>
        panel.Find($".{field} .mud-input-helper-text.mud-input-error").TextContent.Trim();
}
