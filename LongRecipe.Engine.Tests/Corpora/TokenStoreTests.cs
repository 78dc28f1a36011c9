using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Tests.Tokenization;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Tests.Corpora;

public class TokenStoreTests
{
    /// <summary>A byte-level tokenizer without merges: token id = the byte's value, so expected ids are the text's UTF-8 bytes.</summary>
    private static string ByteTokenizer(TempFolder folder)
    {
        var json = TinyTokenizer.Json(ByteLevel.ByteToChar.Select(c => c.ToString()).ToArray(), Array.Empty<string>(),
            preTokenizer: new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = false });
        var path = folder.File("tokenizer.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static TokenStore Build(IReadOnlyList<string> sources, string tokenizer, string folder, IProgress<TokenStoreProgress>? progress = null) =>
        TokenStore.Build(sources, tokenizer, folder, progress, TestContext.Current.CancellationToken);

    private static int[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();

    [Fact]
    public void Documents_come_back_as_their_token_ids_in_order()
    {
        using var folder = new TempFolder();
        var tokenizer = ByteTokenizer(folder);
        File.WriteAllLines(folder.File("a.jsonl"), ["""{"text": "héllo"}""", """{"input_ids": [7, 8]}""", """{"prompt": "Q", "response": "A"}"""]);
        File.WriteAllText(folder.File("b.txt"), "end");

        using var store = Build([folder.File("a.jsonl"), folder.File("b.txt")], tokenizer, folder.File("store"));
        Assert.Equal(4, store.DocumentCount);
        Assert.Equal(Bytes("héllo"), store.Document(0).ToArray());
        Assert.Equal([7, 8], store.Document(1).ToArray());
        Assert.Equal(Bytes("QA"), store.Document(2).ToArray());
        Assert.Equal(Bytes("end"), store.Document(3).ToArray());
        Assert.Equal(Bytes("héllo").Length + 2 + 2 + 3, store.TokenCount);
    }

    [Fact]
    public void A_current_store_is_reused_and_a_changed_source_rebuilds_it()
    {
        using var folder = new TempFolder();
        var tokenizer = ByteTokenizer(folder);
        var source = folder.File("a.jsonl");
        File.WriteAllLines(source, ["""{"text": "one"}"""]);
        var storeFolder = folder.File("store");

        var reports = new List<TokenStoreProgress>();
        using (Build([source], tokenizer, storeFolder, new SyncProgress(reports.Add))) { }
        Assert.NotEmpty(reports);
        Assert.Equal(1.0, reports[^1].Fraction);
        Assert.True(TokenStore.IsCurrent([source], tokenizer, storeFolder));

        reports.Clear();
        using (Build([source], tokenizer, storeFolder, new SyncProgress(reports.Add))) { }
        Assert.Empty(reports);

        File.WriteAllLines(source, ["""{"text": "two"}"""]);
        Assert.False(TokenStore.IsCurrent([source], tokenizer, storeFolder));
        using var rebuilt = Build([source], tokenizer, storeFolder);
        Assert.Equal(Bytes("two"), rebuilt.Document(0).ToArray());
    }

    [Fact]
    public void A_failed_build_keeps_the_previous_store_and_leaves_nothing_behind()
    {
        using var folder = new TempFolder();
        var tokenizer = ByteTokenizer(folder);
        var source = folder.File("a.jsonl");
        File.WriteAllLines(source, ["""{"text": "kept"}"""]);
        var storeFolder = folder.File("store");
        using (Build([source], tokenizer, storeFolder)) { }

        File.WriteAllLines(source, ["""{"text": "fine"}""", """{"input_ids": [300]}"""]);
        var e = Assert.Throws<CorpusFormatException>(() => Build([source], tokenizer, storeFolder));
        Assert.Contains("document 1: input_ids[0] = 300 is outside the tokenizer's vocabulary [0, 256)", e.Message);

        using var previous = TokenStore.Open(storeFolder);
        Assert.Equal(Bytes("kept"), previous.Document(0).ToArray());
        Assert.Equal(["a.jsonl", "store", "tokenizer.json"], Directory.GetFileSystemEntries(folder.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Cancelling_a_build_leaves_no_store()
    {
        using var folder = new TempFolder();
        var tokenizer = ByteTokenizer(folder);
        File.WriteAllLines(folder.File("a.jsonl"), Enumerable.Repeat("""{"text": "abc"}""", 10));
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => TokenStore.Build([folder.File("a.jsonl")], tokenizer, folder.File("store"), cancel: cancel.Token));
        Assert.False(Directory.Exists(folder.File("store")));
    }

    [Fact]
    public void An_empty_corpus_is_rejected()
    {
        using var folder = new TempFolder();
        var tokenizer = ByteTokenizer(folder);
        File.WriteAllText(folder.File("empty.jsonl"), "\n\n");
        Assert.Contains("has no tokens", Assert.Throws<CorpusFormatException>(() =>
            Build([folder.File("empty.jsonl")], tokenizer, folder.File("store"))).Message);
        Assert.Throws<CorpusFormatException>(() => Build([], tokenizer, folder.File("store")));
    }

    [Fact]
    public void A_store_whose_files_disagree_with_its_manifest_is_rejected()
    {
        using var folder = new TempFolder();
        var tokenizer = ByteTokenizer(folder);
        File.WriteAllLines(folder.File("a.jsonl"), ["""{"text": "abc"}"""]);
        using (Build([folder.File("a.jsonl")], tokenizer, folder.File("store"))) { }
        using (var tokens = File.OpenWrite(Path.Combine(folder.File("store"), "tokens.bin"))) tokens.SetLength(5);
        var e = Assert.Throws<CorpusFormatException>(() => TokenStore.Open(folder.File("store")));
        Assert.Contains("tokens.bin: 5 bytes, the manifest's 3 tokens need 12", e.Message);
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<TokenStoreProgress> report) : IProgress<TokenStoreProgress>
    {
        public void Report(TokenStoreProgress value) => report(value);
    }
}
