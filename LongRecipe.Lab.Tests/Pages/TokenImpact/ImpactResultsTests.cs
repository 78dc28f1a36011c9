using Bunit;
using LongRecipe.Engine.Analysis;
using LongRecipe.Lab.Components.Pages.TokenImpact;
using LongRecipe.Lab.Tests.Components;

namespace LongRecipe.Lab.Tests.Pages.TokenImpact;

/// <summary>The scored-text view rendered (bunit): nothing misleading when both settings saw the same context.</summary>
public sealed class ImpactResultsTests : MudContext
{
    private static readonly Dictionary<long, string> Words = new() { [1] = " The", [2] = " cat", [3] = " sat", [4] = ".", [5] = " " };

    private static string Decode(long[] ids) => string.Concat(ids.Select(id => Words[id]));

    [Fact]
    public void When_every_delta_is_zero_it_warns_and_shows_no_ranking_categories_or_shortening()
    {
        // A text inside the truncated window: both contexts are the same, so both scores are.
        var document = new ScoredDocument([1, 2, 3, 4], [-2, -3, -1], [-2, -3, -1]);
        var view = ImpactView.Build(document, Decode);
        var result = new ImpactResult([document], null!, 4, 0, "tiny: full context against 64-token windows", []);

        var rendered = Render<ImpactResults>(p => p.Add(r => r.Result, result).Add(r => r.View, view).Add(r => r.DataDirectory, "/data"));

        Assert.True(view.Identical);
        Assert.Contains("The text fits inside the truncated window", rendered.Find(".impact-identical").TextContent);
        Assert.Empty(rendered.FindAll(".top-tokens"));
        Assert.Empty(rendered.FindAll(".build-shortened"));
        Assert.Equal(4, rendered.FindAll(".token-strip .tok").Count);
    }

    [Fact]
    public void What_loading_found_wrong_shows_above_the_scores()
    {
        var document = new ScoredDocument([1, 2, 3, 4], [-2, -3, -1], [-2.5, -3, -1]);
        const string nan = "/models/m/model.safetensors: tensor 'model.norm.weight' has 1 of 32 values not finite (NaN or ±∞); what it touches computes NaN";
        var result = new ImpactResult([document], null!, 4, 0, "m: full context against 2-token windows", [nan]);

        var rendered = Render<ImpactResults>(p => p.Add(r => r.Result, result).Add(r => r.View, ImpactView.Build(document, Decode)).Add(r => r.DataDirectory, "/data"));

        Assert.Equal([nan], rendered.FindAll(".impact-load-warning").Select(w => w.TextContent.Trim()));
    }

    [Fact]
    public void A_space_token_is_shown_as_a_visible_mark_in_the_ranking()
    {
        var document = new ScoredDocument([1, 5, 2, 5, 3], [-2, -3, -1, -4], [-1, -3, -0.5, -2]);
        var view = ImpactView.Build(document, Decode);
        var result = new ImpactResult([document], null!, 5, 0, "tiny: full context against 64-token windows", []);

        var rendered = Render<ImpactResults>(p => p.Add(r => r.Result, result).Add(r => r.View, view).Add(r => r.DataDirectory, "/data"));

        var space = rendered.FindAll(".top-tokens code.token-text").Single(c => c.GetAttribute("title") == "' '");
        Assert.Equal("␣", space.TextContent);
        Assert.Contains("space", space.ClassName);
    }
}
