using LongRecipe.Engine.Corpora.Synthetic;

namespace LongRecipe.Engine.Tests.Corpora.Synthetic;

public class SyntheticCorpusTests
{
    [Fact]
    public void The_tiny_corpus_has_the_counts_it_names_and_is_deterministic()
    {
        var spec = SyntheticCorpusSpec.Tiny;
        var documents = SyntheticCorpus.LongDocuments(spec).ToList();
        Assert.Equal(4, documents.Count);
        Assert.All(documents, d => Assert.Equal(1024, d.Length));
        Assert.Equal(4, documents.Select(d => d.Text).Distinct().Count());
        Assert.Equal(documents.Select(d => d.Text), SyntheticCorpus.LongDocuments(spec).Select(d => d.Text));
        Assert.Equal(16, SyntheticCorpus.ShortDocuments(spec).Count());
        Assert.Equal(SyntheticCorpus.InstructionPairs(spec), SyntheticCorpus.InstructionPairs(spec));
    }

    [Fact]
    public void Sample_i_does_not_depend_on_how_many_are_generated_but_on_the_corpus_seed()
    {
        var spec = SyntheticCorpusSpec.Tiny;
        var third = SyntheticCorpus.ShortDocuments(spec).ElementAt(2);
        Assert.Equal(third, SyntheticCorpus.ShortDocuments(spec with { ShortDocuments = 3 }).Last());
        Assert.NotEqual(third, SyntheticCorpus.ShortDocuments(spec with { Seed = 1 }).ElementAt(2));
    }

    [Fact]
    public void The_presets_are_valid_and_a_negative_count_is_rejected_naming_the_field()
    {
        SyntheticCorpusSpec.Default.Validate();
        LongDocumentSpec.Default.Validate();
        Assert.Equal("ShortDocuments", Assert.Throws<ArgumentException>(() => (SyntheticCorpusSpec.Tiny with { ShortDocuments = -1 }).Validate()).ParamName);
    }
}
