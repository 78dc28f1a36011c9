using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Tests.Support;

namespace LongRecipe.Engine.Tests.Corpora;

public class SequencePackingTests
{
    /// <summary>A store of pre-tokenized documents (no tokenizer use beyond the vocabulary check).</summary>
    private static TokenStore Store(TempFolder folder, params int[][] documents)
    {
        File.WriteAllLines(folder.File("docs.jsonl"), documents.Select(d => $$"""{"input_ids": [{{string.Join(", ", d)}}]}"""));
        File.WriteAllText(folder.File("tokenizer.json"),
            Tokenization.TinyTokenizer.Json(Enumerable.Range(0, 100).Select(i => $"t{i}").ToArray(), Array.Empty<string>()));
        return TokenStore.Build([folder.File("docs.jsonl")], folder.File("tokenizer.json"), folder.File("store"),
            cancel: TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Packing_concatenates_with_separators_and_drops_the_remainder()
    {
        using var folder = new TempFolder();
        using var store = Store(folder, [1, 2, 3], [4, 5], [6, 7, 8, 9]);
        Assert.Equal([[1, 2, 3, 0], [4, 5, 0, 6], [7, 8, 9, 0]], SequencePacking.Pack(store, 4, separatorId: 0).ToList());
        Assert.Equal([[1, 2, 3], [4, 5, 6]], SequencePacking.Pack(store, 3).Take(2).ToList());
    }

    [Fact]
    public void Per_document_sequences_need_documents_at_least_as_long()
    {
        using var folder = new TempFolder();
        using var store = Store(folder, [1, 2, 3, 4], [5, 6, 7]);
        Assert.Equal([[1, 2, 3], [5, 6, 7]], SequencePacking.PerDocument(store, 3).ToList());
        var e = Assert.Throws<CorpusFormatException>(() => SequencePacking.PerDocument(store, 4).ToList());
        Assert.Contains("document 1 has 3 tokens, fewer than the sequence length 4", e.Message);
    }

    [Fact]
    public void Replay_is_mixed_in_at_about_the_ratio_and_reproducibly()
    {
        var main = Enumerable.Range(0, 2000).Select(i => new[] { i }).ToList();
        int[][] replay = [[-1], [-2], [-3]];
        var mixed = SequencePacking.MixReplay(main, replay, 0.25, seed: 7).ToList();
        Assert.Equal(main.Select(s => s[0]), mixed.Where(s => s[0] >= 0).Select(s => s[0]));
        // 2000 draws at p = 0.25: 500 ± 3σ (σ ≈ 19.4).
        Assert.InRange(mixed.Count(s => s[0] < 0), 442, 558);
        Assert.Equal(mixed.Select(s => s[0]), SequencePacking.MixReplay(main, replay, 0.25, seed: 7).Select(s => s[0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => SequencePacking.MixReplay(main, replay, 0, 1).ToList());
        Assert.Throws<ArgumentOutOfRangeException>(() => SequencePacking.MixReplay(main, replay, 1.5, 1).ToList());
    }
}
