using LongRecipe.Engine.Corpora.Packages;

namespace LongRecipe.Engine.Tests.Corpora.Packages;

public class CorpusSplitsTests
{
    [Fact]
    public void A_documents_place_is_the_first_53_bits_of_the_sha256_of_its_id()
    {
        // Python: int.from_bytes(hashlib.sha256(b"split:kjv/genesis").digest()[:8], "big") >> 11 / 2**53
        Assert.Equal(0.18564647108104093, CorpusSplits.Position("kjv/genesis"));
        Assert.Equal(0.61034614533112, CorpusSplits.Position("sotu/1790-george-washington-n"));
        Assert.Equal(CorpusSplit.Train, CorpusSplits.At(0.8999));
        Assert.Equal(CorpusSplit.Validation, CorpusSplits.At(0.9));
        Assert.Equal(CorpusSplit.Test, CorpusSplits.At(0.95));
    }

    [Fact]
    public void About_90_5_5_of_documents_go_to_train_validation_and_test()
    {
        var documents = Enumerable.Range(0, 20_000).Select(i => ($"doc/{i}", 1000L)).ToList();

        var splits = CorpusSplits.Assign(documents);

        // Binomial standard deviations: 42 for train's 18,000, 31 for 1,000; four of them either way.
        Assert.InRange(splits.Values.Count(s => s == CorpusSplit.Train), 18_000 - 170, 18_000 + 170);
        Assert.InRange(splits.Values.Count(s => s == CorpusSplit.Validation), 1_000 - 124, 1_000 + 124);
        Assert.InRange(splits.Values.Count(s => s == CorpusSplit.Test), 1_000 - 124, 1_000 + 124);
    }

    [Fact]
    public void A_documents_split_depends_on_its_id_alone_not_on_the_other_documents()
    {
        var documents = Enumerable.Range(0, 500).Select(i => ($"doc/{i}", 1000L)).ToList();

        var all = CorpusSplits.Assign(documents);
        var half = CorpusSplits.Assign(documents.Where((_, i) => i % 2 == 0).ToList());
        var reversed = CorpusSplits.Assign(Enumerable.Reverse(documents).ToList());

        Assert.All(half, p => Assert.Equal(all[p.Key], p.Value));
        Assert.Equal(all.OrderBy(p => p.Key), reversed.OrderBy(p => p.Key));
    }

    [Fact]
    public void Validation_and_test_each_hold_long_documents_taken_from_train_when_chance_gave_them_none()
    {
        // Twenty long documents: by id alone (u below 0.9 for most) test or validation may get fewer than two.
        var documents = Enumerable.Range(0, 20).Select(i => ($"long/{i}", CorpusSplits.LongDocumentBytes))
            .Concat(Enumerable.Range(0, 200).Select(i => ($"short/{i}", 100L))).ToList();
        var byId = documents.Select(d => (d.Item1, Split: CorpusSplits.At(CorpusSplits.Position(d.Item1)))).ToList();
        var longHeldOut = byId.Count(d => d.Item1.StartsWith("long/", StringComparison.Ordinal) && d.Split != CorpusSplit.Train);
        Assert.True(longHeldOut < 2 * CorpusSplits.MinLongHeldOut, "the fixture should need the correction");

        var splits = CorpusSplits.Assign(documents);

        foreach (var split in new[] { CorpusSplit.Validation, CorpusSplit.Test })
            Assert.True(splits.Count(p => p.Key.StartsWith("long/", StringComparison.Ordinal) && p.Value == split) >= CorpusSplits.MinLongHeldOut, $"{split} lacks long documents");
        // Only long train documents moved, those with the largest places; short ones kept their split.
        Assert.All(documents.Where(d => d.Item1.StartsWith("short/", StringComparison.Ordinal)),
            d => Assert.Equal(CorpusSplits.At(CorpusSplits.Position(d.Item1)), splits[d.Item1]));
        var moved = documents.Where(d => splits[d.Item1] != CorpusSplits.At(CorpusSplits.Position(d.Item1))).Select(d => CorpusSplits.Position(d.Item1)).ToList();
        var stayed = documents.Where(d => d.Item1.StartsWith("long/", StringComparison.Ordinal) && splits[d.Item1] == CorpusSplit.Train).Select(d => CorpusSplits.Position(d.Item1));
        Assert.True(moved.Min() > stayed.Max());
    }

    [Fact]
    public void Train_keeps_a_long_document_when_there_are_too_few_to_go_round()
    {
        var splits = CorpusSplits.Assign([("long/a", CorpusSplits.LongDocumentBytes), ("long/b", CorpusSplits.LongDocumentBytes)]);

        Assert.Single(splits.Values, s => s == CorpusSplit.Train);
    }
}
