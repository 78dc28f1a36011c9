namespace LongRecipe.Engine.Corpora.Packages;

/// <summary>
/// A document as a source cuts it out of its packages: a <paramref name="Key"/> unique within the source and
/// stable across package versions (a file's path, a book's name), a title, and the text.
/// </summary>
public sealed record SourceDocument(string Key, string Title, string Text);

/// <summary>Cuts a source's documents out of its fetched packages (in the order the source lists them).</summary>
public delegate IEnumerable<SourceDocument> SourceExtractor(IReadOnlyList<PackageArchive> packages, CancellationToken cancel);

/// <summary>
/// One source of the real-text corpus: a short <paramref name="Name"/> (the prefix of its documents' ids, e.g. "kjv"),
/// the packages it comes from, the licence its text is under, and how documents are cut out of the packages.
/// </summary>
public sealed record PackageSource(string Name, IReadOnlyList<Package> Packages, string Licence, SourceExtractor Extract);
