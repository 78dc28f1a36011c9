using System.Text.Json;
using Microsoft.Playwright;

namespace LongRecipe.Lab.Tests.Browser;

/// <summary>
/// wwwroot/liveChart.js in real Chromium, on the plotly.js the Lab serves: appends inside the drawn axes redraw only
/// the lines, appends outside them redraw the chart with x headroom while it follows the run, a user's zoom is kept,
/// gaps survive, and a reduced redraw replaces the points and their mode, leaving the axes.
/// </summary>
public sealed class LiveChartScriptTests(BrowserLab lab) : IClassFixture<BrowserLab>
{
    private const string Chart = "live-test";

    [Fact]
    public async Task Appends_follow_the_run_with_headroom_redraw_lines_alone_inside_the_axes_and_keep_a_users_zoom()
    {
        var chromium = LabPagesTests.FindChromium();
        Assert.SkipWhen(chromium is null, "No chromium on PATH: install Debian's chromium package (scripts/ensure-deps.sh --test does).");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = LabPagesTests.ChromiumArgs });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = LabPagesTests.Width, Height = LabPagesTests.Height } });
        LabPagesTests.Patient(page);
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);

        // Any page with a chart loads plotly.js; the test's own chart then stands for a live one.
        await page.GotoAsync(lab.Url + "/positions");
        await page.WaitForFunctionAsync("() => window.Plotly !== undefined");
        await page.EvaluateAsync($$"""
            async () => {
                window.liveChart = await import('/liveChart.js');
                const div = Object.assign(document.createElement('div'), { id: '{{Chart}}' });
                Object.assign(div.style, { width: '600px', height: '300px' });
                document.body.prepend(div);
                // Unsimplified, so that the drawn line has a vertex per point.
                await Plotly.newPlot(div, [{ x: [0, 1, 2, 3], y: [4, 3, 2, 1], mode: 'lines', type: 'scatter', line: { simplify: false } }],
                    { margin: { l: 40, r: 10, t: 10, b: 30 } });
                for (let i = 0; i < 2; i++) await new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)));
                div.fullRedraws = 0;
                div.on('plotly_afterplot', () => div.fullRedraws++);
            }
            """);

        // Past the x axis: redrawn whole, the axis now ends a quarter of the extent past the newest point.
        var state = await Extend(page, "[[4, 5]]", "[[1.5, 2]]");
        Assert.Equal([0, 6.25], Range(state));
        Assert.Equal((6, 5.0), (state.GetProperty("drawn").GetInt32(), state.GetProperty("last").GetDouble()));
        Assert.Equal(1, state.GetProperty("fullRedraws").GetInt32());

        // Inside the axes: the line gains the point, nothing else is redrawn, the range stays.
        state = await Extend(page, "[[6]]", "[[2.5]]");
        Assert.Equal([0, 6.25], Range(state));
        Assert.Equal((7, 6.0), (state.GetProperty("drawn").GetInt32(), state.GetProperty("last").GetDouble()));
        Assert.Equal(7, state.GetProperty("linePoints").GetInt32());
        Assert.Equal(1, state.GetProperty("fullRedraws").GetInt32());

        // Above the y axis: redrawn whole, and the y axis takes the point in.
        state = await Extend(page, "[[6.1]]", "[[10]]");
        Assert.Equal(2, state.GetProperty("fullRedraws").GetInt32());
        Assert.True(state.GetProperty("yRange")[1].GetDouble() >= 10, state.ToString());

        // The user zooms in: later points are kept but the user's range stays.
        await page.EvaluateAsync($"() => Plotly.relayout('{Chart}', {{ 'xaxis.range': [1, 3] }})");
        state = await Extend(page, "[[7]]", "[[2]]");
        Assert.Equal([1, 3], Range(state));
        Assert.Equal((9, 7.0), (state.GetProperty("drawn").GetInt32(), state.GetProperty("last").GetDouble()));

        // A double click's reset (autorange) follows the run again.
        await page.EvaluateAsync($"() => Plotly.relayout('{Chart}', {{ 'xaxis.autorange': true }})");
        state = await Extend(page, "[[8]]", "[[2]]");
        Assert.Equal([0, 10], Range(state));

        // A gap (null) stays a gap.
        state = await Extend(page, "[[9, 9.5]]", "[[null, 3]]");
        Assert.Equal("[9,9.5]", state.GetProperty("tailX").GetRawText());
        Assert.Equal("[null,3]", state.GetProperty("tailY").GetRawText());

        // A reduced redraw replaces the points and the mode and leaves the axes as they are.
        await page.EvaluateAsync($"() => liveChart.replace('{Chart}', {{ x: [[0, 5, 9.5]], y: [[4, 1, 3]] }}, [0], ['lines+markers'])");
        state = await State(page);
        Assert.Equal(3, state.GetProperty("drawn").GetInt32());
        Assert.Equal("lines+markers", state.GetProperty("mode").GetString());
        Assert.Equal([0, 10], Range(state));

        Assert.True(errors.Count == 0, "browser errors:\n" + string.Join("\n", errors));
    }

    private static async Task<JsonElement> Extend(IPage page, string x, string y)
    {
        await page.EvaluateAsync($"() => liveChart.extend('{Chart}', {{ x: {x}, y: {y} }}, [0])");
        return await State(page);
    }

    /// <summary>What the chart shows after two animation frames (plotly.js draws a light append on a later frame).</summary>
    private static Task<JsonElement> State(IPage page) => page.EvaluateAsync<JsonElement>($$"""
        async () => {
            for (let i = 0; i < 2; i++) await new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)));
            const div = document.getElementById('{{Chart}}');
            const drawn = div.calcdata[0];
            const line = div.querySelector('.scatterlayer .js-line')?.getAttribute('d') ?? '';
            return {
                range: div.layout.xaxis.range, yRange: div._fullLayout.yaxis.range, drawn: drawn.length, last: drawn[drawn.length - 1].x,
                linePoints: line.split(/[ML]/).filter(s => s.length > 0).length, fullRedraws: div.fullRedraws,
                tailX: div.data[0].x.slice(-2), tailY: div.data[0].y.slice(-2), mode: div.data[0].mode,
            };
        }
        """);

    private static double[] Range(JsonElement state) => [.. state.GetProperty("range").EnumerateArray().Select(v => v.GetDouble())];
}
