using System.Text.RegularExpressions;

namespace LongRecipe.Engine.Corpora.Packages.Sources;

/// <summary>
/// The Debian Administrator's Handbook (debian-handbook), English edition: the book's HTML pages (one per chapter
/// and one per section) read in the order their "next" links give from index.html, one document per chapter,
/// appendix or preface with its section pages after it. Navigation, the banner and the tables of contents are
/// left out as boilerplate; the title page (index.html) and the keyword index too.
/// </summary>
internal static partial class HandbookChapters
{
    private const string Root = "usr/share/doc/debian-handbook/html/en-US/";

    private static readonly HashSet<string> Starts = ["chapter", "appendix", "preface", "part", "colophon", "glossary", "bibliography"];

    [GeneratedRegex("""<link\s+rel="next"\s+href="([^"#]+)""")]
    private static partial Regex NextLink();

    // The class of the page's first classed <div>: its content's kind (chapter, section, index, …).
    [GeneratedRegex("""<div\b[^>]*\bclass="([^"]+)""")]
    private static partial Regex ContentClass();

    public static IEnumerable<SourceDocument> Extract(IReadOnlyList<PackageArchive> packages, CancellationToken cancel)
    {
        var package = packages[0];
        var pages = package.Files(p => p.StartsWith(Root, StringComparison.Ordinal) && p.EndsWith(".html", StringComparison.Ordinal)
                                       && !p[Root.Length..].Contains('/'), cancel)
            .ToDictionary(f => f.Path[Root.Length..], f => f.Text());
        if (!pages.TryGetValue("index.html", out var index)) throw new PackageException($"{package.Package}: no {Root}index.html (the package's layout changed?)");

        var chapters = new List<(string Key, string Title, List<string> Texts)>();
        var seen = new HashSet<string> { "index.html" };
        var page = NextLink().Match(index).Groups[1].Value;
        while (pages.TryGetValue(page, out var html) && seen.Add(page))
        {
            cancel.ThrowIfCancellationRequested();
            var kind = ContentClass().Match(html).Groups[1].Value.Split(' ')[0];
            if (Starts.Contains(kind)) chapters.Add((Path.GetFileNameWithoutExtension(page), HtmlText.Title(html) ?? page, []));
            if (Starts.Contains(kind) || (kind == "section" && chapters.Count > 0)) chapters[^1].Texts.Add(HtmlText.ToText(html, IsBoilerplate));
            page = NextLink().Match(html).Groups[1].Value;
        }
        if (chapters.Count == 0) throw new PackageException($"{package.Package}: no chapters reachable from {Root}index.html (the book's layout changed?)");
        foreach (var (key, title, texts) in chapters)
            yield return new SourceDocument(key, title, string.Join("\n\n", texts));
    }

    /// <summary>Publican's page furniture: the banner, the logo line, the previous/next bars and tables of contents.</summary>
    private static bool IsBoilerplate(HtmlTag tag) =>
        tag.Id is "banner" or "title" || tag.HasClass("docnav") || tag.HasClass("toc");
}
