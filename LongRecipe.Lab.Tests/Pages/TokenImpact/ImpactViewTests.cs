using LongRecipe.Engine.Analysis;
using LongRecipe.Lab.Components.Pages.TokenImpact;

namespace LongRecipe.Lab.Tests.Pages.TokenImpact;

public sealed class ImpactViewTests
{
    // A word-level "tokenizer" that, like SentencePiece decoders, drops the leading space of its output.
    private static readonly Dictionary<long, string> Words = new() { [1] = " The", [2] = " cat", [3] = " sat", [4] = ".", [5] = " 42" };

    private static string Decode(long[] ids) => string.Concat(ids.Select(id => Words[id])).TrimStart(' ');

    // Tokens: The cat sat 42 cat .   δ = extended − base for cat, sat, 42, cat, ".": +1, −0.5, +2, +0.5, 0
    private static readonly ScoredDocument Document = new([1, 2, 3, 5, 2, 4], [-3, -2, -4, -1.5, -1], [-2, -2.5, -2, -1, -1]);

    [Fact]
    public void Cells_hold_each_tokens_text_in_place_with_both_scores_and_delta()
    {
        var view = ImpactView.Build(Document, Decode);

        Assert.Equal(["The", " cat", " sat", " 42", " cat", "."], view.Cells.Select(c => c.Text));
        Assert.Null(view.Cells[0].Delta);
        Assert.Equal([1.0, -0.5, 2, 0.5, 0], view.Cells.Skip(1).Select(c => c.Delta!.Value));
        Assert.Equal((-3.0, -2.0), (view.Cells[1].Base!.Value, view.Cells[1].Extended!.Value));
        Assert.Equal("' cat' · id 2 · base -3.000 · extended -2.000 · Δ +1.000", view.Cells[1].Tooltip);
        Assert.Equal(2, view.Scale);
    }

    [Fact]
    public void Colour_is_teal_for_help_red_for_harm_and_strongest_at_the_largest_change()
    {
        var view = ImpactView.Build(Document, Decode);

        Assert.Equal("rgba(0, 137, 123, 0.80)", view.ColorOf(2));
        Assert.Equal("rgba(229, 57, 53, 0.44)", view.ColorOf(-1));
        Assert.Equal("rgba(0, 137, 123, 0.08)", view.ColorOf(0));
        Assert.Equal("transparent", view.ColorOf(null));
    }

    [Fact]
    public void The_top_table_ranks_token_types_by_mean_delta_with_their_category()
    {
        var view = ImpactView.Build(Document, Decode);

        // Δ(42) = 2, Δ(cat) = (1 + 0.5) / 2 = 0.75, Δ(.) = 0, Δ(sat) = −0.5; the top 20% of 4 types is one.
        Assert.Equal([(5L, 2.0, 1), (2L, 0.75, 2), (4L, 0.0, 1), (3L, -0.5, 1)], view.Top.Select(t => (t.TokenId, t.MeanDelta, t.Count)));
        Assert.Equal([TokenCategory.Digit, TokenCategory.Other, TokenCategory.Punctuation, TokenCategory.Other], view.Top.Select(t => t.Category));
        Assert.Equal(new HashSet<long> { 5 }, view.Impactful);
    }

    [Fact]
    public void The_category_chart_compares_all_token_types_with_the_impactful_ones()
    {
        var view = ImpactView.Build(Document, Decode);
        var all = view.Categories.Traces[0].Y;
        var impactful = view.Categories.Traces[1].Y;

        // Four scored types: 42 (Digit), "." (Punctuation), cat and sat (Other); the impactful one is 42.
        Assert.Equal([25.0, 25, 0, 0, 50], all);
        Assert.Equal([100.0, 0, 0, 0, 0], impactful);
        Assert.Equal(Enum.GetNames<TokenCategory>(), view.Categories.Traces[0].XLabels);
    }

    [Fact]
    public void One_outlier_does_not_wash_out_the_colour_scale_which_is_the_95th_percentile_of_the_changes()
    {
        // Twenty changes of 0.1 and one of 10: the 95th percentile by nearest rank (the 20th of 21) is 0.1.
        var magnitudes = Enumerable.Repeat(0.1, 20).Append(10).ToList();

        Assert.Equal(0.1, ImpactView.RobustScale(magnitudes));
        // Mostly zeros with a few changes: the largest, so the changes still show.
        Assert.Equal(3, ImpactView.RobustScale([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]));
        Assert.Equal(0, ImpactView.RobustScale([]));
    }

    [Theory]
    [InlineData(" ", "␣")]
    [InlineData("\n\n", "↵↵")]
    [InlineData("\t", "⇥")]
    [InlineData(" cat", " cat")]
    public void White_space_tokens_are_made_visible(string token, string shown) => Assert.Equal(shown, ImpactView.Visible(token));

    [Fact]
    public void Windows_of_a_long_text_are_scored_one_after_another_each_starting_unscored()
    {
        var first = new ScoredDocument([1, 2, 3], [-3, -2], [-2, -2.5]);
        var second = new ScoredDocument([5, 2, 4], [-1.5, -1], [-1, -1]);

        var view = ImpactView.Build([first, second], Decode);

        Assert.Equal(6, view.Cells.Count);
        Assert.Equal([0, 1, 2, 3, 4, 5], view.Cells.Select(c => c.Index));
        Assert.Equal([null, 1.0, -0.5, null, 0.5, 0], view.Cells.Select(c => c.Delta));
        Assert.Equal(2, view.Windows);
        // cat is seen in both windows: (1 + 0.5) / 2.
        Assert.Equal(0.75, view.Top.Single(t => t.TokenId == 2).MeanDelta);
    }
}
