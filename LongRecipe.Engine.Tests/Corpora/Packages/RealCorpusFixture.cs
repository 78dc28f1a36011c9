using LongRecipe.Engine.Corpora.Packages;

namespace LongRecipe.Engine.Tests.Corpora.Packages;

/// <summary>A real-text corpus folder written directly, each document's split chosen by the test (token counts are word counts).</summary>
internal static class RealCorpusFixture
{
    public static string Create(string folder, IEnumerable<(RealDocument Document, CorpusSplit Split)> documents)
    {
        var list = documents.ToList();
        Directory.CreateDirectory(folder);
        RealCorpus.Write(Path.Combine(folder, RealCorpus.DocumentsFile), list.Select(d => d.Document), CancellationToken.None);
        var entries = list.Select(d => new DocumentEntry(d.Document.Id, d.Document.Source, d.Split, d.Document.Text.Split(' ').Length,
            System.Text.Encoding.UTF8.GetByteCount(d.Document.Text))).ToList();
        new CorpusManifest(CorpusManifest.CurrentFormat, DateTimeOffset.UtcNow, new TokenizerStamp("words", "none"),
            [new SourceEntry("fixture", "CC0-1.0", [], entries.Count, entries.Sum(e => e.Bytes), entries.Sum(e => (long)e.Tokens))],
            Enum.GetValues<CorpusSplit>().ToDictionary(s => s.ToString().ToLowerInvariant(), s => new SplitEntry(entries.Count(e => e.Split == s), 0, 0)),
            new Dictionary<string, int>(), new DeduplicationReport(0, 0, 0, 0, 0), entries).Save(Path.Combine(folder, RealCorpus.ManifestFile));
        return folder;
    }

    /// <summary>
    /// Documents of plain prose, <paramref name="perSplit"/> per split, ids "fixture/SPLIT-N", each of
    /// <paramref name="words"/> words in sentences (so needles have boundaries to go at).
    /// </summary>
    public static string Prose(string folder, int perSplit, int words) =>
        Create(folder, Enum.GetValues<CorpusSplit>().SelectMany(split => Enumerable.Range(0, perSplit).Select(i =>
        {
            var id = $"fixture/{split.ToString().ToLowerInvariant()}-{i}";
            return (new RealDocument(id, "fixture", id, PackageFixtures.Prose((ulong)(100 * (int)split + i), words)), split);
        })));
}
