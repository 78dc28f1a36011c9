using LongRecipe.Engine.Analysis;

namespace LongRecipe.Engine.Tests.Analysis;

public class TokenImpactTests
{
    private static readonly string[] Words = ["the", "and", "Paris", "cat", "river", "of", "Alice", "runs", "blue", "but"];

    // A toy vocabulary: ids 0-9 spell the digits, 10-19 words, 20 is ".".
    private static string Decode(long id) => id switch
    {
        < 10 => id.ToString(),
        20 => ".",
        _ => Words[id - 10],
    };

    [Fact]
    public void Position_deltas_are_extended_minus_base_scores()
    {
        var document = new ScoredDocument([5, 1, 2, 3], [-1.0, -2.0, -0.5], [-0.5, -2.5, -0.5]);
        Assert.Equal([0.5, -0.5, 0.0], TokenImpact.PositionDeltas(document));
    }

    [Fact]
    public void When_the_settings_differ_only_on_digits_the_digits_are_the_impactful_tokens()
    {
        // The extended setting scores every digit 1.5 nats higher and everything else the same.
        var random = new Random(4);
        var documents = Enumerable.Range(0, 20).Select(_ =>
        {
            var ids = Enumerable.Range(0, 60).Select(_ => (long)random.Next(0, 21)).ToArray();
            var baseScores = ids[1..].Select(_ => -random.NextDouble() * 5).ToArray();
            var extended = baseScores.Select((s, i) => ids[i + 1] < 10 ? s + 1.5 : s).ToArray();
            return new ScoredDocument(ids, baseScores, extended);
        }).ToList();

        var ranked = TokenImpact.Rank(documents);
        Assert.Equal(21, ranked.Count);
        Assert.All(ranked.Take(10), t => Assert.Equal(1.5, t.MeanDelta, 12));
        Assert.All(ranked.Skip(10), t => Assert.Equal(0.0, t.MeanDelta, 12));
        Assert.Equal(documents.Sum(d => d.TokenIds.Length - 1), ranked.Sum(t => t.Count));

        var impactful = TokenImpact.Impactful(ranked, 0.2);
        Assert.Equal(4, impactful.Count);
        Assert.All(impactful, id => Assert.InRange(id, 0, 9));
        var breakdown = TokenCategories.Breakdown(impactful, Decode);
        Assert.Equal(4, breakdown[TokenCategory.Digit]);
        Assert.Equal(0, breakdown[TokenCategory.Other]);
    }

    [Fact]
    public void Mean_delta_averages_over_a_tokens_occurrences()
    {
        var ranked = TokenImpact.Rank([
            new ScoredDocument([0, 7, 7], [-1, -1], [0, -3]),
            new ScoredDocument([0, 7, 8], [-2, -2], [-1.5, -2]),
        ]);
        // Token 7: δ = 1, −2, 0.5 → −1/6; token 8: δ = 0. Largest first.
        Assert.Equal(new TokenDelta(8, 0, 1), ranked[0]);
        Assert.Equal(7, ranked[1].TokenId);
        Assert.Equal(-1.0 / 6, ranked[1].MeanDelta, 12);
        Assert.Equal(3, ranked[1].Count);
        Assert.Single(TokenImpact.Rank([new ScoredDocument([0, 7, 7, 8], [-1, -1, -1], [-1, -1, -1])], minCount: 2));
    }

    [Fact]
    public void Misaligned_scores_and_bad_fractions_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => TokenImpact.PositionDeltas(new ScoredDocument([1, 2, 3], [-1], [-1, -1])));
        Assert.Contains("1 base scores for 3 tokens (expected 2)", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenImpact.Impactful([new TokenDelta(1, 0, 1)], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenImpact.Impactful([new TokenDelta(1, 0, 1)], 1.5));
    }

    [Theory]
    [InlineData("2024", TokenCategory.Digit)]
    [InlineData(" 7", TokenCategory.Digit)]
    [InlineData(".", TokenCategory.Punctuation)]
    [InlineData(" ),", TokenCategory.Punctuation)]
    [InlineData(" and", TokenCategory.FunctionWord)]
    [InlineData("\u2581The", TokenCategory.FunctionWord)]
    [InlineData(" Paris", TokenCategory.Capitalized)]
    [InlineData("cat", TokenCategory.Other)]
    public void Tokens_fall_into_categories(string text, TokenCategory expected) =>
        Assert.Equal(expected, TokenCategories.Categorize(text));
}
