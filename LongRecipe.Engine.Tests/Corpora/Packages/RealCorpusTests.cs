using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Tests.Support;

namespace LongRecipe.Engine.Tests.Corpora.Packages;

public class RealCorpusTests
{
    [Fact]
    public void A_split_holds_exactly_the_documents_the_manifest_gives_it()
    {
        using var folder = new TempFolder();
        var corpus = RealCorpus.Open(RealCorpusFixture.Prose(folder.Path, perSplit: 3, words: 80));

        Assert.Equal(["fixture/test-0", "fixture/test-1", "fixture/test-2"], corpus.Documents(CorpusSplit.Test, TestContext.Current.CancellationToken).Select(d => d.Id));
        Assert.Equal((3, 9), (corpus.Count(CorpusSplit.Validation), corpus.All(TestContext.Current.CancellationToken).Count()));
    }

    [Fact]
    public void A_sample_is_fixed_by_its_seed_and_a_skip_takes_the_next_documents()
    {
        using var folder = new TempFolder();
        var corpus = RealCorpus.Open(RealCorpusFixture.Prose(folder.Path, perSplit: 20, words: 70));
        var cancel = TestContext.Current.CancellationToken;

        var first = corpus.Sample(CorpusSplit.Train, 5, seed: 1, cancel: cancel).Select(d => d.Id).ToList();
        var again = corpus.Sample(CorpusSplit.Train, 5, seed: 1, cancel: cancel).Select(d => d.Id).ToList();
        var next = corpus.Sample(CorpusSplit.Train, 5, seed: 1, skip: 5, cancel: cancel).Select(d => d.Id).ToList();
        var all = corpus.Sample(CorpusSplit.Train, 100, seed: 1, cancel: cancel).Select(d => d.Id).ToList();
        var other = corpus.Sample(CorpusSplit.Train, 20, seed: 2, cancel: cancel).Select(d => d.Id).ToList();

        Assert.Equal(first, again);
        Assert.Equal(all[..5], first);
        Assert.Equal(all[5..10], next);
        Assert.Equal(20, all.Count);
        Assert.All(all, id => Assert.StartsWith("fixture/train-", id));
        Assert.NotEqual(all, other);
        Assert.Equal(all.Order(), other.Order());
    }

    [Fact]
    public void A_missing_or_foreign_folder_is_named_with_how_to_build_one()
    {
        using var folder = new TempFolder();
        Assert.Equal($"{folder.Path}: no real-text corpus there (it needs manifest.json and corpus.jsonl; ./longrecipe corpus-fetch builds one)",
            Assert.Throws<CorpusFormatException>(() => RealCorpus.Open(folder.Path)).Message);
        File.WriteAllText(folder.File(RealCorpus.ManifestFile), """{"format": 1}""");
        File.WriteAllText(folder.File(RealCorpus.DocumentsFile), "");
        Assert.StartsWith($"{folder.File(RealCorpus.ManifestFile)}: not a corpus manifest", Assert.Throws<CorpusFormatException>(() => RealCorpus.Open(folder.Path)).Message);
    }
}
