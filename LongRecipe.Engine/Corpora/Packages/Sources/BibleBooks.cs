using System.Text;
using System.Text.RegularExpressions;

namespace LongRecipe.Engine.Corpora.Packages.Sources;

/// <summary>
/// The King James Bible, one document per book. bible-kjv-text holds the text in the compressed form of the
/// Bible Retrieval System; the bible program of bible-kjv (run from the unpacked .deb, nothing installed) prints
/// it: each chapter under a "Genesis 1" heading, each verse on a line of its own after its number.
/// </summary>
internal static partial class BibleBooks
{
    // The books of the Authorized Version's canon as bible-kjv prints them.
    public const int Books = 66;

    // Long enough that no verse is wrapped.
    private const string LineWidth = "1000000";

    [GeneratedRegex(@"^(\S.*\S) (\d+)$")]
    private static partial Regex ChapterHeading();

    public static IEnumerable<SourceDocument> Extract(IReadOnlyList<PackageArchive> packages, CancellationToken cancel)
    {
        var text = packages.Single(p => p.Package.Name == "bible-kjv-text");
        var program = packages.Single(p => p.Package.Name == "bible-kjv");
        if (!OperatingSystem.IsLinux()) throw new PackageException($"{program.Package}: its bible program runs on Linux only; build the corpus there");
        var folder = Directory.CreateTempSubdirectory("longrecipe-kjv-").FullName;
        string printed;
        try
        {
            var data = text.Files(p => p.StartsWith("usr/lib/bible.data", StringComparison.Ordinal), cancel);
            if (data.Count != 2) throw new PackageException($"{text.Package}: expected usr/lib/bible.data and bible.data.conc, found {data.Count} data files");
            foreach (var file in data) File.WriteAllBytes(Path.Combine(folder, Path.GetFileName(file.Path)), file.Content);
            var binary = program.Files(p => p == "usr/bin/bible", cancel).SingleOrDefault()
                         ?? throw new PackageException($"{program.Package}: no usr/bin/bible in the package");
            var bible = Path.Combine(folder, "bible");
            File.WriteAllBytes(bible, binary.Content);
            File.SetUnixFileMode(bible, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            try
            {
                // -p: where the data files are; the verse range is the whole text.
                printed = ExternalProgram.Run(bible, ["-p", folder, "-l", LineWidth, "Gen1:1-Rev22:21"], folder, cancel);
            }
            catch (PackageException e)
            {
                throw new PackageException($"{program.Package}: its bible program failed: {e.Message}", e);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        var books = Parse(printed);
        if (books.Count != Books)
            throw new PackageException($"{program.Package}: the bible program printed {books.Count} books, not the {Books} of the King James Bible");
        foreach (var (name, body) in books)
        {
            cancel.ThrowIfCancellationRequested();
            yield return new SourceDocument(name.ToLowerInvariant().Replace(' ', '-'), $"{name} (King James Version)", body);
        }
    }

    /// <summary>
    /// The books in the program's output, in order: a "Book N" heading starts chapter N (and a new book when the
    /// name changes); a verse line, indented, is its number and text. Each chapter is kept as a heading line, a
    /// blank line and one line per verse ("1 In the beginning…").
    /// </summary>
    internal static List<(string Name, string Text)> Parse(string printed)
    {
        var books = new List<(string Name, StringBuilder Text)>();
        foreach (var line in printed.Split('\n'))
        {
            if (line.Length == 0) continue;
            if (!char.IsWhiteSpace(line[0]) && ChapterHeading().Match(line) is { Success: true } heading)
            {
                var name = heading.Groups[1].Value;
                if (books.Count == 0 || books[^1].Name != name) books.Add((name, new StringBuilder()));
                var book = books[^1].Text;
                if (book.Length > 0) book.Append("\n\n");
                book.Append(line).Append("\n\n");
                continue;
            }
            if (books.Count == 0) continue;
            var verse = books[^1].Text;
            if (verse[^1] != '\n') verse.Append('\n');
            verse.Append(line.Trim());
        }
        return [.. books.Select(b => (b.Name, b.Text.ToString().TrimEnd()))];
    }
}
