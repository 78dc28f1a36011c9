using System.Text.Json;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using Microsoft.Playwright;

namespace LongRecipe.Lab.Tests.Browser;

// The Train page and the run dashboard: the preset shows on first load, a spec problem shows at its field, a tiny
// LongRecipe run starts from pasted JSON, its dashboard fills live (loss points, NIAH cells) until the run completes,
// and a clicked heatmap cell shows its needles; a LongRoPE search queued from the Positions page charts its generations.
public sealed partial class LabPagesTests
{
    private const int ExtendSteps = 12, AnnealSteps = 3;

    /// <summary>The LongRecipe preset shrunk to seconds: T = 512, L = 160, a 2 × 3 NIAH grid with one needle per cell.</summary>
    internal static RunSpec TinyRecipe() => RunPresets.LongRecipe() with
    {
        Name = "tiny-recipe",
        TargetLength = 512,
        Data = new DataSpec(Documents: 2, Replay: DataSpec.Synthetic),
        Stages =
        [
            new ExtendStage(new TransformSpec(PositionScheme.LongRecipe, 1), SequenceLength: 160, Steps: ExtendSteps, MicroBatchSize: 1, LearningRate: 1e-4),
            new AnnealStage(ReplayRatio: 0.5, Steps: AnnealSteps, MicroBatchSize: 1, LearningRate: 1e-5),
            new MergeStage(),
        ],
        Eval = new EvalSpec(
            Niah: new NeedleEvalSpec([256, 512], [0, 50, 100], NeedlesPerCell: 1),
            Passkey: new PasskeyEvalSpec([256, 512], Samples: 1),
            Perplexity: new PerplexityEvalSpec([256, 512], Samples: 1),
            ShortRetention: true),
    };

    private async Task TrainAndFollowARun(IPage page)
    {
        await Open(page, "/train");
        // The preset is shown from the first load.
        await Expect(page.Locator(".preset")).ToContainTextAsync("LongRecipe");
        await Expect(page.Locator(".stage-anneal")).ToBeVisibleAsync();
        // This data directory has no real-text corpus: the form says how to fetch one.
        await Expect(page.Locator(".real-corpus-hint")).ToContainTextAsync("./longrecipe corpus-fetch");
        await ChooseOption(page, ".preset", "PoSE");
        await Expect(page.Locator(".stage-anneal")).ToHaveCountAsync(0);
        await ChooseOption(page, ".preset", "LongRecipe");
        await Expect(page.Locator(".stage-anneal")).ToBeVisibleAsync();

        var target = page.Locator(".target-length input");
        await target.FillAsync("200");
        await target.PressAsync("Tab");
        await Expect(page.Locator(".field-problem[data-path=target_length]")).ToContainTextAsync("must exceed native_length (256)");
        await Expect(page.Locator(".spec-problems")).ToContainTextAsync("stages[0].sequence_length");
        // Recording steps as a CUDA graph is a GPU's setting: on the CPU the form says so at the checkbox.
        await page.Locator(".stage-extend .cuda-graph").ClickAsync();
        await Expect(page.Locator(".field-problem[data-path='stages[0].cuda_graph']")).ToContainTextAsync("records the step on a CUDA device; device is cpu");
        await Screenshot(page, "train");

        await page.GetByRole(AriaRole.Tab, new() { Name = "JSON" }).ClickAsync();
        await Expect(page.GetByText("./longrecipe run FILE")).ToBeVisibleAsync();
        await page.Locator(".spec-json textarea").FillAsync(TinyRecipe().ToJson());
        await page.Locator(".start-run").ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex(@"/runs/\d+$"));

        // Loss points arrive while the run trains: the extend loss trace grows.
        await Until(page, "() => document.querySelector('[data-chart=loss]')?.data?.[0]?.x?.length >= 1", "the first loss point");
        var first = await LossPoints(page, 0);
        await Until(page, $"() => document.querySelector('[data-chart=loss]').data[0].x.length > {first} || document.querySelector('[data-chart=loss]').data[1].x.length > 0",
            "more loss points");
        await Screenshot(page, "run-dashboard-live");

