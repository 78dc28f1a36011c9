using LongRecipe.Engine.Analysis;

namespace LongRecipe.Engine.Tests.Analysis;

public class SentenceSelectionTests
{
    private const long Period = 20;

    private static bool EndsSentence(long id) => id == Period;

    // Id 0-9 are digits, 10-19 words, 20 the period.
    private static string Decode(long[] ids) => string.Concat(ids.Select(id => id < 10 ? id.ToString() : id == Period ? "." : " w"));

    /// <summary>200 sentences of 3 words and a period; every fifth also holds a digit.</summary>
    private static long[] Document() =>
        Enumerable.Range(0, 200).SelectMany(s => s % 5 == 0 ? new long[] { 11, 3, 12, Period } : [11, 12, 13, Period]).ToArray();

    [Fact]
    public void Sentences_end_at_their_ending_token_and_a_remainder_is_a_sentence()
    {
        var sentences = SentenceSelection.Sentences(new long[] { 1, 2, Period, 3, Period, 4 }, EndsSentence);
        Assert.Equal([[1, 2, Period], [3, Period], [4]], sentences);
    }

    [Fact]
    public void The_digit_heuristic_keeps_every_digit_sentence_and_drops_about_the_select_ratio_of_the_rest()
    {
        for (ulong seed = 0; seed < 20; seed++)
        {
            var kept = SentenceSelection.Sentences(
                SentenceSelection.ByDigits(Document(), EndsSentence, Decode, new SentenceSelectionSpec(0.6, seed)), EndsSentence);
            Assert.Equal(40, kept.Count(s => s.Contains(3L)));
            // 160 other sentences, each kept with probability 0.4: 64 ± 3σ (σ ≈ 6.2).
            Assert.InRange(kept.Count(s => !s.Contains(3L)), 64 - 19, 64 + 19);
        }
    }

    [Fact]
    public void Impactful_selection_keeps_sentences_with_an_impactful_token_and_is_reproducible()
    {
        var spec = new SentenceSelectionSpec(1.0, Seed: 9);
        var kept = SentenceSelection.ByImpactfulTokens(Document(), EndsSentence, new HashSet<long> { 3 }, spec);
        Assert.Equal(Enumerable.Repeat(new long[] { 11, 3, 12, Period }, 40).SelectMany(s => s), kept);

        var a = SentenceSelection.ByImpactfulTokens(Document(), EndsSentence, new HashSet<long> { 3 }, spec with { SelectRatio = 0.5 });
        var b = SentenceSelection.ByImpactfulTokens(Document(), EndsSentence, new HashSet<long> { 3 }, spec with { SelectRatio = 0.5 });
        var c = SentenceSelection.ByImpactfulTokens(Document(), EndsSentence, new HashSet<long> { 3 }, spec with { SelectRatio = 0.5, Seed = 10 });
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(1.01)]
    public void Select_ratios_outside_zero_to_one_are_rejected(double ratio)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            SentenceSelection.ByDigits(Document(), EndsSentence, Decode, new SentenceSelectionSpec(ratio)));
        Assert.Contains("select_ratio must be in (0, 1]", e.Message);
    }
}
