using LongRecipe.Engine.Runs;
using System.Text.Json;
using LongRecipe.Engine.Torch;
using LongRecipe.Tests.Support;
using Microsoft.Playwright;

namespace LongRecipe.Lab.Tests.Browser;

/// <summary>
/// Every Lab page in real headless Chromium (Debian's chromium, driven by Playwright): pages load
/// interactive, charts draw, forms work, the browser logs no error, and each page leaves a full-page
/// screenshot in artifacts/screenshots/ for a person to look at. Long work (a run, a search) is waited for while the
/// Lab works on it (<see cref="Until"/>); a page reaction may take up to <see cref="ProgressWait.Stall"/> on a busy machine.
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
        page.Console += (_, message) => { if (message.Type == "error") lock (errors) errors.Add(message.Text); };
        page.PageError += (_, error) => { lock (errors) errors.Add(error); };

        await Home(page);
        await Positions(page);
        await Models(page);
        await TokenImpact(page);
        await TrainAndFollowARun(page);
        await SearchAndFollowARun(page);

        Assert.True(errors.Count == 0, "browser errors:\n" + string.Join("\n", errors) + "\nLab output:\n" + lab.Output);
    }

    private async Task Home(IPage page)
    {
        await Open(page, "/");
        await Expect(page.GetByText(TorchRuntime.Version.ToString()).First).ToBeVisibleAsync();
        foreach (var entry in new[] { "Token impact", "Positions & RoPE", "Train", "Runs", "Models" })
            await Expect(page.Locator(".rz-sidebar").GetByText(entry, new() { Exact = true })).ToBeVisibleAsync();
        await Screenshot(page, "home");
    }

    private async Task Positions(IPage page)
    {
        await Open(page, "/positions");
        await Expect(page.Locator("[data-chart=positions] .main-svg").First).ToBeVisibleAsync();
        Assert.Equal(["PoSE", "LongRecipe"], await TraceNames(page, "positions"));

        var length = page.Locator(".rz-numeric input").First;
        await length.FillAsync("10000");
        await page.Locator(".show-positions").ClickAsync();
        await Expect(page.GetByText("Training length L must be in [2, T = 8192], got 10000.")).ToBeVisibleAsync();
        await length.FillAsync("1024");

        await page.Locator(".rz-checkbox-list").GetByText("RPES", new() { Exact = true }).ClickAsync();
        await page.Locator(".show-positions").ClickAsync();
        await WaitForTraces(page, "positions", 3);
        Assert.Equal(["RPES", "PoSE", "LongRecipe"], await TraceNames(page, "positions"));
        Assert.Equal(3, (await TraceNames(page, "gaps")).Length);
        await Expect(page.Locator(".scheme-summary")).ToContainTextAsync("RPES");
        await Screenshot(page, "positions");

        await page.GetByRole(AriaRole.Tab, new() { Name = "RoPE scaling" }).ClickAsync();
        await Expect(page.Locator("[data-chart=rope-factors] .main-svg").First).ToBeVisibleAsync();
        Assert.Equal(["PI (linear)", "NTK-aware", "YaRN", "Llama-3"], await TraceNames(page, "rope-factors"));
        await Screenshot(page, "positions-rope");
        await RopeSearch(page);
    }

    /// <summary>A tiny LongRoPE search on the built-in model, followed across a reload of the page, then saved as a model.</summary>
    private async Task RopeSearch(IPage page)
    {
        var search = page.Locator(".rope-search");
        await Expect(search.Locator(".search-model")).ToContainTextAsync("builtin");
        await search.Locator(".search-factor input").FillAsync("2");
        await search.Locator("input.search-stages, .search-stages input").FillAsync("");
        await search.Locator(".search-population input").FillAsync("4");
        await search.Locator(".search-generations input").FillAsync("3");
        await search.Locator(".search-short-generations input").FillAsync("1");
        await search.Locator(".search-samples input").FillAsync("1");
        await search.Locator(".start-search").ClickAsync();
        await Expect(search.Locator(".search-status")).ToContainTextAsync("/ 6 generations");

        // The search lives in the Lab, not the page: a fresh page picks it up where it is.
        await Open(page, "/positions");
        await page.GetByRole(AriaRole.Tab, new() { Name = "RoPE scaling" }).ClickAsync();
        var rows = page.Locator(".search-stages-table tbody tr");
        await Until(page, "() => document.querySelectorAll('.search-stages-table tbody tr').length === 2", "the search's two stages");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.First).ToContainTextAsync("long 2×");
        await Expect(page.Locator(".search-status")).ToContainTextAsync("6 / 6 generations");
        await Expect(page.Locator(".search-factor input")).ToHaveValueAsync("2");
        await WaitForTraces(page, "rope-factors", 5);
        Assert.Equal("LongRoPE", (await TraceNames(page, "rope-factors"))[^1]);
        Assert.Equal(["long 2×", "short 2×"], await TraceNames(page, "search-perplexity"));
        await WaitForTraces(page, "search-factors", 3);
        await page.WaitForFunctionAsync("() => document.querySelector('[data-chart=search-perplexity]').data[0].x.length === 4");
        await Expect(page.Locator(".rope-json")).ToContainTextAsync("\"rope_type\": \"longrope\"");

        await page.Locator(".save-model").ClickAsync();
        await Expect(page.Locator(".model-saved")).ToContainTextAsync("builtin-longrope-2x");
        Assert.True(File.Exists(Path.Combine(lab.DataDirectory, "models", "builtin-longrope-2x", "model.safetensors")));
        await Screenshot(page, "positions-rope-search");
    }

    private async Task Models(IPage page)
    {
        await Open(page, "/models");
        var list = page.Locator(".model-list");
        await Expect(list).ToContainTextAsync(BrowserLab.ModelName);
        await Expect(list).ToContainTextAsync(TinyModel.TokenizerPresent ? "ready" : "no tokenizer");

        // The repository's built-in model is listed too: expand the tiny model's row.
        await list.Locator("tr", new() { HasText = BrowserLab.ModelName + " " }).Locator(".rz-row-toggler").ClickAsync();
        await Expect(list).ToContainTextAsync("2 layers × 32, 2 heads of 16 (1 kv), MLP 64, vocab 32000");

        var missing = Path.Combine(lab.DataDirectory, "nowhere");
        await page.Locator(".import-path input, input.import-path").FillAsync(missing);
        await page.Locator(".import-model").ClickAsync();
        await Expect(page.GetByText($"{missing}: no such directory.")).ToBeVisibleAsync();
        await Screenshot(page, "models");
    }

    private async Task TokenImpact(IPage page)
    {
        await Open(page, "/token-impact");
        if (!TinyModel.TokenizerPresent)
        {
            await Expect(page.Locator(".no-models")).ToBeVisibleAsync();
            await Screenshot(page, "token-impact");
            return;
        }
        await page.Locator(".score").ClickAsync();
        var tokens = page.Locator(".token-strip .tok");
        await Until(page, $"() => document.querySelectorAll('.token-strip .tok').length >= {TinyModel.Window}", "the scored tokens");
        Assert.Equal(TinyModel.Window, await tokens.CountAsync());
        Assert.Contains("rgba(", await tokens.Nth(1).GetAttributeAsync("style"));
        Assert.Matches(@"id \d+ · base -\d+\.\d{3} · extended -\d+\.\d{3} · Δ [+-]\d+\.\d{3}", await tokens.Nth(1).GetAttributeAsync("title"));
        await Expect(page.Locator(".top-tokens tbody tr")).ToHaveCountAsync(10);
        Assert.Equal(2, (await TraceNames(page, "categories")).Length);

        await page.Locator(".build-shortened").ClickAsync();
        await Expect(page.Locator(".shortened-saved")).ToContainTextAsync("saved to");
        var saved = Path.Combine(lab.DataDirectory, "token-impact", "shortened.jsonl");
        Assert.StartsWith("{\"text\":", File.ReadAllText(saved));
        await Screenshot(page, "token-impact");
    }

    private async Task Open(IPage page, string path)
    {
        await page.GotoAsync(lab.Url + path);
        // Prerendered HTML arrives first; clicks only work once the circuit runs the page.
        await Expect(page.Locator(".lab-layout[data-interactive=true]")).ToBeVisibleAsync();
    }

    internal static async Task<string[]> TraceNames(IPage page, string chart)
    {
        var json = await page.EvaluateAsync<JsonElement>($"() => document.querySelector('[data-chart={chart}]').data.map(t => t.name)");
        return json.EnumerateArray().Select(n => n.GetString()!).ToArray();
    }

    /// <summary>Gives the page's waits and expectations as long as a stalled signal gets: a busy machine answers late.</summary>
    internal static void Patient(IPage page)
    {
        page.SetDefaultTimeout((float)ProgressWait.Stall.TotalMilliseconds);
        Assertions.SetDefaultExpectTimeout((float)ProgressWait.Stall.TotalMilliseconds);
    }

    /// <summary>Until <paramref name="condition"/> (a JavaScript function) holds on the page, while the Lab keeps working.</summary>
    private Task Until(IPage page, string condition, string what) =>
        ProgressWait.Until(async () => await page.EvaluateAsync<bool>($"() => !!({condition})()") ? null : $"{condition} does not hold yet", lab.Progress, what);

    private static Task WaitForTraces(IPage page, string chart, int count) =>
        page.WaitForFunctionAsync($"() => document.querySelector('[data-chart={chart}]')?.data?.length === {count}");

    /// <summary>The whole page: Radzen scrolls its body element, not the document, so the viewport grows to fit it first.</summary>
    internal static async Task Screenshot(IPage page, string name)
    {
        var height = await page.EvaluateAsync<int>("() => { const b = document.querySelector('.rz-body'); return b.offsetTop + b.scrollHeight; }");
        await page.SetViewportSizeAsync(Width, Math.Max(Height, height));
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
        await page.SetViewportSizeAsync(Width, Height);
    }

    internal static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    internal static string? FindChromium() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(dir => Path.Combine(dir, "chromium"))
            .FirstOrDefault(File.Exists);
}
