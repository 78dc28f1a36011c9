using LongRecipe.Engine.Runs;
using System.Text.Json;
using LongRecipe.Engine.Torch;
using LongRecipe.Tests.Support;
using Microsoft.Playwright;

namespace LongRecipe.Lab.Tests.Browser;

/// <summary>
/// Every Lab page in real headless Chromium (Debian's chromium, driven by Playwright): pages load
/// interactive, charts draw, forms show problems at their fields, dark mode is remembered, the browser logs no
/// error, and each page leaves a full-page screenshot in artifacts/screenshots/ for a person to look at. Long work
/// (a run, a search) is waited for while the Lab works on it (<see cref="Until"/>); a page reaction may take up to
/// <see cref="ProgressWait.Stall"/> on a busy machine.
/// </summary>
public sealed partial class LabPagesTests(BrowserLab lab) : IClassFixture<BrowserLab>
{
    internal static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    internal const int Width = 1440, Height = 900;

    internal static string Screenshots => Path.Combine(Workspace.LocateRoot(), "artifacts", "screenshots");

    [Fact]
    public async Task Every_page_renders_works_and_logs_no_browser_error()
    {
        var chromium = FindChromium();
        Assert.SkipWhen(chromium is null, "No chromium on PATH: install Debian's chromium package (scripts/ensure-deps.sh --test does).");
        Directory.CreateDirectory(Screenshots);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ChromiumArgs });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = Width, Height = Height } });
        Patient(page);
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") lock (errors) errors.Add($"{message.Text} at {message.Location}"); };
        page.PageError += (_, error) => { lock (errors) errors.Add(error); };

        await Home(page);
        await Positions(page);
        await DarkMode(page);
        await Models(page);
        await TokenImpact(page);
        await TrainAndFollowARun(page);
        await SearchFromPositionsAndFollowIt(page);

        Assert.True(errors.Count == 0, "browser errors:\n" + string.Join("\n", errors) + "\nLab output:\n" + lab.Output);
    }

    private async Task Home(IPage page)
    {
        await Open(page, "/");
        await Expect(page.GetByText(TorchRuntime.Version.ToString()).First).ToBeVisibleAsync();
        foreach (var entry in new[] { "Token impact", "Positions & RoPE", "Train", "Runs", "Models" })
            await Expect(page.Locator(".lab-nav").GetByText(entry, new() { Exact = true })).ToBeVisibleAsync();
        await Screenshot(page, "home");
    }

    private async Task Positions(IPage page)
    {
        await Open(page, "/positions");
        await Expect(page.Locator("[data-chart=positions] .main-svg").First).ToBeVisibleAsync();
        Assert.Equal(["PoSE", "LongRecipe"], await TraceNames(page, "positions"));

        // A bad value is named at its field, not clamped: L = 0 stays 0 and says why.
        var length = page.Locator(".positions-length input");
        await length.FillAsync("0");
        await length.PressAsync("Tab");
        await page.Locator(".show-positions").ClickAsync();
        await Expect(page.Locator(".positions-length")).ToContainTextAsync("Training length L must be in [2, T = 8192], got 0.");
        await Expect(length).ToHaveValueAsync("0");
        await length.FillAsync("1024");
        await length.PressAsync("Tab");

        await page.Locator(".scheme-choice label").Filter(new() { HasText = "RPES" }).ClickAsync();
        await page.Locator(".show-positions").ClickAsync();
        await WaitForTraces(page, "positions", 3);
        Assert.Equal(["RPES", "PoSE", "LongRecipe"], await TraceNames(page, "positions"));
        Assert.Equal(3, (await TraceNames(page, "gaps")).Length);
        await Expect(page.Locator(".scheme-summary")).ToContainTextAsync("RPES");
        // Coverage keeps its whole 0–100% axis (a small dip stays small); log axes label decades only.
        Assert.Equal("[0,102]", (await Layout(page, "coverage")).GetProperty("yaxis").GetProperty("range").GetRawText());
        Assert.Equal("none", (await Layout(page, "gaps")).GetProperty("yaxis").GetProperty("minorloglabels").GetString());
        await Screenshot(page, "positions");

        await page.GetByRole(AriaRole.Tab, new() { Name = "RoPE scaling" }).ClickAsync();
        await Expect(page.Locator("[data-chart=rope-factors] .main-svg").First).ToBeVisibleAsync();
        Assert.Equal(["PI (linear)", "NTK-aware", "YaRN", "Llama-3"], await TraceNames(page, "rope-factors"));
        var factor = page.Locator(".rope-factor input");
        await factor.FillAsync("0.5");
        await factor.PressAsync("Tab");
        await page.Locator(".show-rope").ClickAsync();
        await Expect(page.Locator(".rope-factor")).ToContainTextAsync("Factor must be in [1, 1024], got 0.5.");
        await factor.FillAsync("8");
        await factor.PressAsync("Tab");
        await page.Locator(".show-rope").ClickAsync();
        await Screenshot(page, "positions-rope");
    }

    /// <summary>Dark mode from the app bar: the page and the charts' text turn dark-mode colours, and a reload remembers it.</summary>
    private async Task DarkMode(IPage page)
    {
        await Open(page, "/positions");
        await Expect(page.Locator("[data-chart=positions] .main-svg").First).ToBeVisibleAsync();
        await page.Locator(".dark-toggle").ClickAsync();
        await Expect(page.Locator(".lab-layout[data-theme=dark]")).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('[data-chart=positions]').layout.font.color === '#e0e0e0'");

        await Open(page, "/positions");
        await Expect(page.Locator(".lab-layout[data-theme=dark]")).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('[data-chart=positions]')?.layout?.font?.color === '#e0e0e0'");
        await Screenshot(page, "positions-dark");

        await page.Locator(".dark-toggle").ClickAsync();
        await Expect(page.Locator(".lab-layout[data-theme=light]")).ToBeVisibleAsync();
    }

    private async Task Models(IPage page)
    {
        await Open(page, "/models");
        var list = page.Locator(".model-list");
        await Expect(list).ToContainTextAsync(BrowserLab.ModelName);
        await Expect(list).ToContainTextAsync(TinyModel.TokenizerPresent ? "ready" : "no tokenizer");

        // The repository's built-in model is listed too: expand the tiny model's row.
        await list.Locator("tr", new() { HasText = BrowserLab.ModelName + " " }).Locator("button").First.ClickAsync();
        await Expect(list).ToContainTextAsync("2 layers × 32, 2 heads of 16 (1 kv), MLP 64, vocab 32000");

        var missing = Path.Combine(lab.DataDirectory, "nowhere");
        await page.Locator(".import-path input").FillAsync(missing);
        await page.Locator(".import-model").ClickAsync();
        await Expect(page.Locator(".import-path")).ToContainTextAsync($"{missing}: no such directory.");
        await Screenshot(page, "models");
    }

    /// <summary>The built-in model on the default sample, a real document longer than its 256-token window.</summary>
    private async Task TokenImpact(IPage page)
    {
        await Open(page, "/token-impact");
        await Expect(page.Locator(".sample-choice")).ToContainTextAsync("State of the Union address, 1790");
        await page.Locator(".score").ClickAsync();
        var tokens = page.Locator(".token-strip .tok");
        await Until(page, "() => document.querySelectorAll('.token-strip .tok').length >= 256", "the scored tokens");
        Assert.Equal(256, await tokens.CountAsync());
        Assert.Contains("rgba(", await tokens.Nth(1).GetAttributeAsync("style"));
        Assert.Matches(@"id \d+ · base -\d+\.\d{3} · extended -\d+\.\d{3} · Δ [+-]\d+\.\d{3}", await tokens.Nth(1).GetAttributeAsync("title"));
        await Expect(page.Locator(".impact-counts")).ToContainTextAsync("after the last window left out");
        await Expect(page.Locator(".top-tokens tbody tr")).ToHaveCountAsync(10);
        await WaitForTraces(page, "categories", 2);

        await page.Locator(".build-shortened").ClickAsync();
        await Expect(page.Locator(".shortened-saved")).ToContainTextAsync("saved to");
        var saved = Path.Combine(lab.DataDirectory, "token-impact", "shortened.jsonl");
        Assert.StartsWith("{\"text\":", File.ReadAllText(saved));
        await Screenshot(page, "token-impact");

        // Two windows slide over the text: twice the tokens.
        await page.Locator(".score-windows input").FillAsync("2");
        await page.Locator(".score-windows input").PressAsync("Tab");
        await page.Locator(".score").ClickAsync();
        await Until(page, "() => document.querySelectorAll('.token-strip .tok').length === 512", "two windows' tokens");

        // A truncated window as long as the model's: both settings see the same context, so nothing is ranked.
        await page.Locator(".score-windows input").FillAsync("1");
        await page.Locator(".truncated-window input").FillAsync("300");
        await page.Locator(".truncated-window input").PressAsync("Tab");
        await page.Locator(".score").ClickAsync();
        await Until(page, "() => document.querySelector('.impact-identical')?.textContent.includes('Every Δ is 0')", "the identical-context warning");
        await Expect(page.Locator(".top-tokens")).ToHaveCountAsync(0);
        await Expect(page.Locator(".build-shortened")).ToHaveCountAsync(0);
        await Screenshot(page, "token-impact-identical");

        // An error replaces the result on screen.
        await page.Locator(".text-source label").Filter(new() { HasText = "Paste text" }).ClickAsync();
        await page.Locator(".score").ClickAsync();
        await Expect(page.Locator(".impact-problem")).ToContainTextAsync("There is no text to score.");
        await Expect(page.Locator(".impact-results")).ToHaveCountAsync(0);
    }

    internal async Task Open(IPage page, string path)
    {
        await page.GotoAsync(lab.Url + path);
        // Prerendered HTML arrives first; clicks only work once the circuit runs the page.
        await Expect(page.Locator(".lab-layout[data-interactive=true]")).ToBeVisibleAsync();
    }

    internal static async Task<string[]> TraceNames(IPage page, string chart)
    {
        // Each chart draws on its own once plotly.js has loaded: wait for this one's traces.
        await page.WaitForFunctionAsync($"() => document.querySelector('[data-chart={chart}]')?.data !== undefined");
        var json = await page.EvaluateAsync<JsonElement>($"() => document.querySelector('[data-chart={chart}]').data.map(t => t.name)");
        return json.EnumerateArray().Select(n => n.GetString()!).ToArray();
    }

    private static Task<JsonElement> Layout(IPage page, string chart) =>
        page.EvaluateAsync<JsonElement>($"() => document.querySelector('[data-chart={chart}]').layout");

    /// <summary>Gives the page's waits and expectations as long as a stalled signal gets: a busy machine answers late.</summary>
    internal static void Patient(IPage page)
    {
        page.SetDefaultTimeout((float)ProgressWait.Stall.TotalMilliseconds);
        Assertions.SetDefaultExpectTimeout((float)ProgressWait.Stall.TotalMilliseconds);
    }

    /// <summary>Until <paramref name="condition"/> (a JavaScript function) holds on the page, while the Lab keeps working.</summary>
    private Task Until(IPage page, string condition, string what) =>
        ProgressWait.Until(async () => await page.EvaluateAsync<bool>($"() => !!({condition})()") ? null : $"{condition} does not hold yet", lab.Progress, what);

    internal static Task WaitForTraces(IPage page, string chart, int count) =>
        page.WaitForFunctionAsync($"() => document.querySelector('[data-chart={chart}]')?.data?.length === {count}");

    /// <summary>The whole page, as a person scrolling it from the top sees it (the app bar stays at the top).</summary>
    internal static async Task Screenshot(IPage page, string name)
    {
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
    }

    /// <summary>Assertions that wait up to 30 s: plotly.js (3.5 MB) loads with a page's first chart, on a busy two-core machine.</summary>
    internal static ILocatorAssertions Expect(ILocator locator)
    {
        Assertions.SetDefaultExpectTimeout(30_000);
        return Assertions.Expect(locator);
    }

    internal static string? FindChromium() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(dir => Path.Combine(dir, "chromium"))
            .FirstOrDefault(File.Exists);
}
