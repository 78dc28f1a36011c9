using System.Globalization;
using System.IO.MemoryMappedFiles;
using System.Text.Json;
using System.Text.Json.Nodes;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Corpora;

/// <summary>
/// How far a token store build has come: documents done, tokens written, and bytes of the sources read and tokenized
/// (within a long document too, counted in proportion to its characters), of which <see cref="Fraction"/> is the share.
/// </summary>
public readonly record struct TokenStoreProgress(string Source, int Documents, long Tokens, long Bytes, double Fraction);

/// <summary>
/// A corpus tokenized once, on disk, memory-mapped for reading: tokens.bin holds every document's
/// token ids (i32, little-endian) back to back, offsets.bin the i64 start of each document plus the
/// end, manifest.json what it was built from (SHA-256 of every source and of the tokenizer files).
/// A store whose sources or tokenizer changed is rebuilt; one is only ever replaced whole, so an
/// interrupted build leaves the previous store or none, never a half one. A build writes into
/// .NAME.building-GUID beside the store, holding a lock file there while it works; one whose lock nobody
/// holds was left by a killed process and is removed by the next build of the same store.
/// </summary>
public sealed unsafe class TokenStore : IDisposable
{
    private const int Format = 1;
    private const string TokensFile = "tokens.bin", OffsetsFile = "offsets.bin", ManifestFile = "manifest.json", LockFile = ".lock";

    // A building folder without its lock this long after it was made is not a build starting up but a killed one.
    private static readonly TimeSpan StartingBuild = TimeSpan.FromMinutes(1);

    private readonly MemoryMappedFile? map;
    private readonly MemoryMappedViewAccessor? view;
    private readonly int* tokens;
    private readonly long[] offsets;
    // The sha256 of the tokenizer the manifest records, compared when a model opens the store.
    private readonly string? tokenizerHash;

    public string Folder { get; }

    public int DocumentCount => offsets.Length - 1;

    public long TokenCount => offsets[^1];

