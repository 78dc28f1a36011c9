using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Events;
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

    /// <summary>A store at folder/store of one .jsonl source with these lines, built with the byte tokenizer.</summary>
    private static (string Store, string Tokenizer) Built(TempFolder folder, params string[] lines)
    {
        var tokenizer = ByteTokenizer(folder);
        File.WriteAllLines(folder.File("a.jsonl"), lines);
        using (Build([folder.File("a.jsonl")], tokenizer, folder.File("store"))) { }
        return (folder.File("store"), tokenizer);
    }

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

    /// <summary>
    /// A document of about <paramref name="length"/> characters on one line: words, numbers, punctuation, accented, CJK and
    /// astral characters, no-break spaces and runs of spaces and tabs, drawn by a fixed LCG (the same text on any runtime).
    /// </summary>
    private static string LongLine(int length)
    {
        string[] words = ["the", "of", "and", "Zürich", "naïve", "東京", "𝐀𝐁", "😀", "3.14159", "1984", "don't", "I'll", "—", "...", "\t", "  ",
            "   ", "x", "LongRecipe", "position_ids", "(a+b)", "¿Qué?", "ﬁ", "\u00a0"];
        var text = new StringBuilder(length + 32);
        var state = 11UL;
        while (text.Length < length)
        {
            state = state * 6364136223846793005UL + 1442695040888963407UL;
            text.Append(words[(int)(state >> 33) % words.Length]).Append(state % 5 == 0 ? "" : " ");
        }
        return text.ToString();
    }

    // What the tokenizers gave for this line before they streamed long texts (Encode as of 20cbb2f, which the reference fixtures
    // hold to HF tokenizers): the count and the SHA-256 of the ids as tokens.bin holds them. Mistral's tokenizer (Llama-2's kind)
    // has no pre-tokenizer, so its whole line is one piece, now merged in stretches. (TransformersJsTests hold whole licence
    // files, each one piece for Llama 2's, to transformers.js, which merges a piece whole.)
    [Theory]
    [InlineData("llama3", 128619, "169e99f9107bc8bb5deef2bed9dcfcfdc76289a43db6081e02106a609e77764c")]
    [InlineData("mistral", 177364, "455b984823632f615a6a1fd305955fe5345d7fa1f08e31ee05f788e70ad35193")]
    public void A_long_single_line_document_gets_the_ids_it_got_before_tokenizing_streamed(string name, int count, string sha256)
    {
        var tokenizer = RealTokenizers.Get(name);
        using var folder = new TempFolder();
        var text = LongLine(300_000);
        File.WriteAllText(folder.File("book.txt"), text);
        using var store = Build([folder.File("book.txt")], RealTokenizers.Folder(name), folder.File("store"));
        var ids = store.Document(0).ToArray();
        Assert.Equal((count, sha256), (ids.Length, Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(ids.AsSpan())))));
        Assert.Equal(ids, tokenizer.Encode(text));
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("llama2")]
    public void Progress_moves_through_a_long_single_line_document_and_a_cancel_stops_it_there(string name)
    {
        RealTokenizers.Get(name);
        using var folder = new TempFolder();
        var source = folder.File("book.txt");
        File.WriteAllText(source, LongLine(300_000));
        var bytes = new FileInfo(source).Length;
        var reports = new List<TokenStoreProgress>();
        using (Build([source], RealTokenizers.Folder(name), folder.File("store"), new SynchronousProgress<TokenStoreProgress>(reports.Add))) { }

        var within = reports.Where(r => r.Documents == 0).ToList();
        Assert.True(within.Count >= 3, $"{within.Count} reports before the document was done");
        Assert.Equal(within.Select(r => r.Bytes).Order(), within.Select(r => r.Bytes));
        Assert.Equal(within.Select(r => r.Tokens).Order(), within.Select(r => r.Tokens));
        Assert.InRange(within[0].Bytes, 1, bytes / 2);
        Assert.InRange(within[0].Tokens, 1, reports[^1].Tokens / 2);
        Assert.Equal((1, bytes, 1.0), (reports[^1].Documents, reports[^1].Bytes, reports[^1].Fraction));

        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => TokenStore.Build([source], RealTokenizers.Folder(name), folder.File("again"),
            new SynchronousProgress<TokenStoreProgress>(_ => cancel.Cancel()), cancel.Token));
        Assert.False(Directory.Exists(folder.File("again")));
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
        using (Build([source], tokenizer, storeFolder, new SynchronousProgress<TokenStoreProgress>(reports.Add))) { }
        Assert.NotEmpty(reports);
        Assert.Equal(1.0, reports[^1].Fraction);
        Assert.True(TokenStore.IsCurrent([source], tokenizer, storeFolder));

        reports.Clear();
        using (Build([source], tokenizer, storeFolder, new SynchronousProgress<TokenStoreProgress>(reports.Add))) { }
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
        var (store, _) = Built(folder, """{"text": "abc"}""");
        using (var tokens = File.OpenWrite(Path.Combine(store, "tokens.bin"))) tokens.SetLength(5);
        var e = Assert.Throws<CorpusFormatException>(() => TokenStore.Open(store));
        Assert.Contains("tokens.bin: 5 bytes, the manifest's 3 tokens need 12", e.Message);
    }

    [Fact]
    public void Damaged_offsets_or_counts_too_large_for_a_file_are_named_not_read_or_overflowed()
    {
        using var folder = new TempFolder();
        var (store, _) = Built(folder, """{"text": "abc"}""", """{"text": "de"}""");
        var (manifest, offsets, tokens) = (Path.Combine(store, "manifest.json"), Path.Combine(store, "offsets.bin"), Path.Combine(store, "tokens.bin"));
        var written = File.ReadAllText(manifest);
        string Refusal() => Assert.Throws<CorpusFormatException>(() => TokenStore.Open(store)).Message;
        void Offsets(params long[] values) => File.WriteAllBytes(offsets, [.. values.SelectMany(BitConverter.GetBytes)]);

        File.WriteAllText(manifest, written.Replace("\"documents\": 2", "\"documents\": 4611686018427387904"));
        Assert.Equal($"{offsets}: 24 bytes, the manifest's 4611686018427387904 documents need more than a file holds", Refusal());
        File.WriteAllText(manifest, written.Replace("\"tokens\": 5", "\"tokens\": 4611686018427387904"));
        Assert.Equal($"{tokens}: 20 bytes, the manifest's 4611686018427387904 tokens need more than a file holds", Refusal());
        File.WriteAllText(manifest, written);

        // Offsets that leave tokens to no document: some before the first, some after the last.
        Offsets(2, 3, 5);
        Assert.Equal($"{offsets}: offset 0 is 2, not 0 (the first document starts the tokens)", Refusal());
        Offsets(0, 3, 4);
        Assert.Equal($"{offsets}: the last offset is 4, not the manifest's 5 tokens", Refusal());

        File.Delete(offsets);
        Assert.Equal($"{offsets}: missing or not a file (a token store holds tokens.bin, offsets.bin and manifest.json)", Refusal());
    }

    [Fact]
    public void A_folder_that_is_not_a_store_is_not_replaced_and_nothing_is_tokenized()
    {
        using var folder = new TempFolder();
        var tokenizer = ByteTokenizer(folder);
        var source = folder.File("a.txt");
        File.WriteAllText(source, "the user's text");

        var e = Assert.Throws<CorpusFormatException>(() => Build([source], tokenizer, folder.Path));
        Assert.Equal($"{folder.Path} is not a token store (no manifest.json) and not empty; a store replaces only an earlier store or an empty folder", e.Message);
        Assert.Equal(["a.txt", "tokenizer.json"], Directory.GetFileSystemEntries(folder.Path).Select(Path.GetFileName).Order());

        // A store with a source put inside it is no longer only a store.
        var store = folder.File("store");
        using (Build([source], tokenizer, store)) { }
        File.Copy(source, Path.Combine(store, "a.txt"));
        Assert.Contains("holds a.txt, which is not a token store's file", Assert.Throws<CorpusFormatException>(() =>
            Build([Path.Combine(store, "a.txt")], tokenizer, store)).Message);
        Assert.True(File.Exists(Path.Combine(store, "a.txt")));

        Assert.Contains("is the current directory", TokenStore.ReplaceProblem(Environment.CurrentDirectory));
        Assert.Contains("is above the current directory", TokenStore.ReplaceProblem(Path.GetDirectoryName(Environment.CurrentDirectory)!));
        Assert.Null(TokenStore.ReplaceProblem(folder.File("new")));
        Assert.Contains("is a file", TokenStore.ReplaceProblem(source));
        Assert.Equal($"{folder.Path} is a folder, not a file", Assert.Throws<CorpusFormatException>(() => Build([folder.Path], tokenizer, folder.File("s"))).Message);
    }

    [Fact]
    public void A_build_removes_the_building_folders_of_killed_builds_of_its_store_and_no_other()
    {
        using var folder = new TempFolder();
        var tokenizer = ByteTokenizer(folder);
        File.WriteAllLines(folder.File("a.jsonl"), ["""{"text": "abc"}"""]);
        string Building(string store) => Directory.CreateDirectory(folder.File($".{store}.building-{Guid.NewGuid():N}")).FullName;
        var killed = Building("store");
        File.WriteAllText(Path.Combine(killed, ".lock"), "");
        var killedEarly = Building("store");
        Directory.SetLastWriteTimeUtc(killedEarly, DateTime.UtcNow.AddHours(-1));
        var running = Building("store");
        using var held = File.Open(Path.Combine(running, ".lock"), FileMode.Create, FileAccess.Write, FileShare.None);
        var otherStore = Building("store2");
        var notABuild = Directory.CreateDirectory(folder.File(".store.building-mine")).FullName;

        using (Build([folder.File("a.jsonl")], tokenizer, folder.File("store"))) { }

        Assert.False(Directory.Exists(killed));
        Assert.False(Directory.Exists(killedEarly));
        Assert.True(Directory.Exists(running));
        Assert.True(Directory.Exists(otherStore));
        Assert.True(Directory.Exists(notABuild));
        Assert.Equal(["manifest.json", "offsets.bin", "tokens.bin"], Directory.GetFileSystemEntries(folder.File("store")).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void A_manifest_of_another_format_or_not_json_is_refused_naming_the_file()
    {
        using var folder = new TempFolder();
        var (store, _) = Built(folder, """{"text": "abc"}""");
        var manifest = Path.Combine(store, "manifest.json");

        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"format\": 1", "\"format\": 7"));
        Assert.Equal($"{manifest}: format 7, this version reads format 1 (build the store again)",
            Assert.Throws<CorpusFormatException>(() => TokenStore.Open(store)).Message);
        File.WriteAllText(manifest, "{oops");
        Assert.StartsWith($"{manifest}: not valid JSON (", Assert.Throws<CorpusFormatException>(() => TokenStore.Open(store)).Message);
    }

    [Fact]
    public void A_store_opened_for_a_model_must_be_of_its_tokenizer_and_inside_its_vocabulary()
    {
        using var folder = new TempFolder();
        var (store, tokenizer) = Built(folder, """{"text": "abc"}""", """{"text": "de"}""");
        using (var opened = TokenStore.Open(store, tokenizer, 256)) Assert.Equal(2, opened.DocumentCount);

        var other = Directory.CreateDirectory(folder.File("other")).FullName;
        File.WriteAllText(Path.Combine(other, "tokenizer.json"), File.ReadAllText(tokenizer) + "\n");
        Assert.StartsWith($"{Path.Combine(store, "manifest.json")}: the store was tokenized by another tokenizer than {other} (sha256 ",
            Assert.Throws<CorpusFormatException>(() => TokenStore.Open(store, other, 256)).Message);

        using (var tokens = File.OpenWrite(Path.Combine(store, "tokens.bin")))
        {
            tokens.Position = 4 * 4;
            tokens.Write(BitConverter.GetBytes(-7));
        }
        Assert.Equal($"{Path.Combine(store, "tokens.bin")}: document 1, token 1 (offset 16 bytes): id -7 is outside the vocabulary [0, 256)",
            Assert.Throws<CorpusFormatException>(() => TokenStore.Open(store, tokenizer, 256)).Message);
        Assert.Contains("document 0, token 0 (offset 0 bytes): id 97 is outside the vocabulary [0, 50)",
            Assert.Throws<CorpusFormatException>(() => TokenStore.Open(store, tokenizer, 50)).Message);
    }
}
