using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using Microsoft.Playwright;

namespace LongRecipe.Lab.Tests.Browser;

// The Train page and the run dashboard: a spec problem shows at its field, a tiny LongRecipe run starts from
// pasted JSON, and its dashboard fills live (loss points, NIAH cells) until the run completes; a tiny search run
// charts its generations.
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
        await Expect(page.Locator(".stage-anneal")).ToBeVisibleAsync();
        // This data directory has no real-text corpus: the form says how to fetch one.
        await Expect(page.Locator(".real-corpus-hint")).ToContainTextAsync("./longrecipe corpus-fetch");
        await ChooseOption(page, ".preset", "PoSE");
        await Expect(page.Locator(".stage-anneal")).ToHaveCountAsync(0);
        await ChooseOption(page, ".preset", "LongRecipe");
        await Expect(page.Locator(".stage-anneal")).ToBeVisibleAsync();

        var target = page.Locator(".target-length input, input.target-length").First;
        await target.FillAsync("200");
        await target.PressAsync("Tab");
        await Expect(page.Locator(".field-problem[data-path=target_length]")).ToContainTextAsync("must exceed native_length (256)");
        await Expect(page.Locator(".spec-problems")).ToContainTextAsync("stages[0].sequence_length");
        await Screenshot(page, "train");

        await page.GetByRole(AriaRole.Tab, new() { Name = "JSON" }).ClickAsync();
        await page.Locator("textarea.spec-json").FillAsync(TinyRecipe().ToJson());
        await page.Locator(".start-run").ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex(@"/runs/\d+$"));

        // Loss points arrive while the run trains: the extend loss trace grows.
        await Until(page, "() => document.querySelector('[data-chart=loss]')?.data?.[0]?.x?.length >= 1", "the first loss point");
        var first = await LossPoints(page, 0);
        await Until(page, $"() => document.querySelector('[data-chart=loss]').data[0].x.length > {first} || document.querySelector('[data-chart=loss]').data[2].x.length > 0",
            "more loss points");
        await Screenshot(page, "run-dashboard-live");

        await Until(page, RunCompleted, "the run completing");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-chart=niah]')?.data?.[0]?.z?.flat().filter(v => v !== null).length === 6");
        // Every step once: history and live points do not overlap.
        Assert.Equal(ExtendSteps, await LossPoints(page, 0));
        Assert.Equal(AnnealSteps, await LossPoints(page, 2));
        await Expect(page.Locator(".stage-timeline [data-state=Done]")).ToHaveCountAsync(4);
        await Expect(page.Locator(".run-log")).ToContainTextAsync("final model saved to");
        await Expect(page.Locator(".resume-run")).ToBeDisabledAsync();
        await Screenshot(page, "run-dashboard");

        // Opened afresh, the finished run's dashboard draws the same from the store.
        await Open(page, new Uri(page.Url).AbsolutePath);
        await page.WaitForFunctionAsync($"() => document.querySelector('[data-chart=loss]')?.data?.[0]?.x?.length === {ExtendSteps}");
        Assert.Equal(AnnealSteps, await LossPoints(page, 2));
    }

    /// <summary>Training-free LongRoPE shrunk to seconds: one search stage (2×, n̂ ∈ {0, 2}, one generation per phase), perplexity at 512.</summary>
    internal static RunSpec TinySearch() => RunPresets.LongRope() with
    {
        Name = "tiny-search",
        TargetLength = 512,
        Data = new DataSpec(Documents: 1),
        Stages = [new SearchStage(UnscaledTokens: [0, 2], Population: 4, Generations: 1, Parents: 2, ShortGenerations: 1, Samples: 1)],
        Eval = new EvalSpec(Perplexity: new PerplexityEvalSpec([512], Samples: 1)),
    };

    /// <summary>A search run started from the Train page: its dashboard charts best perplexity per generation, long and short.</summary>
    private async Task SearchAndFollowARun(IPage page)
    {
        await Open(page, "/train");
        await page.GetByRole(AriaRole.Tab, new() { Name = "JSON" }).ClickAsync();
        await page.Locator("textarea.spec-json").FillAsync(TinySearch().ToJson());
        await page.Locator(".start-run").ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex(@"/runs/\d+$"));

        await Until(page, RunCompleted, "the search run completing");
        await page.WaitForFunctionAsync(
            "() => { const d = document.querySelector('[data-chart=search]')?.data; return d?.[0]?.x?.length === 2 && d?.[1]?.x?.length === 2; }");
        Assert.Equal(["search long", "search short"], await TraceNames(page, "search"));
        await Expect(page.Locator(".search-summary")).ToContainTextAsync("search: short 2× generation 1 of 1");
        await Expect(page.Locator(".run-log")).ToContainTextAsync("searched: n̂ =");
        await Screenshot(page, "run-dashboard-search");
    }

    private const string RunCompleted = "() => document.querySelector('.run-status')?.dataset.status === 'Completed'";

    private static Task<int> LossPoints(IPage page, int trace) =>
        page.EvaluateAsync<int>($"() => document.querySelector('[data-chart=loss]').data[{trace}].x.length");

    private static async Task ChooseOption(IPage page, string dropdown, string option)
    {
        await page.Locator(dropdown).ClickAsync();
        await page.Locator(".rz-dropdown-panel .rz-dropdown-item:visible").GetByText(option, new() { Exact = true }).ClickAsync();
    }
}
