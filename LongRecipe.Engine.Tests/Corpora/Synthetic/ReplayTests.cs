using System.Text.RegularExpressions;
using LongRecipe.Engine.Corpora.Synthetic;

namespace LongRecipe.Engine.Tests.Corpora.Synthetic;

public class ReplayTests
{
    private static int CountWords(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    [Fact]
    public void Short_documents_are_short_and_varied()
    {
        var documents = Enumerable.Range(0, 100).Select(i => ShortDocument.Generate(new ShortDocumentSpec(Seed: (ulong)i))).ToList();
        Assert.All(documents, d => Assert.InRange(CountWords(d.Text), 150, 400));
        Assert.All(documents, d => Assert.Equal(d.Words, CountWords(d.Text)));
        Assert.True(documents.Select(d => d.Text.Split(' ')[0]).Distinct().Count() >= 30, "distinct first words");
        Assert.True(documents.Select(d => d.Topic).Distinct().Count() >= 8, "topics");
        Assert.Equal(100, documents.Select(d => d.Text).Distinct().Count());
    }

    [Fact]
    public void A_short_document_is_the_same_for_the_same_seed()
    {
        var spec = new ShortDocumentSpec(Seed: 12);
        Assert.Equal(ShortDocument.Generate(spec), ShortDocument.Generate(spec));
        Assert.NotEqual(ShortDocument.Generate(spec).Text, ShortDocument.Generate(spec with { Seed = 13 }).Text);
    }

    [Fact]
    public void An_instruction_pair_asks_about_a_fact_its_passage_states()
    {
        for (ulong seed = 0; seed < 50; seed++)
        {
            var pair = InstructionPair.Generate(new InstructionPairSpec(Seed: seed));
            var question = Regex.Match(pair.Prompt, @"\n\nQuestion: What is the (.+)\?\nAnswer:$");
            Assert.True(question.Success, pair.Prompt);
            Assert.StartsWith($"The {question.Groups[1].Value} is ", pair.Response);
            Assert.Contains(pair.Response, pair.Prompt[..question.Index]);
            Assert.Equal(120, CountWords(pair.Prompt[..question.Index]));
        }
    }

    [Fact]
    public void Bad_replay_specs_are_rejected_naming_the_field()
    {
        Assert.Equal("MinWords", Assert.Throws<ArgumentException>(() => ShortDocument.Generate(new ShortDocumentSpec(MinWords: 0))).ParamName);
        Assert.Equal("MaxWords", Assert.Throws<ArgumentException>(() => ShortDocument.Generate(new ShortDocumentSpec(200, 100))).ParamName);
        Assert.Equal("PassageWords", Assert.Throws<ArgumentException>(() => InstructionPair.Generate(new InstructionPairSpec(5))).ParamName);
    }
}
