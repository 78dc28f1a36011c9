using System.IO.MemoryMappedFiles;
using System.Text.Json;
using System.Text.Json.Nodes;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Corpora;

/// <summary>How far a token store build has come.</summary>
public readonly record struct TokenStoreProgress(string Source, int Documents, long Tokens, double Fraction);

/// <summary>
/// A corpus tokenized once, on disk, memory-mapped for reading: tokens.bin holds every document's
/// token ids (i32, little-endian) back to back, offsets.bin the i64 start of each document plus the
/// end, manifest.json what it was built from (SHA-256 of every source and of the tokenizer files).
/// A store whose sources or tokenizer changed is rebuilt; one is only ever replaced whole, so an
/// interrupted build leaves the previous store or none, never a half one.
/// </summary>
public sealed unsafe class TokenStore : IDisposable
{
    private const int Format = 1;
    private const string TokensFile = "tokens.bin", OffsetsFile = "offsets.bin", ManifestFile = "manifest.json";

    private readonly MemoryMappedFile? map;
    private readonly MemoryMappedViewAccessor? view;
    private readonly int* tokens;
    private readonly long[] offsets;

    public string Folder { get; }

    public int DocumentCount => offsets.Length - 1;

    public long TokenCount => offsets[^1];

    private TokenStore(string folder, long[] offsets)
    {
        Folder = folder;
        this.offsets = offsets;
        if (TokenCount == 0) return;
        map = MemoryMappedFile.CreateFromFile(Path.Combine(folder, TokensFile), FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        view = map.CreateViewAccessor(0, TokenCount * sizeof(int), MemoryMappedFileAccess.Read);
        byte* start = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        tokens = (int*)(start + view.PointerOffset);
    }

    /// <summary>Every document in order, each copied out of the map (for work that holds them past the store's life).</summary>
    public IEnumerable<int[]> Documents() => Enumerable.Range(0, DocumentCount).Select(d => Document(d).ToArray());

    /// <summary>The token ids of one document, read from the mapped file (valid while the store is open).</summary>
    public ReadOnlySpan<int> Document(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, DocumentCount);
        ObjectDisposedException.ThrowIf(view is not null && view.SafeMemoryMappedViewHandle.IsClosed, this);
        var (start, end) = (offsets[index], offsets[index + 1]);
        return end == start ? [] : new ReadOnlySpan<int>(tokens + start, checked((int)(end - start)));
    }

