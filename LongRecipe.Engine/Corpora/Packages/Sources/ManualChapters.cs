using System.Text;

namespace LongRecipe.Engine.Corpora.Packages.Sources;

/// <summary>
/// The GNU Coding Standards and the GNU Maintainers' Information (gnu-standards), from the plain-text renderings
/// of their Texinfo sources (standards.text.gz, maintain.text.gz; the same text as the .info files without the
/// node headers and menus): one document per chapter, a chapter being a heading line underlined with '*'. The
/// table of contents before the first heading and the Index chapter are left out.
/// </summary>
internal static class ManualChapters
{
    private const string Root = "usr/share/doc/gnu-standards/";
    private static readonly string[] Manuals = ["standards", "maintain"];

    public static IEnumerable<SourceDocument> Extract(IReadOnlyList<PackageArchive> packages, CancellationToken cancel)
    {
        var package = packages[0];
        var files = package.Files(p => Manuals.Any(m => p == $"{Root}{m}.text.gz"), cancel).ToDictionary(f => f.Path);
        foreach (var manual in Manuals)
        {
            if (!files.TryGetValue($"{Root}{manual}.text.gz", out var file)) throw new PackageException($"{package.Package}: no {Root}{manual}.text.gz");
            var chapters = Chapters(file.Text().ReplaceLineEndings("\n"));
            if (chapters.Count == 0) throw new PackageException($"{package.Package}: {file.Path} has no chapter headings");
            var book = chapters[0].Title;
            foreach (var (title, body) in chapters.Where(c => c.Title != "Index"))
            {
                cancel.ThrowIfCancellationRequested();
                yield return new SourceDocument($"{manual}/{Slug(title)}", title == book ? book : $"{book}: {title}", $"{title}\n\n{body}");
            }
        }
    }

    /// <summary>The chapters after the first heading: a heading is a line followed by a line of as many '*'.</summary>
    internal static List<(string Title, string Body)> Chapters(string text)
    {
        var lines = text.Split('\n');
        var chapters = new List<(string Title, List<string> Lines)>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (i + 1 < lines.Length && lines[i].Trim().Length > 0 && lines[i + 1].Length == lines[i].Length && lines[i + 1].All(c => c == '*'))
            {
                chapters.Add((lines[i].Trim(), []));
                i++;
                continue;
            }
            if (chapters.Count > 0) chapters[^1].Lines.Add(lines[i]);
        }
        return [.. chapters.Select(c => (c.Title, string.Join('\n', c.Lines).Trim()))];
    }

    /// <summary>"4 Program Behavior for All Programs" → "4-program-behavior-for-all-programs".</summary>
    private static string Slug(string title)
    {
        var slug = new StringBuilder();
        foreach (var c in title.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c)) slug.Append(c);
            else if (slug.Length > 0 && slug[^1] != '-') slug.Append('-');
        }
        return slug.ToString().TrimEnd('-');
    }
}
