namespace LongRecipe.Engine.Corpora.Packages.Sources;

/// <summary>
/// Documentation built with Sphinx ships its reStructuredText sources as html/_sources/PAGE.rst.txt: one document
/// per page, kept as reST (markup and all, as a model meets it in the wild), titled by the page's first section title.
/// </summary>
internal static class SphinxSources
{
    private const string Extension = ".rst.txt";

    /// <summary>python3.11-doc: the library reference, language reference, tutorial, HOWTOs and What's New pages.</summary>
    public static IEnumerable<SourceDocument> Python(IReadOnlyList<PackageArchive> packages, CancellationToken cancel) =>
        Pages(packages[0], "usr/share/doc/python3.11/html/_sources/", excluded: null, cancel);

    /// <summary>linux-doc-6.1: the kernel's documentation pages, without translations/ (the corpus is English).</summary>
    public static IEnumerable<SourceDocument> Linux(IReadOnlyList<PackageArchive> packages, CancellationToken cancel) =>
        Pages(packages[0], "usr/share/doc/linux-doc-6.1/html/_sources/", excluded: "translations/", cancel);

    private static IEnumerable<SourceDocument> Pages(PackageArchive package, string root, string? excluded, CancellationToken cancel)
    {
        var pages = package.Files(p => p.StartsWith(root, StringComparison.Ordinal) && p.EndsWith(Extension, StringComparison.Ordinal)
                                       && (excluded is null || !p[root.Length..].StartsWith(excluded, StringComparison.Ordinal)), cancel);
        if (pages.Count == 0) throw new PackageException($"{package.Package}: no {root}*{Extension} pages (the package's layout changed?)");
        foreach (var page in pages.OrderBy(p => p.Path, StringComparer.Ordinal))
        {
            cancel.ThrowIfCancellationRequested();
            var key = page.Path[root.Length..^Extension.Length];
            var text = page.Text().ReplaceLineEndings("\n").Trim();
            yield return new SourceDocument(key, ReStructuredText.Title(text) ?? key, text);
        }
    }
}