    /// <summary>
    /// The store in <paramref name="folder"/> for these sources and tokenizer: opened as it is when
    /// it is current, built (again) otherwise. What the sources' reading notices without stopping
    /// (replaced bytes, empty documents skipped) goes to <paramref name="warn"/>.
    /// </summary>
    public static TokenStore Build(IReadOnlyList<string> sources, string tokenizerPath, string folder,
        IProgress<TokenStoreProgress>? progress = null, CancellationToken cancel = default, Action<CorpusWarning>? warn = null)
    {
        if (sources.Count == 0) throw new CorpusFormatException("a corpus needs at least one source file");
        var manifest = Manifest(sources, tokenizerPath);
        if (IsCurrent(folder, manifest)) return Open(folder);

        var tokenizer = Tokenizer.Load(tokenizerPath);
        var parent = Path.GetDirectoryName(Path.GetFullPath(folder))!;
        Directory.CreateDirectory(parent);
        var building = Path.Combine(parent, $".{Path.GetFileName(folder)}.building-{Guid.NewGuid():N}");
        Directory.CreateDirectory(building);
        try
        {
            var offsets = new List<long> { 0 };
            using (var output = new BinaryWriter(File.Create(Path.Combine(building, TokensFile))))
            {
                var totalBytes = Math.Max(1, sources.Sum(s => new FileInfo(s).Length));
                long bytesBefore = 0;
                foreach (var source in sources)
                {
                    var index = 0;
                    foreach (var document in CorpusReader.Read(source, warn))
                    {
                        cancel.ThrowIfCancellationRequested();
                        var ids = document.TokenIds ?? tokenizer.Encode(document.TextToTokenize!, addSpecialTokens: true);
                        for (var i = 0; i < ids.Length; i++)
                        {
                            if (ids[i] >= tokenizer.VocabSize)
                                throw new CorpusFormatException(
                                    $"{source}: document {index}: input_ids[{i}] = {ids[i]} is outside the tokenizer's vocabulary [0, {tokenizer.VocabSize})");
                            output.Write(ids[i]);
                        }
                        offsets.Add(offsets[^1] + ids.Length);
                        index++;
                        // The fraction moves per source file: documents within one are not counted ahead.
                        progress?.Report(new TokenStoreProgress(source, offsets.Count - 1, offsets[^1], (double)bytesBefore / totalBytes));
                    }
                    bytesBefore += new FileInfo(source).Length;
                    progress?.Report(new TokenStoreProgress(source, offsets.Count - 1, offsets[^1], (double)bytesBefore / totalBytes));
                }
            }
            if (offsets[^1] == 0) throw new CorpusFormatException($"the corpus ({string.Join(", ", sources)}) has no tokens");
            using (var output = new BinaryWriter(File.Create(Path.Combine(building, OffsetsFile))))
                foreach (var offset in offsets) output.Write(offset);
            manifest["documents"] = offsets.Count - 1;
            manifest["tokens"] = offsets[^1];
            File.WriteAllText(Path.Combine(building, ManifestFile), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            Directory.Move(building, folder);
        }
        finally
        {
            if (Directory.Exists(building)) Directory.Delete(building, recursive: true);
        }
        return Open(folder);
    }

    /// <summary>Opens a built store, checking that its files agree with its manifest.</summary>
    public static TokenStore Open(string folder)
    {
        var manifestPath = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifestPath)) throw new CorpusFormatException($"{folder}: not a token store (no {ManifestFile})");
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath));
        var documents = manifest?["documents"]?.GetValue<long>() ?? throw new CorpusFormatException($"{manifestPath}: documents missing");
        var tokenCount = manifest["tokens"]?.GetValue<long>() ?? throw new CorpusFormatException($"{manifestPath}: tokens missing");
        var offsetsPath = Path.Combine(folder, OffsetsFile);
        if (new FileInfo(offsetsPath).Length != (documents + 1) * sizeof(long))
            throw new CorpusFormatException($"{offsetsPath}: {new FileInfo(offsetsPath).Length} bytes, the manifest's {documents} documents need {(documents + 1) * sizeof(long)}");
        var tokensPath = Path.Combine(folder, TokensFile);
        if (new FileInfo(tokensPath).Length != tokenCount * sizeof(int))
            throw new CorpusFormatException($"{tokensPath}: {new FileInfo(tokensPath).Length} bytes, the manifest's {tokenCount} tokens need {tokenCount * sizeof(int)}");
        var offsets = new long[documents + 1];
        using (var reader = new BinaryReader(File.OpenRead(offsetsPath)))
            for (var i = 0; i < offsets.Length; i++) offsets[i] = reader.ReadInt64();
        for (var i = 0; i < documents; i++)
            if (offsets[i] > offsets[i + 1] || offsets[i + 1] > tokenCount)
                throw new CorpusFormatException($"{offsetsPath}: offset {i + 1} ({offsets[i + 1]}) out of order or past the {tokenCount} tokens");
        return new TokenStore(folder, offsets);
    }

    /// <summary>Whether the store in <paramref name="folder"/> was built from exactly these sources and tokenizer.</summary>
    public static bool IsCurrent(IReadOnlyList<string> sources, string tokenizerPath, string folder) =>
        IsCurrent(folder, Manifest(sources, tokenizerPath));

    private static bool IsCurrent(string folder, JsonObject expected)
    {
        var path = Path.Combine(folder, ManifestFile);
        if (!File.Exists(path)) return false;
        var stored = JsonNode.Parse(File.ReadAllText(path));
        return JsonNode.DeepEquals(stored?["sources"], expected["sources"]) && JsonNode.DeepEquals(stored?["tokenizer"], expected["tokenizer"])
            && stored?["format"]?.GetValue<int>() == Format;
    }

    private static JsonObject Manifest(IReadOnlyList<string> sources, string tokenizerPath) => new()
    {
        ["format"] = Format,
        ["tokenizer"] = FileHash.OfTokenizer(tokenizerPath),
        ["sources"] = new JsonArray(sources.Select(s => (JsonNode)new JsonObject { ["path"] = Path.GetFullPath(s), ["sha256"] = FileHash.Sha256(s) }).ToArray()),
    };

    public void Dispose()
    {
        if (view is not null && !view.SafeMemoryMappedViewHandle.IsClosed) view.SafeMemoryMappedViewHandle.ReleasePointer();
        view?.Dispose();
        map?.Dispose();
    }
}
