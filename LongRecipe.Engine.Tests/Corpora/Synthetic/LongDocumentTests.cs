using System.Diagnostics;
using System.Text.RegularExpressions;
using LongRecipe.Engine.Corpora.Synthetic;

namespace LongRecipe.Engine.Tests.Corpora.Synthetic;

public class LongDocumentTests
{
    private static readonly LongDocumentSpec Spec = new(6000, 12, FactDistances.Between(200, 3000, perFact: 2), Seed: 7);

    /// <summary>A whitespace word counter standing in for a tokenizer, so "exact in tokens" is checkable.</summary>
    private static int CountWords(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    [Fact]
    public void The_same_seed_gives_the_same_document_and_another_seed_a_different_one()
    {
        var first = LongDocument.Generate(Spec);
        Assert.Equal(first.Text, LongDocument.Generate(Spec).Text);
        Assert.Equal(first.Facts.Select(f => f.Key), LongDocument.Generate(Spec).Facts.Select(f => f.Key));
        Assert.NotEqual(first.Text, LongDocument.Generate(Spec with { Seed = 8 }).Text);
    }

    [Fact]
    public void The_length_is_exact_in_words_and_in_counted_tokens()
    {
        var words = LongDocument.Generate(Spec);
        Assert.Equal(Spec.Length, words.Length);
        Assert.Equal(Spec.Length, CountWords(words.Text));
        Assert.Equal("words", words.Unit);

        var tokens = LongDocument.Generate(Spec with { Length = 5003 }, CountWords);
        Assert.Equal(5003, tokens.Length);
        Assert.Equal(5003, CountWords(tokens.Text));
        Assert.Equal("tokens", tokens.Unit);
    }

    [Fact]
    public void Every_statement_and_reference_is_where_it_is_recorded_at_the_distance_asked()
    {
        foreach (var seed in new ulong[] { 1, 2, 3 })
        {
            var document = LongDocument.Generate(Spec with { Seed = seed });
            Assert.Equal(Spec.FactCount, document.Facts.Count);
            foreach (var fact in document.Facts)
            {
                AssertPlaced(document.Text, fact.Statement, fact.Value);
                Assert.StartsWith("The " + fact.Key + " is ", fact.Statement.Text);
                Assert.Equal(Spec.Distances.PerFact, fact.References.Count);
                foreach (var reference in fact.References)
                {
                    AssertPlaced(document.Text, reference.Sentence, fact.Value);
                    Assert.InRange(reference.RequestedDistance, Spec.Distances.Min, Spec.Distances.Max);
                    Assert.Equal(reference.RequestedDistance, reference.Distance);
                    Assert.Equal(reference.Distance, reference.Sentence.Offset - fact.Statement.Offset);
                }
            }
        }
    }

    [Fact]
    public void Fixed_distances_are_met_exactly_with_a_token_counter()
    {
        var spec = new LongDocumentSpec(20_000, 6, FactDistances.At(500, 4000, 12_000), Seed: 3);
        var document = LongDocument.Generate(spec, CountWords);
        Assert.All(document.Facts, fact => Assert.Equal([500, 4000, 12_000], fact.References.Select(r => r.Distance)));
        Assert.All(document.Facts, fact => AssertPlaced(document.Text, fact.References[^1].Sentence, fact.Value));
    }

    [Fact]
    public void No_two_facts_in_a_document_share_a_key()
    {
        var document = LongDocument.Generate(new LongDocumentSpec(40_000, 200, FactDistances.Between(100, 5000), Seed: 11));
        Assert.Equal(200, document.Facts.Select(f => f.Key).Distinct().Count());
    }

    [Fact]
    public void The_text_has_digits_dates_codes_names_and_conjunctions()
    {
        var text = LongDocument.Generate(Spec).Text;
        Assert.True(text.Count(char.IsAsciiDigit) > 1000, "digits");
        Assert.True(Regex.Count(text, @"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}\b") > 20, "dates");
        Assert.True(Regex.Count(text, @"\b[A-Z]{2}-\d{4}\b") >= 1, "codes");
        Assert.True(Regex.Count(text, @"\$\d{1,3}(,\d{3})*\b") > 20, "amounts");
        Assert.True(Regex.Count(text, @"\b(Maria|Jonas|Clara|Keller|Okafor|Lisbon|Oslo)\b") > 20, "capitalised names");
        foreach (var conjunction in new[] { "and", "but", "because", "although" })
            Assert.True(Regex.Count(text, $@"\b{conjunction}\b", RegexOptions.IgnoreCase) > 10, conjunction);
    }

    [Fact]
    public void Bad_specs_are_rejected_naming_the_field()
    {
        Assert.Equal("Length", Assert.Throws<ArgumentException>(() => LongDocument.Generate(Spec with { Length = 0 })).ParamName);
        Assert.Equal("FactCount", Assert.Throws<ArgumentException>(() => LongDocument.Generate(Spec with { FactCount = -1 })).ParamName);
        Assert.Equal("Distances", Assert.Throws<ArgumentException>(() => LongDocument.Generate(Spec with { Distances = FactDistances.At(100, 6000) })).ParamName);
        Assert.Equal("Min", Assert.Throws<ArgumentException>(() => LongDocument.Generate(Spec with { Distances = FactDistances.Between(0, 10) })).ParamName);
        Assert.Equal("Max", Assert.Throws<ArgumentException>(() => LongDocument.Generate(Spec with { Distances = FactDistances.Between(50, 10) })).ParamName);
        Assert.Equal("FactCount", Assert.Throws<ArgumentException>(() => LongDocument.Generate(new LongDocumentSpec(300, 40, FactDistances.At(100)))).ParamName);
    }

    [Fact]
    public void A_64k_token_document_generates_quickly()
    {
        // About 50k words: well under a second here; timed for the output only, asserting nothing.
        var stopwatch = Stopwatch.StartNew();
        var document = LongDocument.Generate(LongDocumentSpec.ForApproxTokens(65_536));
        TestContext.Current.SendDiagnosticMessage($"{document.Length} words, {document.Facts.Count} facts in {stopwatch.ElapsedMilliseconds} ms");
        Assert.Equal(TextMeasure.WordsForTokens(65_536), document.Length);
    }

    /// <summary>The sentence starts at its character offset, its unit offset counts the words before it, its value is where recorded.</summary>
    internal static void AssertPlaced(string text, PlacedSentence sentence, string value)
    {
        Assert.Equal(sentence.Text, text.Substring(sentence.CharOffset, sentence.Text.Length));
        Assert.Equal(sentence.Offset, CountWords(text[..sentence.CharOffset]));
        Assert.Equal(value, sentence.Value);
        Assert.Equal(value, text.Substring(sentence.ValueCharOffset, value.Length));
    }
}
