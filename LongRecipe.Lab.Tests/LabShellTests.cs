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
    public async Task Blazor_script_is_served_from_the_web_root()
    {
        using var response = await lab.Http.GetAsync("/_framework/blazor.web.js", Cancel);
        var script = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.True(script.Length > 100_000, $"blazor.web.js has only {script.Length} characters");
    }

    [Fact]
    public async Task Radzen_theme_the_page_links_is_served()
    {
        var html = await lab.Http.GetStringAsync("/", Cancel);
        var theme = RadzenStylesheet().Match(html);
        Assert.True(theme.Success, "the page links no Radzen stylesheet");

        using var response = await lab.Http.GetAsync(WebUtility.HtmlDecode(theme.Groups[1].Value), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/css", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Blazor_hub_negotiates_a_connection()
    {
        using var response = await lab.Http.PostAsync("/_blazor/negotiate?negotiateVersion=1", null, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("connectionToken", await response.Content.ReadAsStringAsync(Cancel));
    }

    [GeneratedRegex("href=\"(_content/Radzen\\.Blazor/css/[^\"]+)\"")]
    private static partial Regex RadzenStylesheet();
}
