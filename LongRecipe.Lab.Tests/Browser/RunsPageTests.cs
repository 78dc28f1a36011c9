using System.Net;
using System.Text.Json;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Tests.Support;
using Microsoft.Playwright;
using static LongRecipe.Lab.Tests.Browser.LabPagesTests;

namespace LongRecipe.Lab.Tests.Browser;

/// <summary>
/// The Runs and compare pages in headless Chromium over two executed runs: list, filter, tick, compare
/// (overlaid curves, heatmaps, spec diff), copy a path, download a CSV, delete; screenshots of the list and the comparison.
/// </summary>
public sealed class RunsPageTests(RunsLab lab) : IClassFixture<RunsLab>
{
    [Fact]
    public async Task Runs_list_filter_compare_download_and_delete()
    {
        var chromium = FindChromium();
        Assert.SkipWhen(chromium is null, "No chromium on PATH: install Debian's chromium package (scripts/ensure-deps.sh --test does).");
        Directory.CreateDirectory(Screenshots);
        var (recipe, pose) = (lab.RunIds[0], lab.RunIds[1]);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ChromiumArgs });
        var context = await browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = Width, Height = Height },
            Permissions = ["clipboard-read", "clipboard-write"],
            AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        Patient(page);
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") lock (errors) errors.Add($"{message.Text} at {message.Location}"); };
        page.PageError += (_, error) => { lock (errors) errors.Add(error); };

        // The list: both runs, newest first, completed, with their evals and final models.
        await Open(page, "/runs");
        var rows = page.Locator(".run-list tbody tr.mud-table-row");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.Nth(0)).ToContainTextAsync("tiny-pose");
        await Expect(rows.Nth(1)).ToContainTextAsync("tiny-longrecipe");
        await Expect(rows.Nth(0).Locator(".run-status")).ToHaveTextAsync("Completed");
        await Expect(rows.Nth(0)).ToContainTextAsync($"@ {TinyRuns.Target}");
        Assert.Equal($"/runs/{pose}", await rows.Nth(0).Locator("a.run-name").GetAttributeAsync("href"));
        // Durations and downloads are whole, not cut off.
        await Expect(rows.Nth(0).Locator(".run-duration")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+(\.\d)? s$|min|h "));
        await Expect(rows.Nth(0).Locator(".run-exports a")).ToHaveCountAsync(4);

        // Filter by name, then clear the filter.
        var name = page.Locator(".name-filter input");
        await name.FillAsync("POSE");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("tiny-pose");
        await name.FillAsync("");
        await Expect(rows).ToHaveCountAsync(2);

        // Tick both and compare.
        await Expect(page.Locator(".compare-runs")).ToBeDisabledAsync();
        await rows.Nth(1).Locator(".select-run input").ClickAsync();
        await rows.Nth(0).Locator(".select-run input").ClickAsync();
        await Expect(page.Locator(".compare-runs")).ToBeEnabledAsync();
        await Screenshot(page, "runs");
        await page.Locator(".compare-runs").ClickAsync();

        await Expect(page.Locator("[data-chart=compare-loss] .main-svg").First).ToBeVisibleAsync();
        Assert.EndsWith($"/runs/compare?ids={recipe},{pose}", Uri.UnescapeDataString(page.Url));
        Assert.Equal(["tiny-longrecipe", "tiny-pose"], await TraceNames(page, "compare-loss"));
        Assert.Equal(["tiny-longrecipe", "tiny-pose"], await TraceNames(page, "compare-perplexity"));
        var needles = page.Locator("[data-chart=needle]");
        await Expect(needles).ToHaveCountAsync(2);
        await Expect(needles.Nth(0).Locator(".hm image")).ToBeAttachedAsync();
        await Expect(needles.Nth(1).Locator(".hm image")).ToBeAttachedAsync();
        var heatmaps = await page.EvaluateAsync<JsonElement>(
            "() => [...document.querySelectorAll('[data-chart=needle]')].map(e => [e.data[0].type, e.data[0].zmin, e.data[0].zmax])");
        // Each chart exports: the SVG button downloads the chart as plotly.js renders it.
        var svg = await page.RunAndWaitForDownloadAsync(() => page.Locator(".lab-chart").Filter(new() { Has = page.Locator("[data-chart=compare-loss]") }).Locator(".export-svg").ClickAsync());
        Assert.Equal("compare-loss.svg", svg.SuggestedFilename);
        Assert.StartsWith("<svg", File.ReadAllText(await svg.PathAsync()));
        Assert.Equal("""[["heatmap",0,1],["heatmap",0,1]]""", heatmaps.GetRawText());
        var scheme = page.Locator(".spec-diff tr").Filter(new() { HasText = "stages[0].transform.scheme" });
        await Expect(scheme).ToContainTextAsync("long_recipe");
        await Expect(scheme).ToContainTextAsync("pose");
        await Expect(page.Locator(".metrics-table")).ToContainTextAsync("Tokens trained");
        await Screenshot(page, "runs-compare");

        // Download the PoSE run's steps: a header and its 4 steps.
        await Open(page, "/runs");
        var download = await page.RunAndWaitForDownloadAsync(() => rows.Nth(0).GetByText("steps.csv").ClickAsync());
        Assert.Equal($"run-{pose}-steps.csv", download.SuggestedFilename);
        var csv = File.ReadAllLines(await download.PathAsync());
        Assert.StartsWith("time,stage,step,total_steps,", csv[0]);
        Assert.Equal(["extend,1,4", "extend,2,4", "extend,3,4", "extend,4,4"], csv.Skip(1).Select(l => string.Join(',', l.Split(',').Skip(1).Take(3))));

        // Delete PoSE: a confirmation, then the row and the folder are gone.
        var poseFolder = Path.Combine(lab.Workspace.RunsFolder, FolderName(pose));
        Assert.True(Directory.Exists(poseFolder));
        await rows.Nth(0).Locator(".delete-run").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("tiny-longrecipe");
        Assert.False(Directory.Exists(poseFolder));

        // Copy the recipe's final model path.
        await rows.First.Locator(".copy-path-button").Last.ClickAsync();
        var finalModel = Path.Combine(lab.Workspace.RunsFolder, FolderName(recipe), RecipeRunner.ModelFolder);
        // The button's handler writes the clipboard through the Lab's circuit, after the click has returned.
        await ProgressWait.Until(async () =>
        {
            var copied = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
            return copied == finalModel ? null : $"the clipboard holds '{copied}', not '{finalModel}'";
        }, lab.Progress, "the final model's path on the clipboard", TestContext.Current.CancellationToken);

        // The other downloads: the recipe's eval cells and its metrics as JSON; an unknown run is a 404.
        var cancel = TestContext.Current.CancellationToken;
        var evals = await lab.Http.GetStringAsync($"/api/runs/{recipe}/evals.csv", cancel);
        Assert.StartsWith("time,stage,benchmark,context_length,depth,metric,value,samples", evals);
        Assert.Contains($"eval,passkey,{TinyRuns.Target},,accuracy,", evals);
        using var metrics = JsonDocument.Parse(await lab.Http.GetStringAsync($"/api/runs/{recipe}/metrics.json", cancel));
        Assert.Equal(5, metrics.RootElement.GetProperty("steps").GetArrayLength());
        Assert.Equal("anneal", metrics.RootElement.GetProperty("steps")[4].GetProperty("stage").GetString());
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await lab.Http.GetAsync($"/api/runs/{pose}/steps.csv", cancel)).StatusCode);

        Assert.True(errors.Count == 0, "browser errors:\n" + string.Join("\n", errors) + "\nLab output:\n" + lab.Output);

        // The deleted run's page is the Lab's not-found page, naming the run, once interactive too; the browser logs its 404 and nothing else.
        await Open(page, $"/runs/{pose}");
        await Expect(page.GetByText("There is no Lab page at this address.")).ToBeVisibleAsync();
        await Expect(page.Locator(".not-found-reason")).ToContainTextAsync($"There is no run {pose}; it may have been deleted.");
        Assert.Equal([$"Failed to load resource: the server responded with a status of 404 (Not Found) at {lab.Url}/runs/{pose}:0:0"], errors);
    }

    /// <summary>A run's page is answered 200; the page of a run that does not exist (an id no run has, or no number) 404, as the API answers, saying which.</summary>
    [Fact]
    public async Task The_page_of_a_run_that_does_not_exist_is_answered_404()
    {
        await Answers($"/runs/{lab.RunIds[0]}", HttpStatusCode.OK, $"run #{lab.RunIds[0]}");
        await NotFound("/runs/abc", "'abc' is not a run id.");
        await NotFound("/runs/99999999", "There is no run 99999999; it may have been deleted.");
    }

    /// <summary>An experiment's page is answered 200; an experiment the store lacks 404, naming it.</summary>
    [Fact]
    public async Task The_page_of_an_experiment_that_does_not_exist_is_answered_404()
    {
        var spec = new ExperimentSpec("lab-404", [RunPresets.Pose()], [1], new EvalSpec(Passkey: new PasskeyEvalSpec([1024], Samples: 4)));
        using (var store = RunStore.Open(lab.Workspace.StoreFile)) store.SaveExperiment(spec.Name, spec.ToJson());

        await Answers("/runs/experiments/lab-404", HttpStatusCode.OK, "Experiment lab-404");
        await NotFound("/runs/experiments/nosuch", "The run store has no experiment 'nosuch'.");
    }

    /// <summary>
    /// Compare ids that are no run ids are answered 404 naming the value, as are ids no run has; where only some runs are
    /// missing the others are compared, 200, with a note naming the missing.
    /// </summary>
    [Fact]
    public async Task A_comparison_of_runs_that_do_not_exist_is_answered_404_and_one_of_some_names_them()
    {
        var (recipe, pose) = (lab.RunIds[0], lab.RunIds[1]);
        await Answers($"/runs/compare?ids={recipe},{pose}", HttpStatusCode.OK, "tiny-longrecipe");
        var partial = await Answers($"/runs/compare?ids={recipe},99999999", HttpStatusCode.OK, "There is no run 99999999; it may have been deleted. The others are compared.");
        Assert.Contains("tiny-longrecipe", partial);

        await NotFound("/runs/compare?ids=99999998,99999999", "There are no runs 99999998, 99999999; they may have been deleted.");
        await NotFound("/runs/compare?ids=abc", "ids=abc: 'abc' is not a run id");
        await NotFound($"/runs/compare?ids={recipe},x7", $"ids={recipe},x7: 'x7' is not a run id");
        await NotFound("/runs/compare?ids=", "ids=: compare 2 to 4 runs, got 0");
        await NotFound("/runs/compare", "ids=: compare 2 to 4 runs, got 0");
    }

    private Task NotFound(string path, string reason) => Answers(path, HttpStatusCode.NotFound, "There is no Lab page at this address.", reason);

    /// <summary>GETs <paramref name="path"/> (prerendered) and checks its status and that its page says each of <paramref name="texts"/>; returns the page's text.</summary>
    private async Task<string> Answers(string path, HttpStatusCode status, params string[] texts)
    {
        var cancel = TestContext.Current.CancellationToken;
        using var response = await lab.Http.GetAsync(path, cancel);
        var page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync(cancel));
        Assert.True(response.StatusCode == status, $"{path}: {response.StatusCode}, expected {status}");
        foreach (var text in texts) Assert.True(page.Contains(text, StringComparison.Ordinal), $"{path}: the page does not say \"{text}\"");
        return page;
    }

    private string FolderName(long run)
    {
        using var store = RunStore.Open(lab.Workspace.StoreFile);
        return Path.GetFileName(store.GetRun(run)!.Folder);
    }

    private async Task Open(IPage page, string path)
    {
        await page.GotoAsync(lab.Url + path);
        await Expect(page.Locator(".lab-layout[data-interactive=true]")).ToBeVisibleAsync();
    }
}
