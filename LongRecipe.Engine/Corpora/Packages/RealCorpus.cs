using System.Text;
using System.Text.Json;
using LongRecipe.Engine.IO;

namespace LongRecipe.Engine.Corpora.Packages;

/// <summary>A document of the real-text corpus, as corpus.jsonl holds it: "kjv/genesis", "kjv", "Genesis (King James Version)", the text.</summary>
public sealed record RealDocument(string Id, string Source, string Title, string Text);

/// <summary>
/// A built real-text corpus folder (<see cref="CorpusBuilder"/>): corpus.jsonl, one <see cref="RealDocument"/> per
/// line, and manifest.json with every document's split. Reading a split streams the file, so a run holds only
/// the documents it uses.
/// </summary>
public sealed class RealCorpus
{
    public const string DocumentsFile = "corpus.jsonl";
    public const string ManifestFile = "manifest.json";
    public const string TokensFolder = "tokens";

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, object> Builds = new(StringComparer.Ordinal);

    private readonly Dictionary<string, CorpusSplit> splits;

    private RealCorpus(string folder, CorpusManifest manifest)
    {
        (Folder, Manifest) = (folder, manifest);
        splits = manifest.Documents.ToDictionary(d => d.Id, d => d.Split, StringComparer.Ordinal);
    }

    public string Folder { get; }

    public CorpusManifest Manifest { get; }

    /// <summary>How many documents <paramref name="split"/> holds.</summary>
    public int Count(CorpusSplit split) => Manifest.Documents.Count(d => d.Split == split);

    /// <summary>Whether <paramref name="folder"/> holds a built corpus (its manifest and documents).</summary>
    public static bool Exists(string folder) =>
        File.Exists(Path.Combine(folder, ManifestFile)) && File.Exists(Path.Combine(folder, DocumentsFile));

    /// <summary>Opens a built corpus; a missing or malformed one throws a <see cref="CorpusFormatException"/> naming the file.</summary>
    public static RealCorpus Open(string folder)
    {
        if (!Exists(folder))
            throw new CorpusFormatException($"{folder}: no real-text corpus there (it needs {ManifestFile} and {DocumentsFile}; ./longrecipe corpus-fetch builds one)");
        var path = Path.Combine(folder, ManifestFile);
        var manifest = CorpusManifest.Load(path);
        return manifest.Format == CorpusManifest.CurrentFormat
            ? new RealCorpus(folder, manifest)
            : throw new CorpusFormatException($"{path}: format {manifest.Format}, this build reads {CorpusManifest.CurrentFormat} (fetch the corpus again)");
    }

    /// <summary>The documents of <paramref name="split"/>, in the corpus's order.</summary>
    public IEnumerable<RealDocument> Documents(CorpusSplit split, CancellationToken cancel = default) =>
        All(cancel).Where(d => splits.TryGetValue(d.Id, out var s) && s == split);

    /// <summary>
    /// <paramref name="count"/> documents of <paramref name="split"/> in an order drawn from <paramref name="seed"/>
    /// (<see cref="SampleOrder"/>), after the first <paramref name="skip"/> of that order; fewer when the split runs out.
    /// </summary>
    public List<RealDocument> Sample(CorpusSplit split, int count, ulong seed, int skip = 0, CancellationToken cancel = default)
    {
        var order = SampleOrder(split, seed).Skip(skip).Take(count).ToList();
        var rank = order.Select((position, i) => (Manifest.Documents[position].Id, i)).ToDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);
        var chosen = new RealDocument?[order.Count];
        foreach (var document in All(cancel))
            if (rank.TryGetValue(document.Id, out var i)) chosen[i] = document;
        var missing = order.Where((_, i) => chosen[i] is null).Select(position => Manifest.Documents[position].Id).FirstOrDefault();
        return missing is null ? [.. chosen.Select(d => d!)]
            : throw new CorpusFormatException($"{Path.Combine(Folder, DocumentsFile)}: the manifest lists {missing}, which the file lacks");
    }

    /// <summary>
    /// The positions (in the corpus's order) of <paramref name="split"/>'s documents in an order drawn from
    /// <paramref name="seed"/>: each id's place is SHA-256 of "sample:SEED:ID", so the same seed draws the same
    /// documents everywhere.
    /// </summary>
    public IEnumerable<int> SampleOrder(CorpusSplit split, ulong seed) =>
        Manifest.Documents.Select((d, position) => (d.Id, d.Split, position)).Where(d => d.Split == split)
            .OrderBy(d => CorpusSplits.Place($"sample:{seed}:{d.Id}")).ThenBy(d => d.Id, StringComparer.Ordinal).Select(d => d.position);

    /// <summary>
    /// Every document as token ids of the tokenizer at <paramref name="tokenizerPath"/> (BOS included), in the corpus's
    /// order: a token store under tokens/, one per tokenizer, rebuilt when corpus.jsonl changes. Built on first use and
    /// then shared by every run and pretraining on this corpus; builds of one store take turns within a process.
    /// </summary>
    public TokenStore Tokenized(string tokenizerPath, IProgress<TokenStoreProgress>? progress = null, CancellationToken cancel = default)
    {
        var folder = Path.GetFullPath(Path.Combine(Folder, TokensFolder, FileHash.OfTokenizer(tokenizerPath)[..16]));
        TokenStore store;
        lock (Builds.GetOrAdd(folder, _ => new object()))
            store = TokenStore.Build([Path.Combine(Folder, DocumentsFile)], tokenizerPath, folder, progress, cancel);
        if (store.DocumentCount == Manifest.Documents.Count) return store;
        store.Dispose();
        throw new CorpusFormatException($"{Path.Combine(Folder, DocumentsFile)}: {store.DocumentCount} documents tokenized, the manifest lists {Manifest.Documents.Count}");
    }

    /// <summary>Every document in the corpus's order.</summary>
    public IEnumerable<RealDocument> All(CancellationToken cancel = default) => Read(Path.Combine(Folder, DocumentsFile), cancel);

    /// <summary>The documents of a corpus.jsonl file, one per line; a malformed line throws naming the file and line.</summary>
    internal static IEnumerable<RealDocument> Read(string path, CancellationToken cancel)
    {
        var line = 0;
        foreach (var text in File.ReadLines(path, Encoding.UTF8))
        {
            cancel.ThrowIfCancellationRequested();
            line++;
            RealDocument? document;
            try
            {
                document = JsonSerializer.Deserialize(text, CorpusLineJson.Default.RealDocument);
            }
            catch (JsonException e)
            {
                throw new CorpusFormatException($"{path}: line {line}: not a corpus document ({e.Message})");
            }
            yield return document ?? throw new CorpusFormatException($"{path}: line {line}: null");
        }
    }

    /// <summary>Writes documents as corpus.jsonl lines (atomically, into <paramref name="path"/>).</summary>
    internal static void Write(string path, IEnumerable<RealDocument> documents, CancellationToken cancel) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            foreach (var document in documents)
            {
                cancel.ThrowIfCancellationRequested();
                writer.WriteLine(JsonSerializer.Serialize(document, CorpusLineJson.Files.RealDocument));
            }
        });
}