    private TokenStore(string folder, long[] offsets, string? tokenizerHash)
    {
        Folder = folder;
        this.offsets = offsets;
        this.tokenizerHash = tokenizerHash;
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
        if (ReplaceProblem(folder) is { } problem) throw new CorpusFormatException(problem);
        var manifest = Manifest(sources, tokenizerPath);
        if (IsCurrent(folder, manifest)) return Open(folder);

        var tokenizer = Tokenizer.Load(tokenizerPath);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        var (parent, name) = (Path.GetDirectoryName(full)!, Path.GetFileName(full));
        Directory.CreateDirectory(parent);
        RemoveKilledBuilds(parent, name);
        var building = Path.Combine(parent, $".{name}.building-{Guid.NewGuid():N}");
        Directory.CreateDirectory(building);
        try
        {
            // Held (an exclusive lock) until the store is in place; deleted first so the store does not keep it.
            using var held = File.Open(Path.Combine(building, LockFile), FileMode.CreateNew, FileAccess.Write, FileShare.None);
            var offsets = new List<long> { 0 };
            using (var output = new BinaryWriter(File.Create(Path.Combine(building, TokensFile))))
            {
                var totalBytes = Math.Max(1, sources.Sum(s => new FileInfo(s).Length));
                long bytesBefore = 0;
                foreach (var source in sources)
                {
                    var (index, start, end) = (0, 0L, 0L);
                    long written = 0;
                    void Report(long bytes) =>
                        progress?.Report(new TokenStoreProgress(source, offsets.Count - 1, offsets[^1] + written, bytes, (double)bytes / totalBytes));
                    foreach (var document in CorpusReader.Read(source, warn, new SynchronousProgress<long>(read => end = read)))
                    {
                        cancel.ThrowIfCancellationRequested();
                        if (document.TokenIds is { } ids)
                            for (var i = 0; i < ids.Length; i++, written++)
                            {
                                if (ids[i] >= tokenizer.VocabSize)
                                    throw new CorpusFormatException(
                                        $"{source}: document {index}: input_ids[{i}] = {ids[i]} is outside the tokenizer's vocabulary [0, {tokenizer.VocabSize})");
                                output.Write(ids[i]);
                            }
                        else
                        {
                            // The tokenizer's own ids lie in its vocabulary; a long document's come in runs, each moving the bar through
                            // the document's bytes in proportion to its characters encoded.
                            var text = document.TextToTokenize!;
                            tokenizer.Encode(text, addSpecialTokens: true, run =>
                            {
                                foreach (var id in run) output.Write(id);
                                written += run.Length;
                            }, new SynchronousProgress<int>(done => Report(bytesBefore + start + (end - start) * done / Math.Max(1, text.Length))), cancel);
                        }
                        offsets.Add(offsets[^1] + written);
                        (index, start, written) = (index + 1, end, 0);
                        Report(bytesBefore + end);
                    }
                    bytesBefore += new FileInfo(source).Length;
                    Report(bytesBefore);
                }
            }
            if (offsets[^1] == 0) throw new CorpusFormatException($"the corpus ({string.Join(", ", sources)}) has no tokens");
            using (var output = new BinaryWriter(File.Create(Path.Combine(building, OffsetsFile))))
                foreach (var offset in offsets) output.Write(offset);
            manifest["documents"] = offsets.Count - 1;
            manifest["tokens"] = offsets[^1];
            File.WriteAllText(Path.Combine(building, ManifestFile), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

            File.Delete(Path.Combine(building, LockFile));
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            Directory.Move(building, folder);
        }
        finally
        {
            if (Directory.Exists(building)) Directory.Delete(building, recursive: true);
        }
        return Open(folder);
    }

    /// <summary>
    /// Why <paramref name="folder"/> may not be replaced by a store, or null when it may: it does not exist, is empty,
    /// or is a store (this format's manifest and nothing but a store's files, so no source or tokenizer inside).
    /// A file, the current directory or a folder holding it, and any other folder are refused.
    /// </summary>
    public static string? ReplaceProblem(string folder)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (File.Exists(full)) return $"{folder} is a file, not a token store's folder";
        if (!Directory.Exists(full)) return null;
        var current = Path.GetFullPath(Environment.CurrentDirectory);
        if (current == full || current.StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            return $"{folder} is {(current == full ? "" : "above ")}the current directory; a store is built into a folder of its own";
        var entries = Directory.GetFileSystemEntries(full).Select(Path.GetFileName).ToList();
        if (entries.Count == 0) return null;
        var manifestPath = Path.Combine(full, ManifestFile);
        if (!File.Exists(manifestPath)) return $"{folder} is not a token store (no {ManifestFile}) and not empty; a store replaces only an earlier store or an empty folder";
        try
        {
            ReadManifest(manifestPath);
        }
        catch (CorpusFormatException e)
        {
            return $"{folder} is not a token store this version replaces ({e.Message})";
        }
        return entries.FirstOrDefault(e => e is not (TokensFile or OffsetsFile or ManifestFile)) is { } other
            ? $"{folder} holds {other}, which is not a token store's file; a store replaces only an earlier store or an empty folder"
            : null;
    }

    // A killed build's folder is one whose lock file nobody holds (or, missing it, one not written to since a build's start).
    private static void RemoveKilledBuilds(string parent, string name)
    {
        var prefix = $".{name}.building-";
        foreach (var candidate in Directory.GetDirectories(parent))
        {
            var candidateName = Path.GetFileName(candidate);
            if (!candidateName.StartsWith(prefix, StringComparison.Ordinal) || candidateName.Length != prefix.Length + 32
                || !candidateName[prefix.Length..].All(char.IsAsciiHexDigitLower)) continue;
            var lockPath = Path.Combine(candidate, LockFile);
            try
            {
                if (File.Exists(lockPath)) File.Open(lockPath, FileMode.Open, FileAccess.Write, FileShare.None).Dispose();
                else if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(candidate) < StartingBuild) continue;
                Directory.Delete(candidate, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Its lock is held (another process is building the same store now), or it cannot be removed; it stays
                // as it would have without this clean-up, and the build goes on.
            }
        }
    }

    /// <summary>
    /// Opens a built store for a model: as <see cref="Open(string)"/>, and refused when it was tokenized by another
    /// tokenizer than <paramref name="tokenizerPath"/> or holds an id outside the model's [0, <paramref name="vocabSize"/>)
    /// (every id is read once; a store is a few bytes a token, read at memory speed).
    /// </summary>
    public static TokenStore Open(string folder, string tokenizerPath, long vocabSize)
    {
        var store = Open(folder);
        try
        {
            var (manifestPath, recorded) = (Path.Combine(folder, ManifestFile), store.tokenizerHash);
            var tokenizer = FileHash.OfTokenizer(tokenizerPath);
            if (recorded != tokenizer)
                throw new CorpusFormatException($"{manifestPath}: the store was tokenized by another tokenizer than {tokenizerPath} "
                    + $"(sha256 {recorded?[..Math.Min(12, recorded.Length)]}…, not {tokenizer[..12]}…); build it again with this one");
            for (var d = 0; d < store.DocumentCount; d++)
            {
                var ids = store.Document(d);
                for (var i = 0; i < ids.Length; i++)
                    if (ids[i] < 0 || ids[i] >= vocabSize)
                        throw new CorpusFormatException(
                            $"{Path.Combine(folder, TokensFile)}: document {d}, token {i} (offset {(store.offsets[d] + i) * sizeof(int)} bytes): id {ids[i]} is outside the vocabulary [0, {vocabSize})");
            }
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Opens a built store, checking that its files agree with its manifest.</summary>
    public static TokenStore Open(string folder)
    {
        var manifestPath = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifestPath)) throw new CorpusFormatException($"{folder}: not a token store (no {ManifestFile})");
        var manifest = ReadManifest(manifestPath);
        var documents = Count(manifest, "documents", manifestPath);
        var tokenCount = Count(manifest, "tokens", manifestPath);
        var offsetsPath = Path.Combine(folder, OffsetsFile);
        RequireLength(offsetsPath, documents + 1, sizeof(long), $"the manifest's {documents} documents");
        var tokensPath = Path.Combine(folder, TokensFile);
        RequireLength(tokensPath, tokenCount, sizeof(int), $"the manifest's {tokenCount} tokens");
        var offsets = new long[documents + 1];
        using (var reader = new BinaryReader(File.OpenRead(offsetsPath)))
            for (var i = 0; i < offsets.Length; i++) offsets[i] = reader.ReadInt64();
        // Tokens before the first offset or after the last would belong to no document: the offsets must span them all.
        if (offsets[0] != 0) throw new CorpusFormatException($"{offsetsPath}: offset 0 is {offsets[0]}, not 0 (the first document starts the tokens)");
        for (var i = 0; i < documents; i++)
            if (offsets[i] > offsets[i + 1] || offsets[i + 1] > tokenCount)
                throw new CorpusFormatException($"{offsetsPath}: offset {i + 1} ({offsets[i + 1]}) out of order or past the {tokenCount} tokens");
        if (offsets[^1] != tokenCount)
            throw new CorpusFormatException($"{offsetsPath}: the last offset is {offsets[^1]}, not the manifest's {tokenCount} tokens");
        return new TokenStore(folder, offsets, manifest["tokenizer"]?.ToString());
    }

    /// <summary>Whether the store in <paramref name="folder"/> was built from exactly these sources and tokenizer.</summary>
    public static bool IsCurrent(IReadOnlyList<string> sources, string tokenizerPath, string folder) =>
        IsCurrent(folder, Manifest(sources, tokenizerPath));

    private static bool IsCurrent(string folder, JsonObject expected)
    {
        var path = Path.Combine(folder, ManifestFile);
        if (!File.Exists(path)) return false;
        var stored = ReadManifest(path);
        return JsonNode.DeepEquals(stored["sources"], expected["sources"]) && JsonNode.DeepEquals(stored["tokenizer"], expected["tokenizer"]);
    }

    /// <summary>A store's manifest: a JSON object of this <see cref="Format"/>; anything else throws naming the file.</summary>
    private static JsonObject ReadManifest(string path)
    {
        JsonNode? manifest;
        try
        {
            manifest = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new CorpusFormatException($"{path}: not valid JSON ({e.Message})");
        }
        if (manifest is not JsonObject fields) throw new CorpusFormatException($"{path}: a store's manifest must be a JSON object");
        var format = fields["format"];
        if (format is null || format.GetValueKind() != JsonValueKind.Number || !format.AsValue().TryGetValue<int>(out var number) || number != Format)
            throw new CorpusFormatException($"{path}: format {format?.ToJsonString() ?? "missing"}, this version reads format {Format} (build the store again)");
        return fields;
    }

    /// <summary>Throws naming <paramref name="path"/> unless it is a file of <paramref name="count"/> items of <paramref name="size"/> bytes.</summary>
    private static void RequireLength(string path, long count, int size, string expected)
    {
        if (!File.Exists(path)) throw new CorpusFormatException($"{path}: missing or not a file (a token store holds {TokensFile}, {OffsetsFile} and {ManifestFile})");
        var length = new FileInfo(path).Length;
        // Compared by division: a count near long.MaxValue from a damaged manifest would overflow the product.
        if (length % size != 0 || length / size != count)
            throw new CorpusFormatException($"{path}: {length} bytes, {expected} need {(count >= 0 && count <= long.MaxValue / size ? (count * size).ToString(CultureInfo.InvariantCulture) : "more than a file holds")}");
    }

    private static long Count(JsonObject manifest, string field, string path) =>
        manifest[field] is { } value && value.GetValueKind() == JsonValueKind.Number && value.AsValue().TryGetValue<long>(out var count) && count >= 0
            ? count
            : throw new CorpusFormatException($"{path}: {field} {(manifest[field] is { } given ? $"must be a whole number ≥ 0, got {given.ToJsonString()}" : "missing")}");

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