        await Until(page, RunCompleted, "the run completing");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-chart=niah]')?.data?.[0]?.z?.flat().filter(v => v !== null).length === 6");
        // Drawn whole once the run has ended: the x axis no longer keeps the headroom it had while following the run.
        await page.WaitForFunctionAsync("() => document.querySelector('[data-chart=loss]').layout.xaxis.autorange !== false");
        // Every step once: history and live points do not overlap.
        Assert.Equal(ExtendSteps, await LossPoints(page, 0));
        Assert.Equal(AnnealSteps, await LossPoints(page, 1));
        await Expect(page.Locator(".stage-timeline [data-state=Done]")).ToHaveCountAsync(4);
        // The log tells each stage's start and end, checkpoints, and the evaluation's progress after the final model.
        var log = page.Locator(".run-log");
        await Expect(log).ToContainTextAsync("stage 1 of 3 started: extend");
        await Expect(log).ToContainTextAsync("checkpoint after step 12");
        await Expect(log).ToContainTextAsync("final model saved to");
        await Expect(log).ToContainTextAsync("niah done: accuracy");
        await Expect(page.Locator(".resume-run")).ToBeDisabledAsync();
        await Screenshot(page, "run-dashboard");

        // The theme toggled redraws every chart: the points that streamed in live are drawn again, each once.
        await page.Locator(".dark-toggle").ClickAsync();
        await Until(page, $"() => document.querySelector('[data-chart=loss]').layout.font.color === '#e0e0e0' && document.querySelector('[data-chart=loss]').data[0].x.length === {ExtendSteps} && document.querySelector('[data-chart=loss]').data[1].x.length === {AnnealSteps}",
            "the dark loss chart with every step");
        await page.Locator(".dark-toggle").ClickAsync();
        await Expect(page.Locator(".lab-layout[data-theme=light]")).ToBeVisibleAsync();

        await NeedleCell(page);

        // Opened afresh, the finished run's dashboard draws the same from the store.
        await Open(page, new Uri(page.Url).AbsolutePath);
        await page.WaitForFunctionAsync($"() => document.querySelector('[data-chart=loss]')?.data?.[0]?.x?.length === {ExtendSteps}");
        Assert.Equal(AnnealSteps, await LossPoints(page, 1));

        // The run's one-page report: its spec, its charts drawn by the inlined plotly.js.
        var id = new Uri(page.Url).AbsolutePath.Split('/')[^1];
        await page.GotoAsync($"{lab.Url}/api/runs/{id}/report.html");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-chart=niah]')?.data?.length === 1");
        await Expect(page.Locator("pre").First).ToContainTextAsync("\"name\": \"tiny-recipe\"");
        await Screenshot(page, "run-report");
    }

    /// <summary>
    /// Clicking the heatmap's top-left cell (256 tokens, depth 100%: plotly stacks categories upwards) shows that
    /// cell's needle, asked again of the final model: its answer is right exactly when the cell reads 100%.
    /// </summary>
    private async Task NeedleCell(IPage page)
    {
        var cells = page.Locator("[data-chart=niah] .nsewdrag").First;
        await cells.ScrollIntoViewIfNeededAsync();
        var plot = await cells.BoundingBoxAsync();
        // Plotly clicks the point the pointer hovers: move there, then click.
        var (x, y) = (plot!.X + plot.Width * 0.25f, plot.Y + plot.Height / 6);
        await page.Mouse.MoveAsync(x, y, new() { Steps = 5 });
        await Expect(page.Locator("[data-chart=niah] .hoverlayer .hovertext")).ToContainTextAsync("256 · 100");
        await page.Mouse.ClickAsync(x, y);
        var panel = page.Locator(".needle-cell[data-length='256'][data-depth='100']");
        await Until(page, "() => document.querySelectorAll(\".needle-cell[data-length='256'][data-depth='100'] .needle-answers tbody tr\").length === 1", "the cell's answer");
        await Expect(panel.Locator(".needle-expected")).Not.ToBeEmptyAsync();
        var accuracy = await page.EvaluateAsync<JsonElement>("() => document.querySelector('[data-chart=niah]').data[0].z[2][0]");
        var correct = await panel.Locator(".needle-answer.mud-chip-color-success").CountAsync();
        Assert.Equal(accuracy.GetDouble() == 1 ? 1 : 0, correct);
        await Screenshot(page, "run-dashboard-needle-cell");
    }

    /// <summary>A LongRoPE search queued from the Positions page runs as a run: its dashboard charts best perplexity per generation.</summary>
    private async Task SearchFromPositionsAndFollowIt(IPage page)
    {
        await Open(page, "/positions");
        await page.GetByRole(AriaRole.Tab, new() { Name = "RoPE scaling" }).ClickAsync();
        var search = page.Locator(".rope-search");
        await Expect(search.Locator(".search-model")).ToContainTextAsync("built-in");
        foreach (var (field, value) in new[] { ("search-factor", "2"), ("search-population", "4"), ("search-generations", "1"), ("search-short-generations", "1"), ("search-samples", "1") })
        {
            await search.Locator($".{field} input").FillAsync(value);
            await search.Locator($".{field} input").PressAsync("Tab");
        }
        await search.Locator(".search-stages input").FillAsync("");
        await search.Locator(".search-stages input").PressAsync("Tab");
        await search.Locator(".start-search").ClickAsync();
        await search.Locator(".search-queued a").ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex(@"/runs/\d+$"));

        await Until(page, RunCompleted, "the search run completing");
        await page.WaitForFunctionAsync(
            "() => { const d = document.querySelector('[data-chart=search]')?.data; return d?.[0]?.x?.length === 2 && d?.[1]?.x?.length === 2; }");
        Assert.Equal(["search long", "search short"], await TraceNames(page, "search"));
        await Expect(page.Locator(".search-summary")).ToContainTextAsync("search: short 2× generation 1 of 1");
        await Expect(page.Locator(".run-log")).ToContainTextAsync("searched: n̂ =");
        await Screenshot(page, "run-dashboard-search");

        // Back on Positions the finished search draws its searched factors as LongRoPE.
        await Open(page, "/positions");
        await page.GetByRole(AriaRole.Tab, new() { Name = "RoPE scaling" }).ClickAsync();
        await Expect(page.Locator(".search-runs")).ToContainTextAsync("builtin-longrope-2x");
        await page.Locator(".draw-search").First.ClickAsync();
        await Expect(page.Locator("[data-chart=rope-factors] .legendtext").Filter(new() { HasText = "LongRoPE" })).ToBeVisibleAsync();
        Assert.Equal("LongRoPE", (await TraceNames(page, "rope-factors"))[^1]);
        await Screenshot(page, "positions-rope-search");
    }

    private const string RunCompleted = "() => document.querySelector('.run-header .run-status')?.dataset.status === 'Completed'";

    private static Task<int> LossPoints(IPage page, int trace) =>
        page.EvaluateAsync<int>($"() => document.querySelector('[data-chart=loss]').data[{trace}].x.length");

    private static async Task ChooseOption(IPage page, string select, string option)
    {
        await page.Locator($"{select} [role=combobox]").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").GetByText(option, new() { Exact = true }).ClickAsync();
    }
}
