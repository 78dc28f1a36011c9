using System.Net;
using System.Text.RegularExpressions;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Lab.Tests;

/// <summary>The Lab, started as a real process, serves its shell and the assets the browser needs.</summary>
public sealed partial class LabShellTests(LabProcess lab) : IClassFixture<LabProcess>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Home_shows_the_product_and_the_engines_libtorch()
    {
        var html = await lab.Http.GetStringAsync("/", Cancel);

        Assert.Contains("LongRecipe Lab", html);
        Assert.Contains(TorchRuntime.Version.ToString(), html);
    }

    [Fact]
    public async Task The_stock_blazor_script_is_served()
    {
        using var response = await lab.Http.GetAsync("/_framework/blazor.web.js", Cancel);
        var script = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.True(script.Length > 100_000, $"blazor.web.js has only {script.Length} characters");
    }

    [Fact]
    public async Task The_stylesheets_and_scripts_the_page_links_are_served_and_plotly_comes_from_its_package()
    {
        var html = await lab.Http.GetStringAsync("/", Cancel);
        var links = Linked().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).Where(l => l.EndsWith(".css") || l.EndsWith(".js")).ToList();
        Assert.Contains(links, l => l.StartsWith("_content/MudBlazor/", StringComparison.Ordinal));
        Assert.DoesNotContain(links, l => l.Contains("Radzen", StringComparison.OrdinalIgnoreCase));

        // Plotly.Blazor's script and interop module, and the live-chart module, which the charts' PlotlyScript loads by these paths.
        foreach (var link in links.Append("_content/Plotly.Blazor/plotly-3.7.0.min.js").Append("_content/Plotly.Blazor/plotly-interop-7.2.0.js").Append("liveChart.js"))
        {
            using var response = await lab.Http.GetAsync("/" + link, Cancel);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{link}: {response.StatusCode}");
        }
        // Every asset comes from the build's manifest: nothing is served "not found in the build manifest".
        Assert.DoesNotContain("was not found in the built time manifest", lab.Output);
    }

    [Fact]
    public async Task The_icon_is_served_where_browsers_look_for_it_unasked()
    {
        using var response = await lab.Http.GetAsync("/favicon.ico", Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("<svg", (await response.Content.ReadAsStringAsync(Cancel)).TrimStart());
    }

    [Fact]
    public async Task Blazor_hub_negotiates_a_connection()
    {
        using var response = await lab.Http.PostAsync("/_blazor/negotiate?negotiateVersion=1", null, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("connectionToken", await response.Content.ReadAsStringAsync(Cancel));
    }

    [GeneratedRegex("(?:href|src)=\"([^\"]+)\"")]
    private static partial Regex Linked();
}
